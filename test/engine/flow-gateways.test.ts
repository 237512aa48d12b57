import test from 'ava';
import type { HistoryEvent, WorkflowEngine } from '../../engine/port.ts';
import { createTestEngine } from '../helpers/engine.ts';

/** Ids of the elements that completed (or activated) with an intent, in order. */
function ids(history: HistoryEvent[], intent: HistoryEvent['intent']): (string | undefined)[] {
  return history.filter((e) => e.intent === intent).map((e) => e.elementId);
}

async function historyOf(engine: WorkflowEngine, pik: string): Promise<HistoryEvent[]> {
  return engine.getHistory(pik);
}

test('an exclusive gateway takes the first flow whose condition is true, in document order, else the default', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-exclusive-first-match');

    // when: 5000 satisfies both conditions, 500 only the second, 5 neither
    const large = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-exclusive-first-match',
      variables: { amount: 5000 },
    });
    const medium = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-exclusive-first-match',
      variables: { amount: 500 },
    });
    const small = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-exclusive-first-match',
      variables: { amount: 5 },
    });

    // then
    for (const pi of [large, medium, small]) t.is(pi.state, 'COMPLETED');
    t.deepEqual(ids(await historyOf(te.engine, large.processInstanceKey), 'SEQUENCE_FLOW_TAKEN'), [
      'f1',
      'toLarge',
    ]);
    t.deepEqual(ids(await historyOf(te.engine, medium.processInstanceKey), 'SEQUENCE_FLOW_TAKEN'), [
      'f1',
      'toMedium',
    ]);
    t.deepEqual(ids(await historyOf(te.engine, small.processInstanceKey), 'SEQUENCE_FLOW_TAKEN'), [
      'f1',
      'toSmall',
    ]);
    t.deepEqual(ids(await historyOf(te.engine, small.processInstanceKey), 'ELEMENT_COMPLETED'), [
      'start',
      'size',
      'small',
    ]);
  } finally {
    await te.close();
  }
});

test('an exclusive gateway with no true condition and no default raises CONDITION_ERROR; fixing the variable and resolving continues on the right flow', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-exclusive-no-match');

    // when
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-exclusive-no-match',
      variables: { route: 'c' },
    });

    // then
    t.is(pi.state, 'ACTIVE');
    t.true(pi.hasIncident);
    const incidents = await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
    t.is(incidents.length, 1);
    const [incident] = incidents;
    t.is(incident.errorType, 'CONDITION_ERROR');
    t.is(incident.elementId, 'route');
    t.is(incident.state, 'ACTIVE');
    t.deepEqual(ids(await historyOf(te.engine, pi.processInstanceKey), 'ELEMENT_COMPLETED'), ['start']);

    // when: the variable is fixed and the incident resolved
    await te.engine.setVariables({ elementInstanceKey: pi.processInstanceKey, variables: { route: 'b' } });
    await te.engine.resolveIncident(incident.incidentKey);

    // then
    const done = await te.engine.getProcessInstance(pi.processInstanceKey);
    t.is(done.state, 'COMPLETED');
    t.false(done.hasIncident);
    const history = await historyOf(te.engine, pi.processInstanceKey);
    t.deepEqual(ids(history, 'SEQUENCE_FLOW_TAKEN'), ['f1', 'toB']);
    t.deepEqual(ids(history, 'ELEMENT_COMPLETED'), ['start', 'route', 'endB']);
    t.deepEqual(
      (await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey })).map((i) => i.state),
      ['RESOLVED'],
    );
  } finally {
    await te.close();
  }
});

test('a gateway condition that evaluates to null raises CONDITION_ERROR even though a default flow exists', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-exclusive-null-condition');

    // when: `amount > 100` without amount is null, not false
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-exclusive-null-condition' });

    // then
    t.is(pi.state, 'ACTIVE');
    const [incident] = await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
    t.is(incident.errorType, 'CONDITION_ERROR');
    t.is(incident.elementId, 'check');
    t.regex(incident.errorMessage, /BOOLEAN/);
    t.regex(incident.errorMessage, /NULL/);
    t.false(
      (await historyOf(te.engine, pi.processInstanceKey)).some(
        (e) => e.intent === 'SEQUENCE_FLOW_TAKEN' && e.elementId === 'toDefault',
      ),
    );

    // when
    await te.engine.setVariables({ elementInstanceKey: pi.processInstanceKey, variables: { amount: 500 } });
    await te.engine.resolveIncident(incident.incidentKey);

    // then
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(ids(await historyOf(te.engine, pi.processInstanceKey), 'SEQUENCE_FLOW_TAKEN'), [
      'f1',
      'toBig',
    ]);
  } finally {
    await te.close();
  }
});

test('a parallel join waits for every branch and then continues once; each branch runs once', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-parallel');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-parallel' });

    // when: two of three branches complete
    await te.completeOne('fl-branch-a', { a: 1 });
    await te.completeOne('fl-branch-c', { c: 3 });

    // then: the join still waits
    t.deepEqual(await te.jobs('fl-after'), []);
    t.false(
      (await historyOf(te.engine, pi.processInstanceKey)).some(
        (e) => e.intent === 'ELEMENT_ACTIVATED' && e.elementId === 'join',
      ),
    );

    // when: the last branch completes
    await te.completeOne('fl-branch-b', { b: 2 });

    // then
    const after = await te.jobs('fl-after');
    t.is(after.length, 1);
    t.deepEqual(after[0].variables, { a: 1, b: 2, c: 3 });
    await te.engine.completeJob({ jobKey: after[0].key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    const history = await historyOf(te.engine, pi.processInstanceKey);
    const activated = ids(history, 'ELEMENT_ACTIVATED');
    for (const id of ['fork', 'a', 'b', 'c', 'join', 'after', 'end'])
      t.is(activated.filter((a) => a === id).length, 1, `${id} activated once`);
    t.deepEqual(
      ids(history, 'SEQUENCE_FLOW_TAKEN').filter((f) => f?.startsWith('from')),
      ['fromA', 'fromC', 'fromB'],
    );
  } finally {
    await te.close();
  }
});

test('an inclusive gateway starts every branch whose condition holds and its join waits only for those', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-inclusive');

    // when: two of three conditions are true
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-inclusive',
      variables: { sms: true, email: true, post: false },
    });

    // then: only those two branches run
    t.deepEqual(ids(await historyOf(te.engine, pi.processInstanceKey), 'SEQUENCE_FLOW_TAKEN'), [
      'f1',
      'toSms',
      'toEmail',
    ]);
    t.deepEqual(await te.jobs('fl-post'), []);

    // when: one of them completes
    await te.completeOne('fl-sms', { smsSent: true });

    // then: the join waits for the other taken branch
    t.deepEqual(await te.jobs('fl-summary'), []);

    // when: the other completes
    await te.completeOne('fl-email', { emailSent: true });

    // then: the join fires once, without waiting for the untaken branch
    const summary = await te.jobs('fl-summary');
    t.is(summary.length, 1);
    await te.engine.completeJob({ jobKey: summary[0].key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    const history = await historyOf(te.engine, pi.processInstanceKey);
    t.is(ids(history, 'ELEMENT_ACTIVATED').filter((id) => id === 'sent').length, 1);
    t.is(ids(history, 'ELEMENT_ACTIVATED').filter((id) => id === 'summary').length, 1);
    t.false(ids(history, 'ELEMENT_ACTIVATED').includes('post'));
  } finally {
    await te.close();
  }
});
