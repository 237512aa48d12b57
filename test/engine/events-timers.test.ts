import test from 'ava';
import type { ActivatedJob, HistoryEvent, HistoryIntent } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Activates every open job of a type for a month, so that advancing the clock does not time them out. */
function activate(te: TestEngine, type: string): Promise<ActivatedJob[]> {
  return te.engine.activateJobs({ type, worker: 'events-test', maxJobsToActivate: 100, timeout: 720 * HOUR });
}

function only(events: HistoryEvent[], intent: HistoryIntent): HistoryEvent[] {
  return events.filter((e) => e.intent === intent);
}

// The test clock starts at 2026-01-05T01:00:00Z.

test('an intermediate timer with a duration fires exactly when it is due', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-catch-timer-duration');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-catch-timer-duration' });
    const created = only(await te.engine.getHistory(pi.processInstanceKey), 'TIMER_CREATED');
    t.is(created.length, 1);
    t.like(created[0], {
      elementId: 'wait',
      payload: { dueDate: '2026-01-05T03:00:00.000Z', elementId: 'wait' },
    });

    await te.advance(2 * HOUR - 1);
    t.deepEqual(await activate(te, 'ev-after'), []);

    await te.advance(1);

    const [after] = await activate(te, 'ev-after');
    t.is(after.processInstanceKey, pi.processInstanceKey);
    const history = await te.engine.getHistory(pi.processInstanceKey);
    const triggered = only(history, 'TIMER_TRIGGERED');
    t.is(triggered.length, 1);
    t.like(triggered[0], { elementId: 'wait', payload: { timerKey: created[0].payload.timerKey } });
    t.is(triggered[0].timestamp, '2026-01-05T03:00:00.000Z');
  } finally {
    await te.close();
  }
});

test('an intermediate timer with a date fires at that date', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-catch-timer-date');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-catch-timer-date' });

    await te.advance(32 * HOUR - 1); // 2026-01-06T08:59:59.999Z
    t.deepEqual(await activate(te, 'ev-after'), []);

    await te.advance(1);

    t.is((await activate(te, 'ev-after')).length, 1);
    const triggered = only(await te.engine.getHistory(pi.processInstanceKey), 'TIMER_TRIGGERED');
    t.deepEqual(
      triggered.map((e) => e.payload.dueDate),
      ['2026-01-06T09:00:00.000Z'],
    );
  } finally {
    await te.close();
  }
});

test('an intermediate timer takes its duration from a FEEL expression over a variable', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-catch-timer-feel');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'ev-catch-timer-feel',
      variables: { waitFor: 'PT45M' },
    });
    const created = only(await te.engine.getHistory(pi.processInstanceKey), 'TIMER_CREATED');
    t.deepEqual(
      created.map((e) => e.payload.dueDate),
      ['2026-01-05T01:45:00.000Z'],
    );

    await te.advance(44 * MINUTE);
    t.deepEqual(await activate(te, 'ev-after'), []);
    await te.advance(MINUTE);

    t.is((await activate(te, 'ev-after')).length, 1);
  } finally {
    await te.close();
  }
});

test('a timer whose FEEL expression fails raises an incident on the catch event, and runs once it is resolved', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-catch-timer-feel');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'ev-catch-timer-feel' });

    const incidents = await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
    t.is(incidents.length, 1);
    t.like(incidents[0], { elementId: 'wait', errorType: 'EXTRACT_VALUE_ERROR', state: 'ACTIVE' });
    const instance = await te.engine.getProcessInstance(pi.processInstanceKey);
    t.like(instance, { state: 'ACTIVE', hasIncident: true });
    t.deepEqual(only(await te.engine.getHistory(pi.processInstanceKey), 'TIMER_CREATED'), []);

    await te.engine.setVariables({
      elementInstanceKey: pi.processInstanceKey,
      variables: { waitFor: 'PT10M' },
    });
    await te.engine.resolveIncident(incidents[0].incidentKey);

    t.false((await te.engine.getProcessInstance(pi.processInstanceKey)).hasIncident);
    await te.advance(10 * MINUTE);
    t.is((await activate(te, 'ev-after')).length, 1);
  } finally {
    await te.close();
  }
});

test('a timer cycle start event starts one instance per cycle, twice, and no more', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-timer-start-cycle');
    const ticks: ActivatedJob[] = [];

    for (let hour = 1; hour <= 4; hour++) {
      await te.advance(HOUR);
      ticks.push(...(await activate(te, 'ev-tick')));
      t.is(ticks.length, Math.min(hour, 2), `instances after ${hour} h`);
    }

    t.is(new Set(ticks.map((j) => j.processInstanceKey)).size, 2);
    const dueDates: unknown[] = [];
    for (const job of ticks) {
      const history = await te.engine.getHistory(job.processInstanceKey);
      const triggered = only(history, 'TIMER_TRIGGERED');
      t.is(triggered.length, 1);
      t.is(triggered[0].elementId, 'every-hour');
      dueDates.push(triggered[0].payload.dueDate);
      t.is(history[0].intent, 'PROCESS_INSTANCE_CREATED');
    }
    t.deepEqual(dueDates, ['2026-01-05T02:00:00.000Z', '2026-01-05T03:00:00.000Z']);
  } finally {
    await te.close();
  }
});

test('a timer date start event starts one instance at that date', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('ev-timer-start-date');

    await te.advance(2 * HOUR - MINUTE);
    t.deepEqual(await activate(te, 'ev-tick'), []);
    await te.advance(MINUTE);
    const ticks = await activate(te, 'ev-tick');
    await te.advance(24 * HOUR);
    await te.advance(24 * HOUR);

    t.is(ticks.length, 1);
    t.deepEqual(await activate(te, 'ev-tick'), []);
    t.is(ticks[0].bpmnProcessId, 'ev-timer-start-date');
  } finally {
    await te.close();
  }
});
