import type { z } from 'zod';
import type { JobOutcome } from '../engine/job-worker.ts';

/** What a handler knows of its job besides its input. */
export interface JobContext {
  key: string;
  processInstanceKey: string;
  elementId: string;
  headers: Record<string, string>;
  retries: number;
  /** The worker's name, for the records it writes. */
  worker: string;
}

/** A job worker: the BPMN task type it serves, its input schema, and a handler that calls one service. */
export interface WorkerDefinition<I = unknown> {
  /** Exactly the `zeebe:taskDefinition type` of the BPMN. */
  type: string;
  input: z.ZodType<I>;
  timeoutMs: number;
  handler: (input: I, job: JobContext) => Promise<JobOutcome>;
}

/** Declares a worker (typed input, typed outcome on every path). */
export function defineWorker<I>(definition: WorkerDefinition<I>): WorkerDefinition<I> {
  return definition;
}
