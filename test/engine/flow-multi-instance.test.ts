import test from 'ava';
import { NotFoundError } from '../../common/errors.ts';
import type { ActivatedJob, HistoryEvent, Variable, WorkflowEngine } from '../../engine/port.ts';
import { createTestEngine } from '../helpers/engine.ts';

/** Variables grouped by scope key, each scope as a plain object. */
function byScope(vars: Variable[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const v of vars) (out[v.scopeKey] ??= {})[v.name] = v.value;
  return out;
}

async function rootVariables(engine: WorkflowEngine, pik: string): Promise<Record<string, unknown>> {
  return byScope(await engine.getVariables(pik))[pik] ?? {};
}

/** The element instance key of the multi-instance body of an element. */
function bodyKeyOf(history: HistoryEvent[], elementId: string): string {
  const body = history.find(
    (e) =>
      e.intent === 'ELEMENT_ACTIVATED' &&
      e.elementId === elementId &&
      e.elementType === 'MULTI_INSTANCE_BODY',
  );
  if (!body) throw new Error(`no multi-instance body of ${elementId}`);
  return body.elementInstanceKey!;
}

function count(history: HistoryEvent[], intent: HistoryEvent['intent'], elementId: string): number {
  return history.filter((e) => e.intent === intent && e.elementId === elementId).length;
}

test('a parallel multi-instance task creates one job per item with a 1-based loopCounter and collects the results in input order', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-mi-parallel-task');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-mi-parallel-task',
      variables: { reviewers: ['a', 'b', 'c'] },
    });
    const pik = pi.processInstanceKey;

    // when
    const jobs = await te.jobs('fl-review');

    // then: every item at once, each with its element and counter as local variables
    t.is(jobs.length, 3);
    const seen = jobs
      .map((j) => j.variables)
      .sort((x, y) => (x.loopCounter as number) - (y.loopCounter as number));
    t.deepEqual(seen, [
      {
        reviewers: ['a', 'b', 'c'],
        verdicts: [null, null, null],
        reviewer: 'a',
        loopCounter: 1,
        verdict: null,
      },
      {
        reviewers: ['a', 'b', 'c'],
        verdicts: [null, null, null],
        reviewer: 'b',
        loopCounter: 2,
        verdict: null,
      },
      {
        reviewers: ['a', 'b', 'c'],
        verdicts: [null, null, null],
        reviewer: 'c',
        loopCounter: 3,
        verdict: null,
      },
    ]);

    // when: the jobs complete in reverse order
    const byReviewer = new Map<string, ActivatedJob>(jobs.map((j) => [j.variables.reviewer as string, j]));
    await te.engine.completeJob({ jobKey: byReviewer.get('c')!.key, variables: { verdict: 'c-ok' } });
    await te.engine.completeJob({ jobKey: byReviewer.get('b')!.key, variables: { verdict: 'b-ok' } });

    // then: the output collection lives on the body until it completes
    const bodyKey = bodyKeyOf(await te.engine.getHistory(pik), 'review');
    const scopes = byScope(await te.engine.getVariables(pik));
    t.deepEqual(scopes[pik], { reviewers: ['a', 'b', 'c'] });
    t.deepEqual(scopes[bodyKey], { verdicts: [null, 'b-ok', 'c-ok'] });

    await te.engine.completeJob({ jobKey: byReviewer.get('a')!.key, variables: { verdict: 'a-ok' } });

    // then
    t.is((await te.engine.getProcessInstance(pik)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pik), {
      reviewers: ['a', 'b', 'c'],
      verdicts: ['a-ok', 'b-ok', 'c-ok'],
    });
    const history = await te.engine.getHistory(pik);
    t.is(count(history, 'ELEMENT_ACTIVATED', 'review'), 4);
    t.is(count(history, 'ELEMENT_COMPLETED', 'review'), 4);
  } finally {
    await te.close();
  }
});

test('a sequential multi-instance task runs one item at a time in input order', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-mi-sequential-task');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-mi-sequential-task',
      variables: { reviewers: ['a', 'b', 'c'] },
    });

    // when / then
    for (const [i, reviewer] of ['a', 'b', 'c'].entries()) {
      const jobs = await te.jobs('fl-review');
      t.is(jobs.length, 1, `one job for ${reviewer}`);
      t.is(jobs[0].variables.reviewer, reviewer);
      t.is(jobs[0].variables.loopCounter, i + 1);
      await te.engine.completeJob({ jobKey: jobs[0].key, variables: { verdict: `${reviewer}-ok` } });
    }

    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), {
      reviewers: ['a', 'b', 'c'],
      verdicts: ['a-ok', 'b-ok', 'c-ok'],
    });
  } finally {
    await te.close();
  }
});

test('a parallel multi-instance sub-process collects each inner result in input order when completed in reverse', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-mi-parallel-subprocess');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-mi-parallel-subprocess',
      variables: { parcels: ['p1', 'p2', 'p3'] },
    });

    // when
    const jobs = await te.jobs('fl-weigh');
    t.is(jobs.length, 3);
    const ordered = [...jobs].sort(
      (x, y) => (x.variables.loopCounter as number) - (y.variables.loopCounter as number),
    );
    t.deepEqual(
      ordered.map((j) => [j.variables.parcel, j.variables.loopCounter]),
      [
        ['p1', 1],
        ['p2', 2],
        ['p3', 3],
      ],
    );
    for (const job of [...ordered].reverse()) {
      await te.engine.completeJob({
        jobKey: job.key,
        variables: { weight: (job.variables.loopCounter as number) * 10 },
      });
    }

    // then: the inner variables stayed inside; only the collection came out
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), {
      parcels: ['p1', 'p2', 'p3'],
      weights: [10, 20, 30],
    });
  } finally {
    await te.close();
  }
});

test('a sequential multi-instance sub-process runs one inner instance at a time', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-mi-sequential-subprocess');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-mi-sequential-subprocess',
      variables: { parcels: ['p1', 'p2', 'p3'] },
    });

    // when / then
    for (const [i, parcel] of ['p1', 'p2', 'p3'].entries()) {
      const jobs = await te.jobs('fl-weigh');
      t.is(jobs.length, 1, `one job for ${parcel}`);
      t.is(jobs[0].variables.parcel, parcel);
      t.is(jobs[0].variables.loopCounter, i + 1);
      await te.engine.completeJob({ jobKey: jobs[0].key, variables: { weight: (i + 1) * 10 } });
    }

    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), {
      parcels: ['p1', 'p2', 'p3'],
      weights: [10, 20, 30],
    });
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.is(count(history, 'ELEMENT_ACTIVATED', 'parcels'), 4);
  } finally {
    await te.close();
  }
});

test('a multi-instance activity over an empty collection completes at once with an empty output collection', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-mi-parallel-task');

    // when
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-mi-parallel-task',
      variables: { reviewers: [] },
    });

    // then
    t.is(pi.state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), { reviewers: [], verdicts: [] });
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.is(count(history, 'ELEMENT_ACTIVATED', 'review'), 1);
    t.false(history.some((e) => e.intent === 'JOB_CREATED'));
  } finally {
    await te.close();
  }
});

test('a completion condition ends the multi-instance body early and terminates the remaining instances', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-mi-completion-condition');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-mi-completion-condition',
      variables: { approvers: ['w', 'x', 'y', 'z'] },
    });
    const jobs = new Map((await te.jobs('fl-approve')).map((j) => [j.variables.approver as string, j]));
    t.is(jobs.size, 4);

    // when: the first completion does not meet the condition, the second does
    await te.engine.completeJob({ jobKey: jobs.get('y')!.key, variables: { decision: 'yes' } });
    t.deepEqual(await te.jobs('fl-after'), []);
    await te.engine.completeJob({ jobKey: jobs.get('w')!.key, variables: { decision: 'no' } });

    // then
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.is(count(history, 'ELEMENT_TERMINATED', 'approve'), 2);
    t.is(count(history, 'ELEMENT_COMPLETED', 'approve'), 3);
    t.is((await te.jobs('fl-after')).length, 1);
    for (const open of ['x', 'z']) {
      await t.throwsAsync(te.engine.completeJob({ jobKey: jobs.get(open)!.key }), {
        instanceOf: NotFoundError,
      });
    }
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), {
      approvers: ['w', 'x', 'y', 'z'],
      approvals: ['no', null, 'yes', null],
    });
  } finally {
    await te.close();
  }
});

test('an input collection that is not a list raises EXTRACT_VALUE_ERROR; fixing it and resolving starts the instances', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-mi-parallel-task');

    // when
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-mi-parallel-task',
      variables: { reviewers: 'a,b' },
    });

    // then
    t.true(pi.hasIncident);
    const [incident] = await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
    t.is(incident.errorType, 'EXTRACT_VALUE_ERROR');
    t.is(incident.elementId, 'review');
    t.deepEqual(await te.jobs('fl-review'), []);

    // when
    await te.engine.setVariables({
      elementInstanceKey: pi.processInstanceKey,
      variables: { reviewers: ['a', 'b'] },
    });
    await te.engine.resolveIncident(incident.incidentKey);

    // then
    const jobs = await te.jobs('fl-review');
    t.deepEqual(jobs.map((j) => j.variables.reviewer).sort(), ['a', 'b']);
    t.false((await te.engine.getProcessInstance(pi.processInstanceKey)).hasIncident);
  } finally {
    await te.close();
  }
});
