import test from 'ava';
import type { HistoryEvent, Variable } from '../../engine/port.ts';
import { createTestEngine } from '../helpers/engine.ts';

/** Variables grouped by scope key, each scope as a plain object. */
function byScope(vars: Variable[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const v of vars) (out[v.scopeKey] ??= {})[v.name] = v.value;
  return out;
}

/** The element instance key of the (only) activation of an element. */
function instanceKeyOf(history: HistoryEvent[], elementId: string): string {
  const hits = history.filter((e) => e.intent === 'ELEMENT_ACTIVATED' && e.elementId === elementId);
  if (hits.length !== 1) throw new Error(`expected one activation of ${elementId}, got ${hits.length}`);
  return hits[0].elementInstanceKey!;
}

test('variables given at creation live on the root scope', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-var-propagation');

    // when
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-var-propagation',
      variables: { caseId: 1, status: 'new', tags: ['a'], reporter: { name: 'Li' } },
    });

    // then
    const vars = await te.engine.getVariables(pi.processInstanceKey);
    const root = vars.filter((v) => v.scopeKey === pi.processInstanceKey);
    t.deepEqual(
      root.map((v) => [v.name, v.value]),
      [
        ['caseId', 1],
        ['reporter', { name: 'Li' }],
        ['status', 'new'],
        ['tags', ['a']],
      ],
    );
    const history = await te.engine.getHistory(pi.processInstanceKey);
    const created = history.filter(
      (e) => e.intent === 'VARIABLE_CREATED' && e.payload.scopeKey === pi.processInstanceKey,
    );
    t.deepEqual(created.map((e) => e.payload.name).sort(), ['caseId', 'reporter', 'status', 'tags']);
  } finally {
    await te.close();
  }
});

test('job completion variables update the nearest scope that has them and create the others on the root', async (t) => {
  const te = await createTestEngine();
  try {
    // given: the sub-process has a local `stage` from its input mapping
    await te.deployFixture('fl-var-propagation');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-var-propagation',
      variables: { caseId: 1, status: 'new' },
    });
    const pik = pi.processInstanceKey;
    const reviewKey = instanceKeyOf(await te.engine.getHistory(pik), 'review');
    const [edit] = await te.jobs('fl-edit');
    t.deepEqual(edit.variables, { caseId: 1, status: 'new', stage: 'draft' });

    // when
    await te.engine.completeJob({
      jobKey: edit.key,
      variables: { stage: 'edited', status: 'open', note: 'x' },
    });

    // then: stage went to the sub-process that holds it; status updated on the root; note created on the root
    const [after] = await te.jobs('fl-after');
    t.deepEqual(after.variables, { caseId: 1, note: 'x', status: 'open' });
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { caseId: 1, note: 'x', status: 'open' },
    });
    const history = await te.engine.getHistory(pik);
    const stageWrites = history.filter((e) => e.intent.startsWith('VARIABLE_') && e.payload.name === 'stage');
    t.deepEqual(
      stageWrites.map((e) => [e.intent, e.payload.scopeKey, e.payload.value]),
      [
        ['VARIABLE_CREATED', reviewKey, 'draft'],
        ['VARIABLE_UPDATED', reviewKey, 'edited'],
      ],
    );
  } finally {
    await te.close();
  }
});

test('input mappings create local variables of the task that the parent never sees', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-var-input-local');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-var-input-local',
      variables: { price: 10, qty: 3 },
    });
    const pik = pi.processInstanceKey;
    const calcKey = instanceKeyOf(await te.engine.getHistory(pik), 'calc');

    // when
    const [calc] = await te.jobs('fl-calc');

    // then
    t.deepEqual(calc.variables, { price: 10, qty: 3, amount: 30, currency: 'CNY' });
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { price: 10, qty: 3 },
      [calcKey]: { amount: 30, currency: 'CNY' },
    });

    // when: the job returns `amount` (held locally by the task) and a new `taxed`
    await te.engine.completeJob({ jobKey: calc.key, variables: { amount: 99, taxed: 33 } });

    // then: amount ended with the task's scope; taxed reached the root
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { price: 10, qty: 3, taxed: 33 },
    });
  } finally {
    await te.close();
  }
});

test('output mappings write to the flow scope and the job variables do not propagate', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-var-output-mapping');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-var-output-mapping',
      variables: { caseId: 1 },
    });
    const pik = pi.processInstanceKey;

    // when
    await te.completeOne('fl-score', { result: { score: 7 }, junk: 'x' });

    // then
    t.deepEqual(byScope(await te.engine.getVariables(pik)), { [pik]: { caseId: 1, rating: 70 } });
    const [after] = await te.jobs('fl-after');
    t.deepEqual(after.variables, { caseId: 1, rating: 70 });
  } finally {
    await te.close();
  }
});

test('a nested output target merges into the existing object and a nested input target builds a new local one', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-var-nested-target');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-var-nested-target',
      variables: { order: { id: 'A-1', items: 2 }, request: { priority: 'high' } },
    });
    const pik = pi.processInstanceKey;

    // when
    const [job] = await te.jobs('fl-price');

    // then: the input target `request.orderId` made a new local `request`, not a merge with the root one
    t.deepEqual(job.variables.request, { orderId: 'A-1', copies: 2 });

    // when
    await te.engine.completeJob({ jobKey: job.key, variables: { total: 99.5 } });

    // then: the output targets `order.total` and `order.currency` were merged into the root `order`
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: {
        order: { id: 'A-1', items: 2, total: 99.5, currency: 'CNY' },
        request: { priority: 'high' },
      },
    });
  } finally {
    await te.close();
  }
});

test('setVariables with local sets only the given scope; without it each variable propagates like a job completion', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-var-set-variables');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-var-set-variables',
      variables: { x: 1 },
    });
    const pik = pi.processInstanceKey;
    const boxKey = instanceKeyOf(await te.engine.getHistory(pik), 'box');
    const [wait] = await te.jobs('fl-wait');
    const taskKey = wait.elementInstanceKey;

    // when
    await te.engine.setVariables({ elementInstanceKey: taskKey, variables: { note: 'local' }, local: true });
    await te.engine.setVariables({
      elementInstanceKey: taskKey,
      variables: { counter: 5, fresh: 'y', x: 2 },
    });

    // then
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { fresh: 'y', x: 2 },
      [boxKey]: { counter: 5 },
      [taskKey]: { note: 'local' },
    });

    // when: a local write on a scope shadows the outer variable
    await te.engine.setVariables({ elementInstanceKey: boxKey, variables: { x: 3 }, local: true });

    // then
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { fresh: 'y', x: 2 },
      [boxKey]: { counter: 5, x: 3 },
      [taskKey]: { note: 'local' },
    });
    await te.engine.completeJob({ jobKey: wait.key });
    t.is((await te.engine.getProcessInstance(pik)).state, 'COMPLETED');
    t.deepEqual(
      (await te.engine.getVariables(pik)).map((v) => [v.name, v.value]),
      [
        ['fresh', 'y'],
        ['x', 2],
      ],
    );
  } finally {
    await te.close();
  }
});

test('an input mapping whose FEEL fails raises IO_MAPPING_ERROR on activation; resolving after fixing the variable re-runs the activation', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-var-input-error');

    // when: `assert(amount, amount != null)` fails without amount
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-var-input-error' });
    const pik = pi.processInstanceKey;

    // then
    const incidents = await te.engine.searchIncidents({ processInstanceKey: pik });
    t.is(incidents.length, 1);
    t.is(incidents[0].errorType, 'IO_MAPPING_ERROR');
    t.is(incidents[0].elementId, 'charge');
    t.deepEqual(await te.jobs('fl-charge'), []);

    // when
    await te.engine.setVariables({ elementInstanceKey: pik, variables: { amount: 12 } });
    await te.engine.resolveIncident(incidents[0].incidentKey);

    // then
    const jobs = await te.jobs('fl-charge');
    t.is(jobs.length, 1);
    t.deepEqual(jobs[0].variables, { amount: 12, chargeAmount: 12 });
    t.false((await te.engine.getProcessInstance(pik)).hasIncident);
  } finally {
    await te.close();
  }
});

test('an output mapping that fails raises IO_MAPPING_ERROR on completion; resolving re-runs the completion with the job variables', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-var-output-error');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-var-output-error' });
    const pik = pi.processInstanceKey;

    // when: the job completes without `score`, which `assert(score, score != null)` requires
    await te.completeOne('fl-rate', { verdict: 'ok' });

    // then
    const incidents = await te.engine.searchIncidents({ processInstanceKey: pik });
    t.is(incidents.length, 1);
    t.is(incidents[0].errorType, 'IO_MAPPING_ERROR');
    t.is(incidents[0].elementId, 'rate');
    t.deepEqual(await te.jobs('fl-after'), []);

    // when
    await te.engine.setVariables({ elementInstanceKey: pik, variables: { score: 7 } });
    await te.engine.resolveIncident(incidents[0].incidentKey);

    // then: the completion ran again with the job's `verdict`
    const [after] = await te.jobs('fl-after');
    t.truthy(after);
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { finalVerdict: 'ok', rating: 7, score: 7 },
    });
    const history = await te.engine.getHistory(pik);
    t.deepEqual(
      history.filter((e) => e.elementId === 'rate' && e.intent.startsWith('ELEMENT_')).map((e) => e.intent),
      ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED'],
    );
  } finally {
    await te.close();
  }
});
