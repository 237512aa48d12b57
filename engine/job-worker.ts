import type { Logger } from '../common/logger.ts';
import { silentLogger } from '../common/logger.ts';
import type { ActivatedJob, CompleteJobRequest, Variables, WorkflowEngine } from './port.ts';

/** What a job handler decides; every path of a handler returns one. */
export type JobOutcome =
  | { kind: 'complete'; variables?: Variables; within?: CompleteJobRequest['within'] }
  | { kind: 'bpmnError'; code: string; message?: string; variables?: Variables }
  | { kind: 'fail'; message: string; retryable: boolean; retryBackOffMs?: number };

/**
 * Outcome constructors, so handlers read `return complete({ ... })`. `within`: the handler's own writes (and
 * the variables they decide), committed with the completion (CompleteJobRequest).
 */
export const complete = (variables?: Variables, within?: CompleteJobRequest['within']): JobOutcome => ({
  kind: 'complete',
  variables,
  within,
});
/** A BPMN error the process can catch. */
export const bpmnError = (code: string, message?: string, variables?: Variables): JobOutcome => ({
  kind: 'bpmnError',
  code,
  message,
  variables,
});
/** A failure: retried with back-off while retries are left (retryable), or an incident at once. */
export const fail = (
  message: string,
  options: { retryable: boolean; retryBackOffMs?: number },
): JobOutcome => ({
  kind: 'fail',
  message,
  ...options,
});

/** Options of an in-process job worker. */
export interface JobWorkerOptions {
  type: string;
  /** The worker's name, recorded on the jobs it completes. */
  worker: string;
  /** Activation time-out (ms): after it the job may go to another worker. */
  timeoutMs: number;
  /** How many jobs it works on at once. */
  maxJobsActive?: number;
  /** Long-poll time of one activation (ms). */
  pollTimeoutMs?: number;
  /** Back-off between retries when a handler throws (ms). */
  retryBackOffMs?: number;
  handler: (job: ActivatedJob) => Promise<JobOutcome>;
  log?: Logger;
}

/** A running worker. */
export interface JobWorker {
  /** Stops activating and waits for the jobs in hand. */
  close(): Promise<void>;
}

/**
 * Runs a handler for every job of a type through the port (works the same on the embedded engine and on
 * Camunda 8): long-polls for jobs, runs up to `maxJobsActive` at once, and answers each with its outcome.
 * A handler that throws fails the job with a retry (an incident once retries run out).
 */
export function createJobWorker(engine: WorkflowEngine, options: JobWorkerOptions): JobWorker {
  const log = (options.log ?? silentLogger).child({ scope: 'job-worker', type: options.type });
  const max = options.maxJobsActive ?? 32;
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  let slotFreed: (() => void) | null = null;
  const stopPolling = new AbortController();

  const handle = async (job: ActivatedJob): Promise<void> => {
    const answer = { jobKey: job.key, activationKey: job.activationKey, actor: options.worker };
    try {
      let outcome: JobOutcome;
      try {
        outcome = await options.handler(job);
      } catch (err) {
        log.warn({ err, jobKey: job.key, processInstanceKey: job.processInstanceKey }, 'job handler threw');
        outcome = fail(err instanceof Error ? err.message : String(err), {
          retryable: true,
          retryBackOffMs: options.retryBackOffMs ?? 1000,
        });
      }
      if (outcome.kind === 'complete') {
        await engine.completeJob({ ...answer, variables: outcome.variables, within: outcome.within });
      } else if (outcome.kind === 'bpmnError') {
        await engine.throwError({
          ...answer,
          errorCode: outcome.code,
          errorMessage: outcome.message,
          variables: outcome.variables,
        });
      } else {
        await engine.failJob({
          ...answer,
          retries: outcome.retryable ? Math.max(0, job.retries - 1) : 0,
          errorMessage: outcome.message,
          retryBackOff: outcome.retryable ? (outcome.retryBackOffMs ?? 0) : 0,
        });
      }
    } catch (err) {
      // The job was answered elsewhere, timed out and went to another worker, or its instance moved on.
      log.warn({ err, jobKey: job.key }, 'job answer rejected');
    }
  };

  const loop = async (): Promise<void> => {
    while (!closed) {
      if (inFlight.size >= max) {
        await new Promise<void>((r) => (slotFreed = r));
        continue;
      }
      let jobs: ActivatedJob[];
      try {
        jobs = await engine.activateJobs({
          type: options.type,
          worker: options.worker,
          maxJobsToActivate: max - inFlight.size,
          timeout: options.timeoutMs,
          requestTimeout: options.pollTimeoutMs ?? 10_000,
          signal: stopPolling.signal,
        });
      } catch (err) {
        log.error({ err }, 'job activation failed');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const job of jobs) {
        const p = handle(job).finally(() => {
          inFlight.delete(p);
          slotFreed?.();
          slotFreed = null;
        });
        inFlight.add(p);
      }
    }
  };
  const running = loop();

  return {
    async close() {
      closed = true;
      stopPolling.abort();
      slotFreed?.();
      await running;
      await Promise.all(inFlight);
    },
  };
}
