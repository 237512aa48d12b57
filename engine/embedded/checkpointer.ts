import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a SQLite WAL file from a worker thread. The writer's own automatic checkpoint runs inside a
 * COMMIT on the main thread and stalls every command queued behind it for tens of milliseconds (the p99 of
 * the engine benchmark); a PASSIVE checkpoint on another thread copies the same pages without blocking the
 * writer. The writer keeps a large automatic threshold as a safety net (db/connection.ts).
 */
export class Checkpointer {
  private worker: Worker | null = null;

  constructor(
    private readonly file: string,
    private readonly intervalMs = 200,
  ) {}

  /** Starts the worker thread. */
  start(): void {
    if (this.worker) return;
    this.worker = new Worker(new URL('./checkpoint-worker.cjs', import.meta.url), {
      workerData: { file: this.file, intervalMs: this.intervalMs },
    });
    this.worker.unref();
    this.worker.on('error', () => {
      // A checkpoint thread that died leaves the writer's own checkpoints in charge.
      this.worker = null;
    });
  }

  /** Stops the worker thread and closes its connection. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      worker.once('message', done);
      worker.once('exit', done);
      worker.postMessage('stop');
      setTimeout(done, 2000).unref();
    });
    await worker.terminate();
  }
}
