import { performance } from 'node:perf_hooks';

/** Latency samples (ms) by name, in the order the names were first seen. */
export class Samples {
  private readonly byName = new Map<string, number[]>();

  add(name: string, ms: number): void {
    let list = this.byName.get(name);
    if (!list) this.byName.set(name, (list = []));
    list.push(ms);
  }

  /** Runs fn and records how long it took under name (failures too). */
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - start);
    }
  }

  get(name: string): number[] {
    return this.byName.get(name) ?? [];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  clear(): void {
    this.byName.clear();
  }

  /** Every name with its samples (to send them to another process). */
  entries(): [string, number[]][] {
    return [...this.byName];
  }
}

/** Nearest-rank percentile, as bench/engine.bench.ts computes it. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A number with thin spaces between thousands (1 000 000), as the README writes them. */
export function thousands(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export const ms = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');

/** Prints rows as a left/right aligned text table (first column left, the rest right). */
export function printTable(header: string[], rows: string[][], indent = '  '): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    indent +
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(indent + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** A deterministic PRNG (mulberry32), so that every run loads the same data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from weighted choices with a number in [0, 1). */
export function weighted<T>(choices: readonly (readonly [T, number])[], r: number): T {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [v, w] of choices) {
    x -= w;
    if (x < 0) return v;
  }
  return choices[choices.length - 1][0];
}
