import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

/**
 * The web app's build: `npm run build:web` writes dist/web (hashed assets under /assets, served with a long
 * cache by server/http/web.ts); `npm run dev:web` serves it with hot reload and forwards /api to the API
 * (GRIDFLOW_API, default http://localhost:3000).
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    // Outside web/ on purpose: dist/ is already ignored by eslint, prettier, git and docker.
    outDir: path.join(root, '..', 'dist', 'web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: true,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: process.env.GRIDFLOW_API ?? 'http://localhost:3000', changeOrigin: false },
    },
  },
});
