import test from 'ava';
import { NotFoundError } from '../../common/errors.ts';
import type { ActivatedJob, HistoryEvent } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

const HOUR = 3_600_000;

/** Activates every open job of a type for a month, so that advancing the clock does not time them out. */
function activate(te: TestEngine, type: string): Promise<ActivatedJob[]> {
  return te.engine.activateJobs({ type, worker: 'events-test', maxJobsToActivate: 100, timeout: 720 * HOUR });
}

/** Element ids that were activated, in order. */
function activated(events: HistoryEvent[]): string[] {
  return events.filter((e) => e.intent === 'ELEMENT_ACTIVATED').map((e) => e.elementId ?? '');
}

async function startGateway(te: TestEngine): Promise<string> {
  await te.deployFixture('ev-event-gateway');
  const pi = await te.engine.createProcessInstance({
    bpmnProcessId: 'ev-event-gateway',
    variables: { caseId: 'C-1' },
  });
  return pi.processInstanceKey;
}

test('at an event-based gateway a message that arrives first wins and the timer is cancelled', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startGateway(te);

    await te.engine.publishMessage({ name: 'ev-answer', correlationKey: 'C-1', variables: { answer: 'ok' } });
    await te.advance(25 * HOUR);

    const [processAnswer] = await activate(te, 'ev-process-answer');
    t.is(processAnswer.variables.answer, 'ok');
    t.deepEqual(await activate(te, 'ev-chase'), []);
    const history = await te.engine.getHistory(pi);
    t.deepEqual(activated(history), ['start', 'decide', 'answer', 'process-answer']);
    t.deepEqual(
      history.filter((e) => e.intent === 'TIMER_TRIGGERED'),
      [],
    );
    t.deepEqual(
      history.filter((e) => e.intent === 'MESSAGE_CORRELATED').map((e) => e.payload.elementId),
      ['answer'],
    );
  } finally {
    await te.close();
  }
});

test('at an event-based gateway a timer that fires first wins and the message subscription is gone', async (t) => {
  const te = await createTestEngine();
  try {
    const pi = await startGateway(te);

    await te.advance(24 * HOUR);

    t.is((await activate(te, 'ev-chase')).length, 1);
    const error = await t.throwsAsync(
      te.engine.correlateMessage({ name: 'ev-answer', correlationKey: 'C-1' }),
      {
        instanceOf: NotFoundError,
      },
    );
    t.is(error?.code, 'NO_SUBSCRIPTION');
    await te.engine.publishMessage({ name: 'ev-answer', correlationKey: 'C-1' });
    t.deepEqual(await activate(te, 'ev-process-answer'), []);
    const history = await te.engine.getHistory(pi);
    t.deepEqual(activated(history), ['start', 'decide', 'no-answer', 'chase']);
    t.deepEqual(
      history.filter((e) => e.intent === 'MESSAGE_CORRELATED'),
      [],
    );
  } finally {
    await te.close();
  }
});

test('an event-based gateway takes a message buffered before it was reached', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-event-gateway');
    await te.engine.publishMessage({ name: 'ev-answer', correlationKey: 'C-1', timeToLive: HOUR });

    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-event-gateway',
      variables: { caseId: 'C-1' },
    });
    await te.advance(25 * HOUR);

    t.is((await activate(te, 'ev-process-answer')).length, 1);
    t.deepEqual(await activate(te, 'ev-chase'), []);
    t.deepEqual(activated(await te.engine.getHistory(pi.processInstanceKey)), [
      'start',
      'decide',
      'answer',
      'process-answer',
    ]);
  } finally {
    await te.close();
  }
});
