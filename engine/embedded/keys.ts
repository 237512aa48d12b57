import type { Sql } from './sql.ts';

/** Thrown inside a command when the reserved block of keys ran out; the runner allocates more and retries. */
export class KeysExhausted extends Error {
  constructor(readonly needed: number) {
    super('key block exhausted');
  }
}

/**
 * Hands out unique keys from blocks reserved in `engine_sequence`. A block is reserved in its own short
 * transaction before a command starts, so keys are unique across every engine process on one database and
 * never reused after a rollback (a rolled-back command only leaves a gap). Keys stay below 2^53.
 */
export class KeyAllocator {
  private next = 0;
  private end = 0;
  private blockSize: number;

  constructor(blockSize = 10_000) {
    this.blockSize = blockSize;
  }

  /** Keys left in the current block. */
  remaining(): number {
    return this.end - this.next;
  }

  /** Drops the current block: its reservation may have been rolled back, so it must not be used. */
  invalidate(): void {
    this.next = 0;
    this.end = 0;
  }

  /** The next key; throws KeysExhausted when the block is used up. */
  nextKey(): number {
    if (this.next >= this.end) throw new KeysExhausted(this.blockSize);
    return this.next++;
  }

  /** Reserves a new block of at least `min` keys with the given SQL (its own transaction). */
  async reserve(sql: Sql, min = 0): Promise<void> {
    const size = Math.max(this.blockSize, min * 2);
    const rows = await sql.all<{ next_value: number | string }>(
      `SELECT next_value FROM engine_sequence WHERE name = 'key'${sql.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
    );
    let start: number;
    if (rows.length === 0) {
      start = 1;
      await sql.run(`INSERT INTO engine_sequence (name, next_value) VALUES ('key', ?)`, [start + size]);
    } else {
      start = Number(rows[0].next_value);
      await sql.run(`UPDATE engine_sequence SET next_value = ? WHERE name = 'key'`, [start + size]);
    }
    if (start + size > Number.MAX_SAFE_INTEGER) throw new Error('engine key space exhausted');
    this.next = start;
    this.end = start + size;
  }
}
