import { close, fdatasync, openSync } from 'node:fs';

/**
 * Makes a SQLite WAL file durable from libuv's thread pool instead of inside COMMIT on the server's thread.
 *
 * The engine's writer connection commits with `synchronous = NORMAL` (SQLite appends the group's frames to
 * the WAL without syncing them) and then calls `sync()`, which resolves once an `fdatasync` that began after
 * that COMMIT has finished: everything the WAL held at that moment is then on disk, as `synchronous = FULL`
 * would have made it. The group's commands are answered only then, so nothing a caller is told was done can
 * be lost; meanwhile the next group runs on the thread. At most one sync runs at a time; commits that arrive
 * while it runs share the next one (ADR 0008).
 */
export class WalSync {
  private fd: number | null = null;
  /** How many syncs have gone out (each covers every commit before it began). */
  syncs = 0;
  /** Commits covered by the sync now running. */
  private running: Waiter[] | null = null;
  /** Commits that came after the running sync began: they need the next one. */
  private next: Waiter[] = [];
  private idlers: (() => void)[] | null = null;

  constructor(
    private readonly walFile: string,
    /** The system call; a test may slow it down. */
    private readonly syncFile: (fd: number, done: (err: Error | null) => void) => void = fdatasync,
  ) {}

  /** Whether a sync is running now. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves when no sync is running (at once if none is). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idlers ??= []).push(resolve));
  }

  /** Resolves when every frame the WAL holds now is on disk. */
  sync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.next.push({ resolve, reject });
      if (!this.running) this.start();
    });
  }

  /** Waits for the syncs asked for so far, then releases the file (a later `sync()` opens it again). */
  async close(): Promise<void> {
    if (this.running || this.next.length > 0) await this.sync().catch(() => undefined);
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) await new Promise<void>((resolve) => close(fd, () => resolve()));
  }

  private start(): void {
    const batch = this.next;
    this.next = [];
    this.running = batch;
    let fd: number;
    try {
      // Opened once: the writer connection keeps the WAL file in place for as long as it is open (a
      // checkpoint restarts or truncates it, never replaces it).
      fd = this.fd ??= openSync(this.walFile, 'r');
    } catch (err) {
      this.finish(batch, err as Error);
      return;
    }
    this.syncs++;
    this.syncFile(fd, (err) => this.finish(batch, err));
  }

  private finish(batch: Waiter[], err: Error | null): void {
    this.running = null;
    const idlers = this.idlers;
    this.idlers = null;
    for (const resolve of idlers ?? []) resolve();
    for (const w of batch) {
      if (err) w.reject(err);
      else w.resolve();
    }
    if (this.next.length > 0) this.start();
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}
