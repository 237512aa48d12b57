import test from 'ava';
import { EmbeddedEngine } from '../../engine/embedded/embedded-engine.ts';
import type { HistoryEvent } from '../../engine/port.ts';
import { createTestEngine, fixture } from '../helpers/engine.ts';

/** Every key an event mentions: its element instance, its instance and the `…Key` fields of its payload. */
function keysOf(events: HistoryEvent[]): Set<string> {
  const keys = new Set<string>();
  for (const e of events) {
    keys.add(e.processInstanceKey);
    if (e.elementInstanceKey) keys.add(e.elementInstanceKey);
    for (const [field, value] of Object.entries(e.payload)) {
      if (field.endsWith('Key') && field !== 'correlationKey' && typeof value === 'string') keys.add(value);
    }
  }
  return keys;
}

test('every waiting instance continues to its end through a new engine on a new connection after a restart', async (t) => {
  const te = await createTestEngine();
  let engine2: EmbeddedEngine | undefined;
  try {
    // given, with the first engine, instances waiting at a user task, a job held by a worker, a free job,
    // a timer and a message, and a buffered message no instance waits for yet
    await te.deployFixture('rb-user-task', 'rb-one-job', 'rb-timer', 'rb-message');
    const e1 = te.engine;
    const atTask = await e1.createProcessInstance({
      bpmnProcessId: 'rb-user-task',
      variables: { groups: ['reviewers'], due: '2026-01-08T09:00:00.000Z' },
    });
    const atHeldJob = await e1.createProcessInstance({ bpmnProcessId: 'rb-one-job', variables: { n: 1 } });
    const [held] = await e1.activateJobs({
      type: 'rb-work',
      worker: 'old-worker',
      maxJobsToActivate: 1,
      timeout: 600_000,
    });
    t.is(held.processInstanceKey, atHeldJob.processInstanceKey);
    const atFreeJob = await e1.createProcessInstance({ bpmnProcessId: 'rb-one-job', variables: { n: 2 } });
    const atTimer = await e1.createProcessInstance({ bpmnProcessId: 'rb-timer' });
    const atMessage = await e1.createProcessInstance({
      bpmnProcessId: 'rb-message',
      variables: { orderId: 'R-1' },
    });
    const buffered = await e1.publishMessage({
      name: 'rb-payment',
      correlationKey: 'R-2',
      timeToLive: 2 * 3600_000,
      variables: { paidBy: 'bank' },
    });
    const waiting = [atTask, atHeldJob, atFreeJob, atTimer, atMessage];
    const oldHistory = (await Promise.all(waiting.map((pi) => e1.getHistory(pi.processInstanceKey)))).flat();
    const lastOldPosition = Math.max(...oldHistory.map((e) => e.position));
    const oldKeys = keysOf(oldHistory);
    oldKeys.add(buffered.messageKey);
    oldKeys.add(held.activationKey);
    for (const d of await e1.listProcessDefinitions()) oldKeys.add(d.processDefinitionKey);

    // when that engine stops and a new one starts over a new connection to the same database
    await e1.stop();
    engine2 = new EmbeddedEngine({ sequelize: te.db.reopen(), clock: te.clock, schedulerIntervalMs: 0 });
    await engine2.start();
    const e2 = engine2;

    // then the user task completes through the new engine
    const tasks = await e2.searchUserTasks({ filter: { state: 'CREATED' } });
    t.deepEqual(
      tasks.items.map((task) => task.processInstanceKey),
      [atTask.processInstanceKey],
    );
    await e2.completeUserTask({ userTaskKey: tasks.items[0].userTaskKey, actor: 'li' });

    // and the job nobody held is handed out and completes
    const free = await e2.activateJobs({
      type: 'rb-work',
      worker: 'new-worker',
      maxJobsToActivate: 5,
      timeout: 60_000,
    });
    t.deepEqual(
      free.map((j) => j.processInstanceKey),
      [atFreeJob.processInstanceKey],
    );
    t.deepEqual(free[0].variables, { n: 2 });
    await e2.completeJob({ jobKey: free[0].key, activationKey: free[0].activationKey });

    // and after an hour the timer fires and the old worker's activation lapses
    te.clock.advance(3600_000);
    await e2.runScheduler();
    const [afterTimer] = await e2.activateJobs({
      type: 'rb-after-timer',
      worker: 'new-worker',
      maxJobsToActivate: 5,
      timeout: 60_000,
    });
    t.is(afterTimer.processInstanceKey, atTimer.processInstanceKey);
    await e2.completeJob({ jobKey: afterTimer.key });
    const [reactivated] = await e2.activateJobs({
      type: 'rb-work',
      worker: 'new-worker',
      maxJobsToActivate: 5,
      timeout: 60_000,
    });
    t.is(reactivated.key, held.key);
    await e2.completeJob({ jobKey: reactivated.key, activationKey: reactivated.activationKey });

    // and the waiting message correlates
    const correlated = await e2.correlateMessage({ name: 'rb-payment', correlationKey: 'R-1' });
    t.is(correlated.processInstanceKey, atMessage.processInstanceKey);

    // and a new instance picks up the message buffered before the restart
    const late = await e2.createProcessInstance({
      bpmnProcessId: 'rb-message',
      variables: { orderId: 'R-2' },
    });
    t.is((await e2.getProcessInstance(late.processInstanceKey)).state, 'COMPLETED');
    const paidBy = (await e2.getVariables(late.processInstanceKey)).find((v) => v.name === 'paidBy');
    t.is(paidBy?.value, 'bank');

    // so every instance that waited ended COMPLETED, the timer firing once
    for (const pi of waiting) {
      t.is((await e2.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED', pi.bpmnProcessId);
    }
    const timerHistory = await e2.getHistory(atTimer.processInstanceKey);
    t.is(timerHistory.filter((e) => e.intent === 'TIMER_TRIGGERED').length, 1);

    // and no key the new engine made repeats a key of the old one
    const deployment = await e2.deploy([fixture('rb-condition.bpmn')]);
    const newHistory = (
      await Promise.all([...waiting, late].map((pi) => e2.getHistory(pi.processInstanceKey)))
    )
      .flat()
      .filter((e) => e.position > lastOldPosition);
    const madeByNew = [
      deployment.deploymentKey,
      deployment.processes[0].processDefinitionKey,
      late.processInstanceKey,
      free[0].activationKey,
      afterTimer.key,
      afterTimer.activationKey,
      reactivated.activationKey,
      correlated.messageKey,
      ...newHistory.filter((e) => e.intent === 'ELEMENT_ACTIVATED').map((e) => e.elementInstanceKey!),
    ];
    t.true(madeByNew.length > 15);
    t.is(new Set(madeByNew).size, madeByNew.length, 'new keys are unique');
    t.deepEqual(
      madeByNew.filter((k) => oldKeys.has(k)),
      [],
    );
  } finally {
    await engine2?.stop();
    await te.close();
  }
});
