import test from 'ava';
import { NotFoundError } from '../../common/errors.ts';
import type { ActivatedJob, HistoryEvent, HistoryIntent, UserTask } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Activates every open job of a type for a month, so that advancing the clock does not time them out. */
function activate(te: TestEngine, type: string): Promise<ActivatedJob[]> {
  return te.engine.activateJobs({ type, worker: 'events-test', maxJobsToActivate: 100, timeout: 720 * HOUR });
}

/** `INTENT elementId` of the history events with one of the intents, in order. */
function trace(events: HistoryEvent[], intents?: HistoryIntent[]): string[] {
  return events
    .filter((e) => intents === undefined || intents.includes(e.intent))
    .map((e) => `${e.intent} ${e.elementId ?? ''}`);
}

/** The history from the first event with an intent on. */
function from(events: HistoryEvent[], intent: HistoryIntent): HistoryEvent[] {
  const i = events.findIndex((e) => e.intent === intent);
  return i < 0 ? [] : events.slice(i);
}

async function userTask(te: TestEngine, processInstanceKey: string, elementId: string): Promise<UserTask> {
  const found = await te.engine.searchUserTasks({ filter: { processInstanceKey, elementId } });
  if (found.items.length !== 1)
    throw new Error(`expected one user task ${elementId}, got ${found.items.length}`);
  return found.items[0];
}

const FLOW_AND_ELEMENTS: HistoryIntent[] = [
  'ELEMENT_ACTIVATED',
  'ELEMENT_COMPLETED',
  'ELEMENT_TERMINATED',
  'SEQUENCE_FLOW_TAKEN',
];

test('an interrupting timer boundary terminates the service task and takes the timer path', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-timer-interrupting');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-timer-interrupting' });
    const [work] = await activate(te, 'ev-work');

    await te.advance(59 * MINUTE);
    t.deepEqual(await activate(te, 'ev-chase'), [], 'the timer is not due before the hour');

    await te.advance(MINUTE);

    const gone = await t.throwsAsync(te.engine.completeJob({ jobKey: work.key }), {
      instanceOf: NotFoundError,
    });
    t.is(gone?.code, 'JOB_NOT_FOUND');
    const chase = await activate(te, 'ev-chase');
    t.deepEqual(
      chase.map((j) => j.processInstanceKey),
      [pi.processInstanceKey],
    );
    const history = await te.engine.getHistory(pi.processInstanceKey);
    const fired = from(history, 'TIMER_TRIGGERED');
    t.deepEqual(trace(fired), [
      'TIMER_TRIGGERED work',
      'JOB_CANCELED work',
      'ELEMENT_TERMINATED work',
      'ELEMENT_ACTIVATED timeout',
      'ELEMENT_COMPLETED timeout',
      'SEQUENCE_FLOW_TAKEN f3',
      'ELEMENT_ACTIVATED chase',
      'JOB_CREATED chase',
    ]);
    t.is(fired[0].payload.elementId, 'timeout');
    t.is(fired[0].payload.dueDate, '2026-01-05T02:00:00.000Z');

    await te.engine.completeJob({ jobKey: chase[0].key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    const ends = trace(await te.engine.getHistory(pi.processInstanceKey), ['ELEMENT_COMPLETED']).filter((e) =>
      e.endsWith('done'),
    );
    t.deepEqual(ends, [], 'the normal end is never reached');
  } finally {
    await te.close();
  }
});

test('a service task that completes before its timer boundary is due cancels the timer', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-timer-interrupting');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-timer-interrupting' });
    await te.advance(30 * MINUTE);
    await te.completeOne('ev-work');

    await te.advance(2 * HOUR);

    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await activate(te, 'ev-chase'), []);
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(trace(history, ['TIMER_CREATED', 'TIMER_TRIGGERED']), ['TIMER_CREATED work']);
    t.deepEqual(trace(history, FLOW_AND_ELEMENTS), [
      'ELEMENT_ACTIVATED start',
      'ELEMENT_COMPLETED start',
      'SEQUENCE_FLOW_TAKEN f1',
      'ELEMENT_ACTIVATED work',
      'ELEMENT_COMPLETED work',
      'SEQUENCE_FLOW_TAKEN f2',
      'ELEMENT_ACTIVATED done',
      'ELEMENT_COMPLETED done',
    ]);
  } finally {
    await te.close();
  }
});

test('a non-interrupting timer cycle boundary fires three times while the user task waits, then no more', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-timer-cycle');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-timer-cycle' });
    const reminders: ActivatedJob[] = [];

    for (let hour = 1; hour <= 5; hour++) {
      await te.advance(HOUR);
      reminders.push(...(await activate(te, 'ev-remind')));
      t.is(reminders.length, Math.min(hour, 3), `reminders after ${hour} h`);
    }

    const review = await userTask(te, pi.processInstanceKey, 'review');
    t.is(review.state, 'CREATED');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(
      history.filter((e) => e.intent === 'TIMER_TRIGGERED').map((e) => e.payload.dueDate),
      ['2026-01-05T02:00:00.000Z', '2026-01-05T03:00:00.000Z', '2026-01-05T04:00:00.000Z'],
    );
    t.is(history.filter((e) => e.intent === 'ELEMENT_ACTIVATED' && e.elementId === 'remind').length, 3);

    await te.engine.completeUserTask({ userTaskKey: review.userTaskKey });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'ACTIVE', 'reminders still run');
    for (const job of reminders) await te.engine.completeJob({ jobKey: job.key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('completing the user task stops the timer cycle of its non-interrupting boundary', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-timer-cycle');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-timer-cycle' });
    await te.advance(HOUR);
    const review = await userTask(te, pi.processInstanceKey, 'review');

    await te.engine.completeUserTask({ userTaskKey: review.userTaskKey });
    await te.advance(HOUR);
    await te.advance(HOUR);

    const reminders = await activate(te, 'ev-remind');
    t.is(reminders.length, 1);
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.is(history.filter((e) => e.intent === 'TIMER_TRIGGERED').length, 1);
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'ACTIVE');
    await te.engine.completeJob({ jobKey: reminders[0].key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('an interrupting message boundary cancels the user task and continues with the message variables', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-message-interrupting');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-boundary-message-interrupting',
      variables: { caseId: 'C-1' },
    });

    await te.engine.publishMessage({ name: 'ev-withdrawn', correlationKey: 'C-2' });
    t.is(
      (await userTask(te, pi.processInstanceKey, 'handle')).state,
      'CREATED',
      'another key does not match',
    );

    const { messageKey } = await te.engine.publishMessage({
      name: 'ev-withdrawn',
      correlationKey: 'C-1',
      variables: { reason: 'duplicate' },
    });

    t.is((await userTask(te, pi.processInstanceKey, 'handle')).state, 'CANCELED');
    const [archive] = await activate(te, 'ev-archive');
    t.is(archive.processInstanceKey, pi.processInstanceKey);
    t.deepEqual(archive.variables, { caseId: 'C-1', reason: 'duplicate' });
    const history = await te.engine.getHistory(pi.processInstanceKey);
    const correlated = from(history, 'MESSAGE_CORRELATED');
    t.deepEqual(trace(correlated), [
      'MESSAGE_CORRELATED handle',
      'USER_TASK_CANCELED handle',
      'ELEMENT_TERMINATED handle',
      'ELEMENT_ACTIVATED withdrawn',
      'VARIABLE_CREATED ev-boundary-message-interrupting',
      'ELEMENT_COMPLETED withdrawn',
      'SEQUENCE_FLOW_TAKEN f3',
      'ELEMENT_ACTIVATED archive',
      'JOB_CREATED archive',
    ]);
    t.like(correlated[0].payload, { messageKey, messageName: 'ev-withdrawn', correlationKey: 'C-1' });
  } finally {
    await te.close();
  }
});

test('a non-interrupting message boundary can be correlated several times while the service task runs', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-message-noninterrupting');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-boundary-message-noninterrupting',
      variables: { caseId: 'C-7' },
    });
    const [work] = await activate(te, 'ev-work');

    for (let i = 1; i <= 3; i++) {
      await te.engine.publishMessage({ name: 'ev-update', correlationKey: 'C-7', variables: { update: i } });
    }

    const updates = await activate(te, 'ev-apply-update');
    t.is(updates.length, 3);
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.is(history.filter((e) => e.intent === 'MESSAGE_CORRELATED').length, 3);
    t.deepEqual(trace(history, ['ELEMENT_TERMINATED', 'JOB_CANCELED']), []);
    const variables = await te.engine.getVariables(pi.processInstanceKey);
    t.deepEqual(
      variables.map((v) => [v.scopeKey, v.name, v.value]),
      [
        [pi.processInstanceKey, 'caseId', 'C-7'],
        [pi.processInstanceKey, 'update', 3],
      ],
      'each message merged its variables into the process',
    );

    await te.engine.completeJob({ jobKey: work.key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'ACTIVE');
    for (const job of updates) await te.engine.completeJob({ jobKey: job.key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('an interrupting signal boundary terminates the sub-process with everything inside it', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-signal-interrupting');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-signal-interrupting' });
    const [measure] = await activate(te, 'ev-measure');
    t.is((await userTask(te, pi.processInstanceKey, 'inner-task')).state, 'CREATED');

    await te.engine.broadcastSignal({ signalName: 'ev-cancel-all' });

    t.is((await userTask(te, pi.processInstanceKey, 'inner-task')).state, 'CANCELED');
    const gone = await t.throwsAsync(te.engine.completeJob({ jobKey: measure.key }), {
      instanceOf: NotFoundError,
    });
    t.is(gone?.code, 'JOB_NOT_FOUND');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    const terminated = trace(history, ['ELEMENT_TERMINATED']);
    t.is(terminated.length, 3);
    t.deepEqual(
      [...terminated.slice(0, 2)].sort(),
      ['ELEMENT_TERMINATED inner-job', 'ELEMENT_TERMINATED inner-task'],
      'the children end first',
    );
    t.is(terminated[2], 'ELEMENT_TERMINATED sub');
    t.deepEqual(trace(history, ['SIGNAL_RECEIVED']), ['SIGNAL_RECEIVED sub']);

    await te.completeOne('ev-report-cancel');
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    const reachedDone = (await te.engine.getHistory(pi.processInstanceKey)).some(
      (e) => e.elementId === 'done',
    );
    t.false(reachedDone);
  } finally {
    await te.close();
  }
});

test('a non-interrupting signal boundary runs its path on every broadcast and leaves the user task open', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-signal-noninterrupting');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-signal-noninterrupting' });

    await te.engine.broadcastSignal({ signalName: 'ev-alarm', variables: { level: 1 } });
    await te.engine.broadcastSignal({ signalName: 'ev-alarm', variables: { level: 2 } });

    const notes = await activate(te, 'ev-note');
    t.is(notes.length, 2);
    const handle = await userTask(te, pi.processInstanceKey, 'handle');
    t.is(handle.state, 'CREATED');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(trace(history, ['SIGNAL_RECEIVED']), ['SIGNAL_RECEIVED handle', 'SIGNAL_RECEIVED handle']);

    await te.engine.completeUserTask({ userTaskKey: handle.userTaskKey });
    for (const job of notes) await te.engine.completeJob({ jobKey: job.key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('an error thrown by a job is caught by the error boundary of its service task', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-error-service');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-boundary-error-service',
      variables: { amount: 30 },
    });
    const [charge] = await activate(te, 'ev-charge');

    await te.engine.throwError({
      jobKey: charge.key,
      errorCode: 'PAYMENT_FAILED',
      errorMessage: 'card declined',
      variables: { declineReason: 'card expired' },
    });

    const gone = await t.throwsAsync(te.engine.completeJob({ jobKey: charge.key }), {
      instanceOf: NotFoundError,
    });
    t.is(gone?.code, 'JOB_NOT_FOUND');
    const [refund] = await activate(te, 'ev-refund');
    t.deepEqual(refund.variables, { amount: 30, declineReason: 'card expired' });
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(trace(history, ['ERROR_THROWN', 'ELEMENT_TERMINATED', 'ELEMENT_COMPLETED']), [
      'ELEMENT_COMPLETED start',
      'ERROR_THROWN charge',
      'ELEMENT_TERMINATED charge',
      'ELEMENT_COMPLETED failed',
    ]);
    t.deepEqual(await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey }), []);
  } finally {
    await te.close();
  }
});

test('an error code that no boundary catches raises an incident on the service task', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-error-service');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-error-service' });
    const [charge] = await activate(te, 'ev-charge');

    await te.engine.throwError({ jobKey: charge.key, errorCode: 'CARD_STOLEN' });

    const incidents = await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
    t.is(incidents.length, 1);
    t.like(incidents[0], { elementId: 'charge', errorType: 'UNHANDLED_ERROR_EVENT', state: 'ACTIVE' });
    t.true((await te.engine.getProcessInstance(pi.processInstanceKey)).hasIncident);
    t.deepEqual(await activate(te, 'ev-refund'), []);
  } finally {
    await te.close();
  }
});

test('an error end event inside a sub-process is caught by the boundary and ends the rest of the sub-process', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-boundary-error-subprocess');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-boundary-error-subprocess' });
    t.is((await userTask(te, pi.processInstanceKey, 'paperwork')).state, 'CREATED');

    await te.completeOne('ev-inspect');

    t.is((await userTask(te, pi.processInstanceKey, 'paperwork')).state, 'CANCELED');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(
      trace(from(history, 'ERROR_THROWN'), ['ERROR_THROWN', 'ELEMENT_TERMINATED', 'ELEMENT_ACTIVATED']),
      [
        'ERROR_THROWN reject',
        'ELEMENT_TERMINATED paperwork',
        'ELEMENT_TERMINATED reject',
        'ELEMENT_TERMINATED sub',
        'ELEMENT_ACTIVATED rejected',
        'ELEMENT_ACTIVATED rework',
      ],
    );
    t.is(from(history, 'ERROR_THROWN')[0].payload.errorCode, 'REJECTED');

    await te.completeOne('ev-rework');
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.false((await te.engine.getHistory(pi.processInstanceKey)).some((e) => e.elementId === 'done'));
  } finally {
    await te.close();
  }
});
