// Run by `npm start` (prestart): builds the web app when dist/web is missing or older than its sources, so a
// fresh clone serves the app after `npm install && npm start` with no manual step. Without the dev dependencies
// (a production install) it says so and lets the server start with the API alone.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const web = path.join(root, 'web');
const built = path.join(root, 'dist', 'web', 'index.html');

/** The newest modification time of the files under `dir` (skipping build output and dependencies). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

const inputs = [newest(web), ...['package-lock.json'].map((f) => statSync(path.join(root, f)).mtimeMs)];
const sourcesAt = Math.max(...inputs);
const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;

if (builtAt >= sourcesAt) {
  console.log('web app: dist/web is up to date');
} else if (!existsSync(path.join(root, 'node_modules', 'vite', 'package.json'))) {
  console.warn(
    builtAt === 0
      ? 'web app: dist/web is missing and vite is not installed (npm install without --omit=dev builds it); starting the API only'
      : 'web app: dist/web is older than web/ but vite is not installed; serving the old build',
  );
} else {
  console.log(
    builtAt === 0
      ? 'web app: building dist/web (first start)…'
      : 'web app: sources changed, rebuilding dist/web…',
  );
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      path.join(web, 'vite.config.ts'),
      '--logLevel',
      'warn',
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) {
    console.error('web app: the build failed (see above); fix it or run `npm run build:web`');
    process.exit(r.status ?? 1);
  }
  console.log(`web app: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
