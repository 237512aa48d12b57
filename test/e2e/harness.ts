// Starts the real server for the browser tests: `node --import=tsx server/main.ts` on a free port with a fresh
// DATA_DIR (the demo city is seeded on first start). When that server does not serve the web app yet (its
// app.ts has not mounted server/http/web.ts), a small front server in this process serves dist/web through
// webRoutes and forwards /api to it, so the tests always drive the built app against the real API.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { webRoutes } from '../../server/http/web.ts';

/** Debian's Chromium and the flags every browser test launches it with (KNOWN.md). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** The demo users' password (db/seed). */
export const PASSWORD = 'Gridflow@2026';
/** The desktop the web app must be usable at. */
export const DESKTOP = { width: 1280, height: 800 };

/** The repository root. */
export const ROOT = path.join(import.meta.dirname, '..', '..');
/** The built web app the tests drive. */
export const DIST = path.join(ROOT, 'dist', 'web');
/** Where the browser tests leave their screenshots. */
export const SHOTS = path.join(ROOT, 'test-results', 'e2e');

/** A running server: its base URL, how the web app is served, and how to stop it. */
export interface TestServer {
  baseUrl: string;
  mode: 'server' | 'front';
  log: () => string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitHealthy(url: string, child: ChildProcess, ms: number, log: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode != null) throw new Error(`server exited (${child.exitCode}):\n${log()}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not healthy after ${ms} ms:\n${log()}`);
}

/** Starts the server (and the front server when needed). */
export async function startServer(): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gf-e2e-'));
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, ['--import=tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const api = `http://127.0.0.1:${port}`;
  const log = (): string => out.slice(-4000);
  await waitHealthy(api, child, 90_000, log);

  const stopChild = async (): Promise<void> => {
    if (child.exitCode == null) {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  // E2E_WEB_DIST: drive another build of the web app (e.g. one built to a private directory) through the
  // front server instead of the dist/web the server serves.
  const dist = process.env.E2E_WEB_DIST ?? DIST;
  const home = await fetch(`${api}/tasks`, { headers: { accept: 'text/html' } });
  if (!process.env.E2E_WEB_DIST && home.ok && (await home.text()).includes('id="root"')) {
    return { baseUrl: `http://localhost:${port}`, mode: 'server', log, stop: stopChild };
  }

  // The front server: the SPA from dist/web, /api and /health forwarded to the real server.
  const front = express();
  const forward: express.RequestHandler = (req, res) => {
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.originalUrl, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', () => res.status(502).end());
    req.pipe(upstream);
  };
  front.use('/api', forward);
  front.use('/health', forward);
  front.use(webRoutes({ distDir: dist }));
  const server = await new Promise<http.Server>((r) => {
    const s = front.listen(0, '127.0.0.1', () => r(s));
  });
  const frontPort = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://localhost:${frontPort}`,
    mode: 'front',
    log,
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await stopChild();
    },
  };
}
