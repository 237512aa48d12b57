import type { ActivatedJob } from '../port.ts';

/** An activation parked in this process, waiting for jobs of a type. */
export interface JobWaiter {
  readonly type: string;
  readonly worker: string;
  /** Activation time-out of jobs handed to it (ms). */
  readonly timeout: number;
  readonly fetchVariable?: string[];
}

interface Parked extends JobWaiter {
  capacity: number;
  /** Commands that reserved room in this waiter and have not committed or failed yet. */
  claims: number;
  jobs: ActivatedJob[];
  /** Its wait ended (time-out, wake-up, abort) while claims were still open. */
  expired: boolean;
  settle: (jobs: ActivatedJob[]) => void;
}

/**
 * Job push, as Zeebe's job streaming does it: a command that creates a job while a worker of that type is
 * parked in this process activates the job for that worker in the same transaction and hands it over after
 * the commit, so the worker needs no activation transaction of its own. A waiter resolves once every
 * command that reserved room in it has committed (jobs delivered) or failed (room given back).
 */
export class JobPush {
  private readonly parked = new Map<string, Set<Parked>>();

  /** Parks an activation for up to `ms`; resolves with pushed jobs, or [] to look in the database again. */
  wait(waiter: JobWaiter & { capacity: number }, ms: number, signal?: AbortSignal): Promise<ActivatedJob[]> {
    return new Promise((resolve) => {
      let set = this.parked.get(waiter.type);
      if (!set) this.parked.set(waiter.type, (set = new Set()));
      const entries = set;
      const p: Parked = {
        ...waiter,
        claims: 0,
        jobs: [],
        expired: false,
        settle: (jobs) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', end);
          entries.delete(p);
          resolve(jobs);
        },
      };
      const end = (): void => this.end(p);
      const timer = setTimeout(end, ms);
      signal?.addEventListener('abort', end, { once: true });
      entries.add(p);
    });
  }

  /** Ends every wait for a type (jobs appeared that another path created): they look again. */
  wakeAll(type: string): void {
    for (const p of [...(this.parked.get(type) ?? [])]) this.end(p);
  }

  /** Ends every wait. */
  stop(): void {
    for (const set of this.parked.values()) for (const p of [...set]) this.end(p);
  }

  /** Reserves room for one job in a waiter of this type, or undefined when none has room. */
  claim(type: string): JobWaiter | undefined {
    const set = this.parked.get(type);
    if (!set) return undefined;
    for (const p of set) {
      if (!p.expired && p.capacity > 0) {
        p.capacity--;
        p.claims++;
        return p;
      }
    }
    return undefined;
  }

  /** The claiming command committed: the job is the waiter's. */
  deliver(waiter: JobWaiter, job: ActivatedJob): void {
    const p = waiter as Parked;
    p.claims--;
    p.jobs.push(job);
    if (p.claims === 0) p.settle(p.jobs);
  }

  /** The claiming command failed, or its job ended within it: the room is free again. */
  release(waiter: JobWaiter): void {
    const p = waiter as Parked;
    p.claims--;
    p.capacity++;
    if (p.claims === 0 && (p.expired || p.jobs.length > 0)) p.settle(p.jobs);
  }

  private end(p: Parked): void {
    if (p.claims > 0) {
      p.expired = true;
      return;
    }
    p.settle(p.jobs);
  }
}
