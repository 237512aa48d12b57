import { TransientError, UserError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { type JobOutcome, bpmnError, createJobWorker, fail } from '../engine/job-worker.ts';
import type { WorkflowEngine } from '../engine/port.ts';
import type { WorkerDefinition } from './define-worker.ts';

/** A UserError that the process may catch as a BPMN error with this code. */
export class BpmnErrorSignal extends UserError {
  constructor(
    readonly bpmnCode: string,
    message: string,
  ) {
    super('BPMN_ERROR', message);
  }
}

/**
 * Runs every worker through the engine port. Input is parsed with the worker's schema (a job whose
 * variables do not fit fails without retries: an incident an operator can read). Errors are mapped by
 * class: a BPMN error signal becomes a BPMN error, a TransientError a retry with back-off, anything else an
 * incident.
 */
export function startWorkers(
  engine: WorkflowEngine,
  workers: WorkerDefinition[],
  log: Logger,
  name = 'gridflow',
): { close(): Promise<void> } {
  const running = workers.map((w) =>
    createJobWorker(engine, {
      type: w.type,
      worker: `${name}:${w.type}`,
      timeoutMs: w.timeoutMs,
      maxJobsActive: 16,
      log,
      handler: async (job): Promise<JobOutcome> => {
        // Made only when there is something to say: most jobs log nothing, and a child logger is built per call.
        const jobLog = (): Logger =>
          log.child({
            type: w.type,
            jobKey: job.key,
            processInstanceKey: job.processInstanceKey,
            caseId: job.variables.caseId,
          });
        const parsed = w.input.safeParse(job.variables);
        if (!parsed.success) {
          const problems = parsed.error.issues
            .map((i) => `${i.path.join('.') || '(variables)'}: ${i.message}`)
            .join('; ');
          jobLog().warn({ problems }, 'job input invalid');
          return fail(`The job's variables do not fit ${w.type}: ${problems}`, { retryable: false });
        }
        try {
          return await w.handler(parsed.data, {
            key: job.key,
            processInstanceKey: job.processInstanceKey,
            elementId: job.elementId,
            headers: job.customHeaders,
            retries: job.retries,
            worker: job.worker,
          });
        } catch (err) {
          if (err instanceof BpmnErrorSignal) return bpmnError(err.bpmnCode, err.message);
          if (err instanceof TransientError) {
            jobLog().warn({ err }, 'job failed, will retry');
            return fail(err.message, { retryable: true, retryBackOffMs: 5_000 });
          }
          jobLog().error({ err }, 'job failed');
          return fail(err instanceof Error ? err.message : String(err), { retryable: false });
        }
      },
    }),
  );
  return {
    close: async () => {
      await Promise.all(running.map((r) => r.close()));
    },
  };
}
