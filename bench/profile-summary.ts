/**
 * Where a V8 CPU profile's time went (`node --import=tsx bench/profile-summary.ts FILE [--top N]`), for the
 * profile `bench:cases --cpu-profile FILE` writes of the server's thread over Part 1's timed run.
 *
 * Prints self time by where the code lives — our folders (`engine/`, `server/http/`, …), an npm package,
 * a Node module (`node:_http_server`), or V8's own entries (GC, idle, program) — and the functions with
 * the most self time. A native function (a SQLite statement's `run`, a socket's `writev`) has no script of
 * its own; its time is charged to the first frame above it that has one and shown as "(native)" there, so
 * that "db/sqlite-driver.ts (native)" reads as the time spent inside SQLite.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error('usage: node --import=tsx bench/profile-summary.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
const root = fileURLToPath(new URL('..', import.meta.url));

/** Where a script lives: our file relative to the repository, an npm package, or a Node module. */
function place(url: string): string {
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  return path.startsWith(root) ? relative(root, path) : path;
}

/** The folder a place belongs to, for the summary by category. */
function category(where: string): string {
  if (where.startsWith('node:') || !where.includes('/')) return where;
  const parts = where.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : `${parts[0]}/`;
}

const parent = new Map<number, number>();
const byId = new Map<number, ProfileNode>();
for (const node of profile.nodes) {
  byId.set(node.id, node);
  for (const child of node.children ?? []) parent.set(child, node.id);
}

/** The node's own place, or for a native frame the first scripted frame above it. */
function owner(id: number): { where: string; fn: string; native: boolean } {
  const frame = byId.get(id)!.callFrame;
  if (frame.url) return { where: place(frame.url), fn: frame.functionName || '(anonymous)', native: false };
  if (frame.functionName.startsWith('('))
    return { where: frame.functionName, fn: frame.functionName, native: false };
  for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
    const above = byId.get(up)!.callFrame;
    if (above.url)
      return { where: place(above.url), fn: `${frame.functionName} ← ${above.functionName}`, native: true };
  }
  return { where: '(native)', fn: frame.functionName, native: true };
}

const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const next = profile.timeDeltas[i + 1] ?? 0;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + next);
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const o = owner(id);
  if (o.where === '(idle)') idle += us;
  else total += us;
  const cat = category(o.where) + (o.native ? ' (native)' : '');
  byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
  const fnKey = `${o.fn}  ${o.where}${o.native ? '' : `:${byId.get(id)!.callFrame.lineNumber + 1}`}`;
  byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + us);
}

const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const msOf = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;
console.log(
  `profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s, ${profile.samples.length} samples; ` +
    `busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (shares below are of the busy time)`,
);
console.log('\nself time by where the code lives');
for (const [cat, us] of [...byCategory].sort((a, b) => b[1] - a[1])) {
  if (cat === '(idle)' || us / total < 0.002) continue;
  console.log(`${msOf(us)} ${pct(us)}  ${cat}`);
}
console.log(`\nfunctions with the most self time (top ${values.top})`);
for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  if (fn.startsWith('(idle)')) continue;
  console.log(`${msOf(us)} ${pct(us)}  ${fn}`);
}
