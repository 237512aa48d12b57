import test from 'ava';
import type { HistoryEvent, WorkflowEngine } from '../../engine/port.ts';
import { createTestEngine } from '../helpers/engine.ts';

/** Root-scope variables of an instance as a plain object. */
async function rootVariables(engine: WorkflowEngine, pik: string): Promise<Record<string, unknown>> {
  const vars = await engine.getVariables(pik);
  return Object.fromEntries(vars.filter((v) => v.scopeKey === pik).map((v) => [v.name, v.value]));
}

/** The lifecycle intents of one element, in order (variable and job events left out). */
function lifecycle(history: HistoryEvent[], elementId: string): string[] {
  return history
    .filter((e) => e.elementId === elementId && e.intent.startsWith('ELEMENT_'))
    .map((e) => e.intent);
}

/** Throws a BPMN error from the one open job of a type. */
async function throwFrom(
  engine: WorkflowEngine,
  jobs: (type: string) => Promise<{ key: string }[]>,
  type: string,
  errorCode: string,
  variables?: Record<string, unknown>,
): Promise<void> {
  const open = await jobs(type);
  if (open.length !== 1) throw new Error(`expected one job of type ${type}, got ${open.length}`);
  await engine.throwError({
    jobKey: open[0].key,
    errorCode,
    errorMessage: `${errorCode} happened`,
    variables,
  });
}

test('a BPMN error from a job is caught by the error boundary on its task and the error variables reach the catch path', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-error-task-boundary');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-error-task-boundary',
      variables: { orderId: 'O-1' },
    });
    const pik = pi.processInstanceKey;

    // when
    await throwFrom(te.engine, te.jobs, 'fl-pay', 'PAYMENT_DECLINED', { declineReason: 'card expired' });

    // then
    const history = await te.engine.getHistory(pik);
    t.deepEqual(lifecycle(history, 'pay'), ['ELEMENT_ACTIVATED', 'ELEMENT_TERMINATED']);
    t.deepEqual(lifecycle(history, 'declined'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.deepEqual(lifecycle(history, 'paid'), []);
    const [fallback] = await te.jobs('fl-fallback');
    t.deepEqual(fallback.variables, { orderId: 'O-1', declineReason: 'card expired' });

    await te.engine.completeJob({ jobKey: fallback.key });
    t.is((await te.engine.getProcessInstance(pik)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pik), { declineReason: 'card expired', orderId: 'O-1' });
  } finally {
    await te.close();
  }
});

test('an error code no boundary catches raises UNHANDLED_ERROR_EVENT on the task', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-error-task-boundary');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-error-task-boundary' });

    // when
    await throwFrom(te.engine, te.jobs, 'fl-pay', 'SOMETHING_ELSE');

    // then
    const [incident] = await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
    t.is(incident.errorType, 'UNHANDLED_ERROR_EVENT');
    t.is(incident.elementId, 'pay');
    t.deepEqual(lifecycle(await te.engine.getHistory(pi.processInstanceKey), 'declined'), []);
    t.deepEqual(await te.jobs('fl-fallback'), []);
  } finally {
    await te.close();
  }
});

test('an error the inner sub-process does not catch is caught by the boundary of the outer sub-process', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-error-outer-subprocess');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-error-outer-subprocess' });
    const pik = pi.processInstanceKey;

    // when
    await throwFrom(te.engine, te.jobs, 'fl-reserve', 'STOCK_OUT');

    // then
    const history = await te.engine.getHistory(pik);
    for (const id of ['reserve', 'inner', 'outer'])
      t.deepEqual(lifecycle(history, id), ['ELEMENT_ACTIVATED', 'ELEMENT_TERMINATED'], id);
    t.deepEqual(lifecycle(history, 'innerCatch'), []);
    t.deepEqual(lifecycle(history, 'outerCatch'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.is((await te.jobs('fl-restock')).length, 1);
    const now = await te.engine.getProcessInstance(pik);
    t.is(now.state, 'ACTIVE');
    t.false(now.hasIncident);
  } finally {
    await te.close();
  }
});

test('an error event sub-process inside a sub-process catches the error before the boundary on that sub-process', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-error-event-subprocess');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-error-event-subprocess' });
    const pik = pi.processInstanceKey;

    // when
    await throwFrom(te.engine, te.jobs, 'fl-validate', 'VALIDATION');

    // then: the event sub-process runs inside `handling`; the boundary never fires
    let history = await te.engine.getHistory(pik);
    t.deepEqual(lifecycle(history, 'validate'), ['ELEMENT_ACTIVATED', 'ELEMENT_TERMINATED']);
    t.deepEqual(lifecycle(history, 'onValidation'), ['ELEMENT_ACTIVATED']);
    t.deepEqual(lifecycle(history, 'boundaryCatch'), []);
    t.deepEqual(await te.jobs('fl-via-boundary'), []);

    // when: the event sub-process finishes
    await te.completeOne('fl-fix');

    // then: the sub-process completes and takes its normal outgoing flow
    history = await te.engine.getHistory(pik);
    t.deepEqual(lifecycle(history, 'onValidation'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.deepEqual(lifecycle(history, 'handling'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.is((await te.jobs('fl-after')).length, 1);
  } finally {
    await te.close();
  }
});

test('an error end event inside a sub-process is caught by the error boundary of that sub-process', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-error-end-event');
    const rejected = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-error-end-event' });
    const approved = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-error-end-event' });
    const jobs = await te.jobs('fl-check');
    const jobOf = (pik: string) => jobs.find((j) => j.processInstanceKey === pik)!;

    // when
    await te.engine.completeJob({
      jobKey: jobOf(rejected.processInstanceKey).key,
      variables: { approved: false },
    });
    await te.engine.completeJob({
      jobKey: jobOf(approved.processInstanceKey).key,
      variables: { approved: true },
    });

    // then: the rejected one left through the boundary
    const history = await te.engine.getHistory(rejected.processInstanceKey);
    t.deepEqual(lifecycle(history, 'rejected'), ['ELEMENT_ACTIVATED', 'ELEMENT_TERMINATED']);
    t.deepEqual(lifecycle(history, 'review'), ['ELEMENT_ACTIVATED', 'ELEMENT_TERMINATED']);
    t.deepEqual(lifecycle(history, 'rejectedCatch'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    const rework = await te.jobs('fl-rework');
    t.deepEqual(
      rework.map((j) => j.processInstanceKey),
      [rejected.processInstanceKey],
    );
    // and: the approved one went on normally
    const after = await te.jobs('fl-after');
    t.deepEqual(
      after.map((j) => j.processInstanceKey),
      [approved.processInstanceKey],
    );
  } finally {
    await te.close();
  }
});

test('a catch-all error boundary catches any error code', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-error-catch-all');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-error-catch-all' });

    // when
    await throwFrom(te.engine, te.jobs, 'fl-risky', 'SOMETHING_ELSE');

    // then
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(lifecycle(history, 'anyError'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.deepEqual(lifecycle(history, 'timeoutError'), []);
    t.is((await te.jobs('fl-any-path')).length, 1);
    t.deepEqual(await te.jobs('fl-timeout-path'), []);
  } finally {
    await te.close();
  }
});

test('an error boundary with the thrown code wins over a catch-all boundary on the same task', async (t) => {
  const te = await createTestEngine();
  try {
    // given: the catch-all boundary comes first in the document
    await te.deployFixture('fl-error-catch-all');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-error-catch-all' });

    // when
    await throwFrom(te.engine, te.jobs, 'fl-risky', 'TIMEOUT');

    // then
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(lifecycle(history, 'timeoutError'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    t.deepEqual(lifecycle(history, 'anyError'), []);
    t.is((await te.jobs('fl-timeout-path')).length, 1);
    t.deepEqual(await te.jobs('fl-any-path'), []);
  } finally {
    await te.close();
  }
});
