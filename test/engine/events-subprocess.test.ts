import test, { type ExecutionContext } from 'ava';
import { NotFoundError } from '../../common/errors.ts';
import type { ActivatedJob, HistoryEvent, UserTask } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

const HOUR = 3_600_000;

/** Activates every open job of a type for a month, so that advancing the clock does not time them out. */
function activate(te: TestEngine, type: string): Promise<ActivatedJob[]> {
  return te.engine.activateJobs({ type, worker: 'events-test', maxJobsToActivate: 100, timeout: 720 * HOUR });
}

async function userTask(te: TestEngine, processInstanceKey: string, elementId: string): Promise<UserTask> {
  const found = await te.engine.searchUserTasks({ filter: { processInstanceKey, elementId } });
  if (found.items.length !== 1)
    throw new Error(`expected one user task ${elementId}, got ${found.items.length}`);
  return found.items[0];
}

function ids(events: HistoryEvent[], intent: HistoryEvent['intent']): string[] {
  return events.filter((e) => e.intent === intent).map((e) => e.elementId ?? '');
}

type Kind = 'message' | 'timer' | 'error' | 'escalation';

/**
 * The interrupting fixtures share one shape: a fork into the user task `review` and the job `ev-work`
 * (followed by the escalation throw `raise` in the escalation variant), joined before the end; the event
 * sub-process `esp` runs the job `ev-handle-<kind>`. In the `-sub-` variants all of it sits in the embedded
 * sub-process `sub`, followed by the job `ev-after-sub`.
 */
async function interruptingEventSubProcess(
  t: ExecutionContext,
  kind: Kind,
  inSub: boolean,
  trigger: (te: TestEngine, work: ActivatedJob) => Promise<void>,
): Promise<void> {
  const fixture = inSub ? `ev-esp-sub-${kind}-interrupting` : `ev-esp-${kind}-interrupting`;
  const te = await createTestEngine();
  try {
    await te.deployFixture(fixture);
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: fixture,
      variables: { caseId: 'C-1' },
    });
    const key = pi.processInstanceKey;
    const [work] = await activate(te, 'ev-work');
    t.is((await userTask(te, key, 'review')).state, 'CREATED');

    await trigger(te, work);

    t.is((await userTask(te, key, 'review')).state, 'CANCELED');
    if (kind === 'message' || kind === 'timer') {
      const gone = await t.throwsAsync(te.engine.completeJob({ jobKey: work.key }), {
        instanceOf: NotFoundError,
      });
      t.is(gone?.code, 'JOB_NOT_FOUND');
    }
    let history = await te.engine.getHistory(key);
    const terminated = ids(history, 'ELEMENT_TERMINATED').sort();
    t.deepEqual(terminated, kind === 'escalation' ? ['raise', 'review'] : ['review', 'work']);
    const lastTerminated = history.findLastIndex((e) => e.intent === 'ELEMENT_TERMINATED');
    const espActivated = history.findIndex((e) => e.intent === 'ELEMENT_ACTIVATED' && e.elementId === 'esp');
    t.true(
      lastTerminated >= 0 && espActivated > lastTerminated,
      'the other children end before the event sub-process starts',
    );
    t.is(history[espActivated].elementType, 'EVENT_SUB_PROCESS');
    t.deepEqual(
      ids(history, 'ELEMENT_ACTIVATED').filter((id) => id === 'join'),
      [],
      'the join is never reached',
    );
    t.is((await te.engine.getProcessInstance(key)).state, 'ACTIVE');

    await te.completeOne(`ev-handle-${kind}`);

    history = await te.engine.getHistory(key);
    t.true(ids(history, 'ELEMENT_COMPLETED').includes('esp'));
    if (!inSub) {
      t.is((await te.engine.getProcessInstance(key)).state, 'COMPLETED');
      t.false(history.some((e) => e.elementId === 'done'));
      return;
    }
    t.true(
      ids(history, 'ELEMENT_COMPLETED').includes('sub'),
      'the sub-process completes with its event sub-process',
    );
    t.false(ids(history, 'ELEMENT_TERMINATED').includes('sub'));
    t.false(history.some((e) => e.elementId === 'sub-end'));
    t.is((await te.engine.getProcessInstance(key)).state, 'ACTIVE');
    await te.completeOne('ev-after-sub');
    t.is((await te.engine.getProcessInstance(key)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
}

const triggers: Record<Kind, (te: TestEngine, work: ActivatedJob) => Promise<void>> = {
  message: async (te) => {
    await te.engine.publishMessage({ name: 'ev-cancel-request', correlationKey: 'C-1' });
  },
  timer: (te) => te.advance(2 * HOUR),
  error: (te, work) => te.engine.throwError({ jobKey: work.key, errorCode: 'WORK_FAILED' }),
  escalation: (te, work) => te.engine.completeJob({ jobKey: work.key }),
};

const described: Record<Kind, string> = {
  message: 'a message',
  timer: 'a timer',
  error: 'an error thrown by a job',
  escalation: 'an escalation thrown inside',
};

for (const kind of ['message', 'timer', 'error', 'escalation'] as const) {
  test(`an interrupting event sub-process started by ${described[kind]} ends the other elements of the process, which completes with it`, (t) =>
    interruptingEventSubProcess(t, kind, false, triggers[kind]));
  test(`an interrupting event sub-process started by ${described[kind]} in an embedded sub-process ends the other elements there, and the sub-process completes with it`, (t) =>
    interruptingEventSubProcess(t, kind, true, triggers[kind]));
}

test('an interrupting message event sub-process does not start before its message arrives', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-esp-message-interrupting');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-esp-message-interrupting',
      variables: { caseId: 'C-1' },
    });

    await te.engine.publishMessage({ name: 'ev-cancel-request', correlationKey: 'C-2' });
    await te.completeOne('ev-work');
    await te.engine.completeUserTask({
      userTaskKey: (await userTask(te, pi.processInstanceKey, 'review')).userTaskKey,
    });

    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.false((await te.engine.getHistory(pi.processInstanceKey)).some((e) => e.elementId === 'esp'));
  } finally {
    await te.close();
  }
});

test('an interrupting message event sub-process starts only once, however many messages arrive', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-esp-message-interrupting');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-esp-message-interrupting',
      variables: { caseId: 'C-1' },
    });

    await te.engine.publishMessage({ name: 'ev-cancel-request', correlationKey: 'C-1' });
    await te.engine.publishMessage({ name: 'ev-cancel-request', correlationKey: 'C-1' });

    t.is((await activate(te, 'ev-handle-message')).length, 1);
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.is(history.filter((e) => e.intent === 'MESSAGE_CORRELATED').length, 1);
  } finally {
    await te.close();
  }
});

test('a non-interrupting message event sub-process runs alongside on every message and the process waits for it', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-esp-message-noninterrupting');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-esp-message-noninterrupting',
      variables: { caseId: 'C-1' },
    });
    const key = pi.processInstanceKey;

    await te.engine.publishMessage({ name: 'ev-info', correlationKey: 'C-1', variables: { info: 'photo' } });
    await te.engine.publishMessage({
      name: 'ev-info',
      correlationKey: 'C-1',
      variables: { info: 'address' },
    });

    const handled = await activate(te, 'ev-handle-message');
    t.is(handled.length, 2);
    const review = await userTask(te, key, 'review');
    t.is(review.state, 'CREATED');
    let history = await te.engine.getHistory(key);
    t.deepEqual(ids(history, 'ELEMENT_TERMINATED'), []);
    t.deepEqual(
      ids(history, 'ELEMENT_ACTIVATED').filter((id) => id === 'esp'),
      ['esp', 'esp'],
    );

    await te.engine.completeUserTask({ userTaskKey: review.userTaskKey });
    history = await te.engine.getHistory(key);
    t.true(ids(history, 'ELEMENT_COMPLETED').includes('done'));
    t.is(
      (await te.engine.getProcessInstance(key)).state,
      'ACTIVE',
      'the process waits for its event sub-processes',
    );

    await te.engine.completeJob({ jobKey: handled[0].key });
    t.is((await te.engine.getProcessInstance(key)).state, 'ACTIVE');
    await te.engine.completeJob({ jobKey: handled[1].key });
    t.is((await te.engine.getProcessInstance(key)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('a non-interrupting timer event sub-process fires on each cycle alongside and the process waits for it', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-esp-timer-noninterrupting');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-esp-timer-noninterrupting' });
    const key = pi.processInstanceKey;
    const handled: ActivatedJob[] = [];

    for (let hour = 1; hour <= 3; hour++) {
      await te.advance(HOUR);
      handled.push(...(await activate(te, 'ev-handle-timer')));
      t.is(handled.length, Math.min(hour, 2), `event sub-processes after ${hour} h`);
    }

    const review = await userTask(te, key, 'review');
    t.is(review.state, 'CREATED');
    t.deepEqual(
      (await te.engine.getHistory(key))
        .filter((e) => e.intent === 'TIMER_TRIGGERED')
        .map((e) => e.payload.dueDate),
      ['2026-01-05T02:00:00.000Z', '2026-01-05T03:00:00.000Z'],
    );

    await te.engine.completeUserTask({ userTaskKey: review.userTaskKey });
    t.is((await te.engine.getProcessInstance(key)).state, 'ACTIVE');
    for (const job of handled) await te.engine.completeJob({ jobKey: job.key });
    t.is((await te.engine.getProcessInstance(key)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});
