import test from 'ava';
import { NotFoundError } from '../../common/errors.ts';
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

/** The lifecycle and job intents of one element, in order (variable events left out). */
function intentsOf(history: HistoryEvent[], elementId: string): string[] {
  return history
    .filter((e) => e.elementId === elementId && !e.intent.startsWith('VARIABLE_'))
    .map((e) => e.intent);
}

test('an embedded sub-process completes when all its inner tokens have ended, keeps input-mapped variables local and copies out through output mappings', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-subprocess');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-subprocess',
      variables: { order: { id: 'A-1' } },
    });
    const pik = pi.processInstanceKey;
    const subKey = instanceKeyOf(await te.engine.getHistory(pik), 'packing');

    // then: the input mappings created variables on the sub-process scope, visible inside
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { order: { id: 'A-1' } },
      [subKey]: { orderRef: 'A-1', packed: false },
    });
    const [pack] = await te.jobs('fl-pack');
    t.deepEqual(pack.variables, { order: { id: 'A-1' }, orderRef: 'A-1', packed: false });

    // when: one inner branch ends
    await te.engine.completeJob({ jobKey: pack.key, variables: { packed: true, weight: 3 } });

    // then: the sub-process waits for the other branch; packed was updated where it lives, weight went to the root
    t.deepEqual(await te.jobs('fl-ship'), []);
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { order: { id: 'A-1' }, weight: 3 },
      [subKey]: { orderRef: 'A-1', packed: true },
    });

    // when: the other inner branch ends
    await te.completeOne('fl-label', { labelNo: 'L-9' });

    // then: the sub-process completed, its local variables are gone and the output mapping copied packed out as shipped
    const history = await te.engine.getHistory(pik);
    t.deepEqual(intentsOf(history, 'packing'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.is((await te.jobs('fl-ship')).length, 1);
    t.deepEqual(byScope(await te.engine.getVariables(pik)), {
      [pik]: { labelNo: 'L-9', order: { id: 'A-1' }, shipped: true, weight: 3 },
    });
  } finally {
    await te.close();
  }
});

test('a terminate end event inside a sub-process ends only that sub-process, terminating its other branch', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-terminate-subprocess');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-terminate-subprocess' });
    const pik = pi.processInstanceKey;
    const [slow] = await te.jobs('fl-slow');

    // when: the fast branch reaches the terminate end event
    await te.completeOne('fl-fast');

    // then: the slow branch inside is terminated and the sub-process completes normally
    const history = await te.engine.getHistory(pik);
    t.deepEqual(intentsOf(history, 'slow'), [
      'ELEMENT_ACTIVATED',
      'JOB_CREATED',
      'JOB_CANCELED',
      'ELEMENT_TERMINATED',
    ]);
    t.deepEqual(intentsOf(history, 'work'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.deepEqual(intentsOf(history, 'stopWork'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    await t.throwsAsync(te.engine.completeJob({ jobKey: slow.key }), {
      instanceOf: NotFoundError,
      code: 'JOB_NOT_FOUND',
    });

    // and: the process goes on after the sub-process, the parallel branch outside is untouched
    t.is((await te.engine.getProcessInstance(pik)).state, 'ACTIVE');
    t.is((await te.jobs('fl-after')).length, 1);
    t.is((await te.jobs('fl-outside')).length, 1);
  } finally {
    await te.close();
  }
});

test('a terminate end event at process level completes the instance and terminates the other branches', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-terminate-process');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-terminate-process' });
    const pik = pi.processInstanceKey;
    const [long] = await te.jobs('fl-long');

    // when
    await te.completeOne('fl-short');

    // then
    const done = await te.engine.getProcessInstance(pik);
    t.is(done.state, 'COMPLETED');
    const history = await te.engine.getHistory(pik);
    t.deepEqual(intentsOf(history, 'long'), [
      'ELEMENT_ACTIVATED',
      'JOB_CREATED',
      'JOB_CANCELED',
      'ELEMENT_TERMINATED',
    ]);
    t.false(history.some((e) => e.elementId === 'longDone'));
    t.is(history.at(-1)?.intent, 'PROCESS_INSTANCE_COMPLETED');
    t.false(history.some((e) => e.intent === 'PROCESS_INSTANCE_TERMINATED'));
    await t.throwsAsync(te.engine.completeJob({ jobKey: long.key }), { instanceOf: NotFoundError });
    t.deepEqual(await te.jobs('fl-long'), []);
  } finally {
    await te.close();
  }
});
