import test from 'ava';
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

/** `INTENT elementId` of the history events with one of the intents, in order. */
function trace(events: HistoryEvent[], intents: HistoryEvent['intent'][]): string[] {
  return events.filter((e) => intents.includes(e.intent)).map((e) => `${e.intent} ${e.elementId ?? ''}`);
}

test('an escalation caught by a non-interrupting boundary on the enclosing sub-process continues on both paths', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-escalation-noninterrupting');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-escalation-noninterrupting' });
    const key = pi.processInstanceKey;

    const [finishInside] = await activate(te, 'ev-finish-inside');
    const [notify] = await activate(te, 'ev-notify');

    t.is(finishInside.processInstanceKey, key);
    t.is(notify.processInstanceKey, key);
    const history = await te.engine.getHistory(key);
    const thrown = history.filter((e) => e.intent === 'ESCALATION_THROWN');
    t.deepEqual(
      thrown.map((e) => [e.elementId, e.payload.escalationCode]),
      [['raise', 'ESC_LATE']],
    );
    t.deepEqual(trace(history, ['ELEMENT_COMPLETED', 'ELEMENT_TERMINATED']).sort(), [
      'ELEMENT_COMPLETED late',
      'ELEMENT_COMPLETED raise',
      'ELEMENT_COMPLETED start',
      'ELEMENT_COMPLETED sub-start',
    ]);

    await te.engine.completeJob({ jobKey: finishInside.key });
    await te.completeOne('ev-after-sub');
    t.is((await te.engine.getProcessInstance(key)).state, 'ACTIVE', 'the escalation path still runs');
    await te.engine.completeJob({ jobKey: notify.key });
    t.is((await te.engine.getProcessInstance(key)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('an escalation caught by an interrupting boundary terminates the enclosing sub-process', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-escalation-interrupting');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-escalation-interrupting' });
    const key = pi.processInstanceKey;
    t.is((await userTask(te, key, 'paperwork')).state, 'CREATED');

    await te.completeOne('ev-check');

    t.is((await userTask(te, key, 'paperwork')).state, 'CANCELED');
    const history = await te.engine.getHistory(key);
    const fromThrow = history.slice(history.findIndex((e) => e.intent === 'ESCALATION_THROWN'));
    const terminated = trace(fromThrow, ['ELEMENT_TERMINATED']);
    t.deepEqual(terminated.slice(0, 2).sort(), ['ELEMENT_TERMINATED paperwork', 'ELEMENT_TERMINATED raise']);
    t.deepEqual(terminated.slice(2), ['ELEMENT_TERMINATED sub']);
    t.deepEqual(trace(fromThrow, ['ELEMENT_ACTIVATED']), [
      'ELEMENT_ACTIVATED late',
      'ELEMENT_ACTIVATED take-over',
    ]);
    t.false(history.some((e) => e.intent === 'ELEMENT_COMPLETED' && e.elementId === 'raise'));

    await te.completeOne('ev-take-over');
    t.is((await te.engine.getProcessInstance(key)).state, 'COMPLETED');
    t.deepEqual(await activate(te, 'ev-after-sub'), []);
    t.false((await te.engine.getHistory(key)).some((e) => e.elementId === 'after-sub'));
  } finally {
    await te.close();
  }
});

test('an escalation nobody catches lets the instance continue without an incident', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-escalation-uncaught');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-escalation-uncaught' });
    const key = pi.processInstanceKey;

    const [afterRaise] = await activate(te, 'ev-after-raise');

    t.is(afterRaise.processInstanceKey, key);
    t.deepEqual(await te.engine.searchIncidents({ processInstanceKey: key }), []);
    t.false((await te.engine.getProcessInstance(key)).hasIncident);
    const history = await te.engine.getHistory(key);
    t.deepEqual(trace(history, ['ESCALATION_THROWN', 'ELEMENT_COMPLETED', 'INCIDENT_CREATED']), [
      'ELEMENT_COMPLETED start',
      'ESCALATION_THROWN raise',
      'ELEMENT_COMPLETED raise',
    ]);
    await te.engine.completeJob({ jobKey: afterRaise.key });
    t.is((await te.engine.getProcessInstance(key)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});
