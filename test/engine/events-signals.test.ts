import test from 'ava';
import type { ActivatedJob, HistoryEvent } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

const HOUR = 3_600_000;

/** Activates every open job of a type for a month, so that advancing the clock does not time them out. */
function activate(te: TestEngine, type: string): Promise<ActivatedJob[]> {
  return te.engine.activateJobs({ type, worker: 'events-test', maxJobsToActivate: 100, timeout: 720 * HOUR });
}

function received(events: HistoryEvent[]): HistoryEvent[] {
  return events.filter((e) => e.intent === 'SIGNAL_RECEIVED');
}

test('a broadcast signal continues an instance waiting at a signal catch event, once, with its variables', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-signal-wait');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-signal-wait',
      variables: { site: 'A' },
    });

    await te.engine.broadcastSignal({ signalName: 'ev-other' });
    t.deepEqual(await activate(te, 'ev-proceed'), [], 'another signal name does not match');

    await te.engine.broadcastSignal({ signalName: 'ev-alarm', variables: { level: 3 } });
    await te.engine.broadcastSignal({ signalName: 'ev-alarm', variables: { level: 4 } });

    const proceed = await activate(te, 'ev-proceed');
    t.is(proceed.length, 1);
    t.deepEqual(proceed[0].variables, { site: 'A', level: 3 });
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(
      received(history).map((e) => [e.elementId, e.payload.signalName]),
      [['alarm', 'ev-alarm']],
    );
  } finally {
    await te.close();
  }
});

test('a signal broadcast while nothing waits is not kept for later', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-signal-wait');
    await te.engine.broadcastSignal({ signalName: 'ev-alarm' });

    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-signal-wait' });

    t.deepEqual(await activate(te, 'ev-proceed'), []);
    t.deepEqual(received(await te.engine.getHistory(pi.processInstanceKey)), []);
  } finally {
    await te.close();
  }
});

test('a signal start event starts one instance per broadcast with the signal variables', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-signal-start');

    await te.engine.broadcastSignal({ signalName: 'ev-alarm', variables: { level: 1 } });
    await te.engine.broadcastSignal({ signalName: 'ev-alarm', variables: { level: 2 } });

    const responses = await activate(te, 'ev-respond');
    t.deepEqual(responses.map((j) => j.variables.level).sort(), [1, 2]);
    t.is(new Set(responses.map((j) => j.processInstanceKey)).size, 2);
    t.is(responses[0].bpmnProcessId, 'ev-signal-start');
  } finally {
    await te.close();
  }
});

test('one broadcast reaches a signal catch event, a signal boundary event and a signal start event', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-signal-wait', 'ev-boundary-signal-noninterrupting', 'ev-signal-start');
    const waiting = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-signal-wait' });
    const boundary = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-boundary-signal-noninterrupting',
    });

    await te.engine.broadcastSignal({ signalName: 'ev-alarm', variables: { level: 5 } });

    const [proceed] = await activate(te, 'ev-proceed');
    const [note] = await activate(te, 'ev-note');
    const [respond] = await activate(te, 'ev-respond');
    t.is(proceed.processInstanceKey, waiting.processInstanceKey);
    t.is(note.processInstanceKey, boundary.processInstanceKey);
    t.not(respond.processInstanceKey, waiting.processInstanceKey);
    t.not(respond.processInstanceKey, boundary.processInstanceKey);
    t.deepEqual(
      [proceed, note, respond].map((j) => j.variables.level),
      [5, 5, 5],
    );
  } finally {
    await te.close();
  }
});

test('an intermediate signal throw event reaches an instance of another process waiting for the signal', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-signal-wait', 'ev-signal-throw-intermediate');
    const waiting = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-signal-wait' });

    const thrower = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-signal-throw-intermediate' });

    const [proceed] = await activate(te, 'ev-proceed');
    t.is(proceed.processInstanceKey, waiting.processInstanceKey);
    const [afterRaise] = await activate(te, 'ev-after-raise');
    t.is(afterRaise.processInstanceKey, thrower.processInstanceKey, 'the thrower goes on');
    const throwerHistory = await te.engine.getHistory(thrower.processInstanceKey);
    t.deepEqual(
      throwerHistory.filter((e) => e.elementId === 'raise').map((e) => e.intent),
      ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED'],
    );
    t.is(received(await te.engine.getHistory(waiting.processInstanceKey)).length, 1);
  } finally {
    await te.close();
  }
});

test('a signal end event reaches an instance of another process waiting for the signal', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-signal-wait', 'ev-signal-throw-end');
    const waiting = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-signal-wait' });
    const thrower = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-signal-throw-end' });
    t.deepEqual(await activate(te, 'ev-proceed'), []);

    await te.completeOne('ev-collect');

    const [proceed] = await activate(te, 'ev-proceed');
    t.is(proceed.processInstanceKey, waiting.processInstanceKey);
    t.is((await te.engine.getProcessInstance(thrower.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});
