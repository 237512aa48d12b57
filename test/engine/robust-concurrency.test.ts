import test from 'ava';
import { EmbeddedEngine } from '../../engine/embedded/embedded-engine.ts';
import { createTestEngine } from '../helpers/engine.ts';

const INSTANCES = 50;

test('two engines on one MySQL database fire every due timer once and never hand one job to both', async (t) => {
  const te = await createTestEngine();
  let engine2: EmbeddedEngine | undefined;
  try {
    if (te.engine.dialect === 'sqlite') {
      t.log('SQLite has a single engine process; this test runs with DATABASE_URL=mysql://…');
      t.pass();
      return;
    }
    // given 50 instances waiting on a one-hour timer, and a second engine over its own connection
    await te.deployFixture('rb-timer');
    const keys: string[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      keys.push((await te.engine.createProcessInstance({ bpmnProcessId: 'rb-timer' })).processInstanceKey);
    }
    engine2 = new EmbeddedEngine({ sequelize: te.db.reopen(), clock: te.clock, schedulerIntervalMs: 0 });
    await engine2.start();
    const engines = [te.engine, engine2];

    // when the timers are due and both engines run their schedulers at the same time, several rounds
    te.clock.advance(3600_000);
    for (let round = 0; round < 4; round++) await Promise.all(engines.map((e) => e.runScheduler()));

    // then every timer fired exactly once and every instance moved on once, to one job
    const jobKeys = new Set<string>();
    for (const key of keys) {
      const history = await te.engine.getHistory(key);
      t.is(history.filter((e) => e.intent === 'TIMER_TRIGGERED').length, 1, `timer of ${key}`);
      t.is(
        history.filter((e) => e.intent === 'ELEMENT_COMPLETED' && e.elementId === 'wait1h').length,
        1,
        `catch event of ${key}`,
      );
      const created = history.filter((e) => e.intent === 'JOB_CREATED');
      t.is(created.length, 1, `job of ${key}`);
      jobKeys.add(created[0].payload.jobKey as string);
    }
    t.is(jobKeys.size, INSTANCES);

    // when both engines activate those jobs at the same time, ten at a time
    const handed: string[] = [];
    for (let round = 0; round < 10 && handed.length < INSTANCES; round++) {
      const batches = await Promise.all(
        engines.map((e, i) =>
          e.activateJobs({
            type: 'rb-after-timer',
            worker: `engine-${i}`,
            maxJobsToActivate: 10,
            timeout: 600_000,
          }),
        ),
      );
      for (const batch of batches) handed.push(...batch.map((j) => j.key));
    }

    // then no job went to both and every job went to one
    t.is(new Set(handed).size, handed.length, 'no job handed out twice');
    t.deepEqual([...handed].sort(), [...jobKeys].sort());
  } finally {
    await engine2?.stop();
    await te.close();
  }
});

test('two engines on one MySQL database completing the same user task let exactly one win', async (t) => {
  const te = await createTestEngine();
  let engine2: EmbeddedEngine | undefined;
  try {
    if (te.engine.dialect === 'sqlite') {
      t.log('SQLite has a single engine process; this test runs with DATABASE_URL=mysql://…');
      t.pass();
      return;
    }
    // given ten open reviews and two engines
    await te.deployFixture('rb-user-task');
    for (let i = 0; i < 10; i++) {
      await te.engine.createProcessInstance({
        bpmnProcessId: 'rb-user-task',
        variables: { groups: ['reviewers'], due: '2026-01-08T09:00:00.000Z' },
      });
    }
    engine2 = new EmbeddedEngine({ sequelize: te.db.reopen(), clock: te.clock, schedulerIntervalMs: 0 });
    await engine2.start();
    const tasks = (await te.engine.searchUserTasks({ filter: { state: 'CREATED' } })).items;
    t.is(tasks.length, 10);

    // when each task is completed through both engines at once
    const results = await Promise.all(
      tasks.map((task) =>
        Promise.allSettled([
          te.engine.completeUserTask({
            userTaskKey: task.userTaskKey,
            variables: { by: 'one' },
            actor: 'one',
          }),
          engine2!.completeUserTask({
            userTaskKey: task.userTaskKey,
            variables: { by: 'two' },
            actor: 'two',
          }),
        ]),
      ),
    );

    // then exactly one completion per task went through, and its instance completed once
    for (const [i, pair] of results.entries()) {
      t.is(pair.filter((r) => r.status === 'fulfilled').length, 1, `task ${i}`);
      const rejected = pair.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      t.is((rejected?.reason as { code?: string })?.code, 'TASK_NOT_OPEN');
      const history = await te.engine.getHistory(tasks[i].processInstanceKey);
      t.is(history.filter((e) => e.intent === 'USER_TASK_COMPLETED').length, 1);
      t.is(history.filter((e) => e.intent === 'PROCESS_INSTANCE_COMPLETED').length, 1);
    }
  } finally {
    await engine2?.stop();
    await te.close();
  }
});
