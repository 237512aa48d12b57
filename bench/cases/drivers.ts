/**
 * The drivers of the case benchmark's part 1 (bench/cases/e2e.ts forks this file): C clients that each file a
 * hotline case over HTTP and walk it to closed as the demo users would. They run in a process of their own,
 * as a centre's browsers do, so the server's process spends its thread on the server alone and its CPU
 * figure is the server's.
 *
 * Protocol (IPC): the parent sends a `DriverRun`; this process answers with a `DriverReply` and waits for the
 * next run; it exits when the parent disconnects.
 */
import { performance } from 'node:perf_hooks';
import { call } from './http-client.ts';
import { Samples } from './stats.ts';

/** One user task of the walk: who finds it in their inbox and how they complete it. */
export interface Step {
  elementId: string;
  user: string;
  action: string;
  variables: Record<string, unknown>;
}

/** What one driver needs to walk one case. */
export interface CasePlan {
  ticket: string;
  intake: Record<string, unknown>;
  townId: number;
  categoryId: number;
  steps: Step[];
}

interface InboxItem {
  userTaskKey: string;
  elementId: string;
  caseId: number | null;
}

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));

/** Counters of one run. */
export interface RunCounters {
  emptyPolls: number;
  pagesRead: number;
  requests: number;
}

/**
 * Finds the case's task in the user's inbox as a dispatcher would: filtered by the case's town, 小类 and
 * source (the filters GET /api/tasks offers), newest first, paging on until the list ends; if the task is
 * not there yet (the workers are still moving the case on), polls again with a short back-off.
 */
async function findTask(
  baseUrl: string,
  headers: Record<string, string>,
  plan: CasePlan,
  caseId: number,
  elementId: string,
  samples: Samples,
  counters: RunCounters,
): Promise<InboxItem> {
  const pageSize = 50;
  const filter = `townId=${plan.townId}&categoryId=${plan.categoryId}&source=hotline_12345&sort=created&pageSize=${pageSize}`;
  const deadline = performance.now() + 60_000;
  let backoff = 10;
  for (;;) {
    for (let page = 1; ; page++) {
      const res = await call<{ items: InboxItem[] }>(
        baseUrl,
        headers,
        'GET',
        `/api/tasks?${filter}&page=${page}`,
      );
      samples.add('inbox', res.ms);
      counters.requests++;
      counters.pagesRead++;
      if (res.status !== 200) throw new Error(`inbox: ${res.status} ${JSON.stringify(res.body)}`);
      const item = res.body.items.find((t) => t.caseId === caseId && t.elementId === elementId);
      if (item) return item;
      if (res.body.items.length < pageSize) break;
    }
    counters.emptyPolls++;
    if (performance.now() > deadline)
      throw new Error(`case ${caseId}: no ${elementId} task in the inbox after 60 s (a worker stuck?)`);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 100);
  }
}

async function walk(
  baseUrl: string,
  sessions: Map<string, Record<string, string>>,
  plan: CasePlan,
  samples: Samples,
  counters: RunCounters,
): Promise<void> {
  const filed = await call<{ case: { id: number }; created: boolean }>(
    baseUrl,
    sessions.get('city.dispatcher')!,
    'POST',
    '/api/cases',
    plan.intake,
  );
  samples.add('intake', filed.ms);
  counters.requests++;
  if (filed.status !== 201) throw new Error(`intake: ${filed.status} ${JSON.stringify(filed.body)}`);
  const caseId = filed.body.case.id;
  for (const step of plan.steps) {
    const headers = sessions.get(step.user)!;
    const item = await findTask(baseUrl, headers, plan, caseId, step.elementId, samples, counters);
    const claim = await call(baseUrl, headers, 'POST', `/api/tasks/${item.userTaskKey}/claim`);
    samples.add('claim', claim.ms);
    counters.requests++;
    if (claim.status !== 204)
      throw new Error(`claim ${step.elementId}: ${claim.status} ${JSON.stringify(claim.body)}`);
    const done = await call(baseUrl, headers, 'POST', `/api/tasks/${item.userTaskKey}/complete`, {
      action: step.action,
      variables: step.variables,
    });
    samples.add('complete', done.ms);
    samples.add(`complete ${step.elementId}`, done.ms);
    counters.requests++;
    if (done.status !== 204)
      throw new Error(`complete ${step.elementId}: ${done.status} ${JSON.stringify(done.body)}`);
  }
}

async function runDrivers(
  baseUrl: string,
  sessions: Map<string, Record<string, string>>,
  plans: CasePlan[],
  concurrency: number,
  samples: Samples,
  counters: RunCounters,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  const driver = async (): Promise<void> => {
    while (next < plans.length) await walk(baseUrl, sessions, plans[next++], samples, counters);
  };
  await Promise.all(Array.from({ length: concurrency }, driver));
  return (performance.now() - start) / 1000;
}

/** One run of the drivers, as the parent sends it. */
export interface DriverRun {
  baseUrl: string;
  /** The headers that carry each user's session, by username. */
  sessions: [string, Record<string, string>][];
  plans: CasePlan[];
  concurrency: number;
}

/** What the drivers measured: wall seconds of the run, latency samples by call, counters, their CPU. */
export type DriverReply =
  | { ok: true; seconds: number; samples: [string, number[]][]; counters: RunCounters; cpuMs: number }
  | { ok: false; error: string };

process.on('message', (message: DriverRun) => {
  const samples = new Samples();
  const counters: RunCounters = { emptyPolls: 0, pagesRead: 0, requests: 0 };
  const cpu0 = process.cpuUsage();
  void runDrivers(
    message.baseUrl,
    new Map(message.sessions),
    message.plans,
    message.concurrency,
    samples,
    counters,
  )
    .then((seconds): DriverReply => {
      const cpu = process.cpuUsage(cpu0);
      return {
        ok: true,
        seconds,
        samples: samples.entries(),
        counters,
        cpuMs: (cpu.user + cpu.system) / 1000,
      };
    })
    .catch((err: unknown): DriverReply => ({
      ok: false,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    }))
    .then((reply) => process.send!(reply));
});
process.on('disconnect', () => process.exit(0));
