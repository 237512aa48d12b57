import test from 'ava';
import { DataTypes, QueryTypes } from 'sequelize';
import { NotFoundError } from '../../common/errors.ts';
import { EmbeddedEngine } from '../../engine/embedded/embedded-engine.ts';
import type { HistoryEvent } from '../../engine/port.ts';
import { directSql } from '../../db/sequelize-sql.ts';
import { createTestEngine } from '../helpers/engine.ts';

const count = async (te: Awaited<ReturnType<typeof createTestEngine>>, table: string): Promise<number> => {
  const rows = await te.db.sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`, {
    type: QueryTypes.SELECT,
  });
  return Number(rows[0].n);
};

test('a failing command among concurrent ones rolls back alone; the others commit', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.deployFixture('six-step');

  const calls = Array.from({ length: 20 }, (_, i) =>
    i === 7
      ? te.engine.createProcessInstance({ bpmnProcessId: 'no-such-process' })
      : te.engine.createProcessInstance({ bpmnProcessId: 'six-step', variables: { i } }),
  );
  const results = await Promise.allSettled(calls);

  t.is(results.filter((r) => r.status === 'fulfilled').length, 19);
  const failed = results[7];
  t.is(failed.status, 'rejected');
  t.true((failed as PromiseRejectedResult).reason instanceof NotFoundError);
  t.is(await count(te, 'engine_process_instance'), 19);
  t.is((await te.jobs('classify')).length, 19);
});

test('an exporter writes in the command transaction: a model row commits with the command', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  const Projection = te.db.sequelize.define(
    'TestProjection',
    {
      position: { type: DataTypes.BIGINT, primaryKey: true },
      intent: DataTypes.STRING,
      seenAt: DataTypes.DATE,
    },
    { tableName: 'test_projection', timestamps: false },
  );
  await Projection.sync();
  te.engine.addExporter({
    name: 'projection',
    export: async (events, { transaction }) => {
      for (const e of events) {
        await Projection.create(
          { position: e.position, intent: e.intent, seenAt: new Date() },
          { transaction },
        );
      }
    },
  });
  await te.deployFixture('six-step');

  const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'six-step' });

  const history = await te.engine.getHistory(pi.processInstanceKey);
  const projected = await Projection.findAll({ order: [['position', 'ASC']] });
  t.deepEqual(
    projected.map((p) => [Number(p.get('position')), p.get('intent')]),
    history.map((e) => [e.position, e.intent]),
  );
});

test('an exporter that fails rolls the command back: no instance, no history, no projection', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.db.sequelize.query('CREATE TABLE test_audit (position BIGINT PRIMARY KEY)');
  let fail = true;
  te.engine.addExporter({
    name: 'audit',
    export: async (events, { sql }) => {
      for (const e of events) await sql.run('INSERT INTO test_audit (position) VALUES (?)', [e.position]);
      if (fail) throw new Error('projection store is down');
    },
  });
  await te.deployFixture('six-step');

  await t.throwsAsync(te.engine.createProcessInstance({ bpmnProcessId: 'six-step' }), {
    message: 'projection store is down',
  });
  t.is(await count(te, 'engine_process_instance'), 0);
  t.is(await count(te, 'engine_history_event'), 0);
  t.is(await count(te, 'test_audit'), 0);

  fail = false;
  await te.engine.createProcessInstance({ bpmnProcessId: 'six-step' });
  t.is(await count(te, 'engine_process_instance'), 1);
  t.is(await count(te, 'test_audit'), await count(te, 'engine_history_event'));
});

test('an exporter reads what it wrote earlier in the command, and a write that fails when it goes out rolls the command back', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.db.sequelize.query('CREATE TABLE test_counts (intent VARCHAR(64) PRIMARY KEY, n INT NOT NULL)');
  await te.db.sequelize.query('CREATE TABLE test_unique (k INT PRIMARY KEY)');
  let clash = false;
  const seen: number[] = [];
  te.engine.addExporter({
    name: 'counting',
    export: async (events, { sql }) => {
      for (const e of events) {
        // A read after a write of the same command sees it (the writes are held back, not lost).
        const [row] = await sql.all<{ n: number | string }>('SELECT n FROM test_counts WHERE intent = ?', [
          e.intent,
        ]);
        if (row)
          await sql.run('UPDATE test_counts SET n = ? WHERE intent = ?', [Number(row.n) + 1, e.intent]);
        else await sql.run('INSERT INTO test_counts (intent, n) VALUES (?, 1)', [e.intent]);
      }
      const [total] = await sql.all<{ n: number | string }>('SELECT SUM(n) AS n FROM test_counts');
      seen.push(Number(total.n));
      // Two rows with one key: the second fails only when the held-back writes go out.
      if (clash) await sql.run('INSERT INTO test_unique (k) VALUES (1), (1)');
    },
  });
  await te.deployFixture('six-step');

  // when an instance starts, every event is counted, reads included
  const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'six-step' });
  const history = await te.engine.getHistory(pi.processInstanceKey);
  t.deepEqual(seen, [history.length]);
  const counts = await te.db.sequelize.query<{ intent: string; n: number | string }>(
    'SELECT intent, n FROM test_counts',
    { type: QueryTypes.SELECT },
  );
  t.is(
    counts.reduce((sum, c) => sum + Number(c.n), 0),
    history.length,
  );

  // when a held-back write fails, the command is rolled back: no second instance, no history, no counts
  clash = true;
  await t.throwsAsync(te.engine.createProcessInstance({ bpmnProcessId: 'six-step' }), { any: true });
  t.is(await count(te, 'engine_process_instance'), 1);
  t.is(await count(te, 'engine_history_event'), history.length);
  t.is(await count(te, 'test_unique'), 0);
  const after = await te.db.sequelize.query<{ n: number | string }>('SELECT SUM(n) AS n FROM test_counts', {
    type: QueryTypes.SELECT,
  });
  t.is(Number(after[0].n), history.length);
});

test('listeners see every committed event once, in position order within each instance', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.deployFixture('six-step');
  const seen: HistoryEvent[] = [];
  te.engine.subscribe((events) => seen.push(...events));

  await Promise.all(
    Array.from({ length: 10 }, () => te.engine.createProcessInstance({ bpmnProcessId: 'six-step' })),
  );

  // Across instances MySQL may commit out of position order; within an instance commands are serial.
  const positions = seen.map((e) => e.position);
  t.is(new Set(positions).size, positions.length);
  for (const key of new Set(seen.map((e) => e.processInstanceKey))) {
    const own = seen.filter((e) => e.processInstanceKey === key).map((e) => e.position);
    t.deepEqual(
      [...own].sort((a, b) => a - b),
      own,
    );
  }
  t.is(seen.filter((e) => e.intent === 'PROCESS_INSTANCE_CREATED').length, 10);
  t.is(await count(te, 'engine_history_event'), seen.length);
});

test('a parked worker gets a new job pushed in the creating command, with the variables', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.deployFixture('six-step');

  const activation = te.engine.activateJobs({
    type: 'classify',
    worker: 'pushed',
    maxJobsToActivate: 5,
    timeout: 30_000,
    requestTimeout: 10_000,
  });
  await new Promise((r) => setTimeout(r, 50));
  const pi = await te.engine.createProcessInstance({
    bpmnProcessId: 'six-step',
    variables: { caseNo: 'A-1' },
  });
  const jobs = await activation;

  t.is(jobs.length, 1);
  t.is(jobs[0].processInstanceKey, pi.processInstanceKey);
  t.is(jobs[0].worker, 'pushed');
  t.deepEqual(jobs[0].variables, { caseNo: 'A-1' });
  const rows = await te.db.sequelize.query<{ state: string; worker: string }>(
    'SELECT state, worker FROM engine_job WHERE job_key = ?',
    { replacements: [Number(jobs[0].key)], type: QueryTypes.SELECT },
  );
  t.deepEqual(rows, [{ state: 'ACTIVATED', worker: 'pushed' }]);
  await te.engine.completeJob({
    jobKey: jobs[0].key,
    activationKey: jobs[0].activationKey,
    variables: { urgency: 'x' },
  });
  t.is((await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } })).total, 1);
});

test('a job pushed by a command that rolls back is never handed out, and the waiter keeps waiting', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  te.engine.addExporter({
    name: 'failing-once',
    export: async (events) => {
      if (events.some((e) => e.intent === 'JOB_CREATED') && !failedOnce) {
        failedOnce = true;
        throw new Error('fail the first job creation');
      }
    },
  });
  let failedOnce = false;
  await te.deployFixture('six-step');

  const activation = te.engine.activateJobs({
    type: 'classify',
    worker: 'w',
    maxJobsToActivate: 1,
    timeout: 30_000,
    requestTimeout: 10_000,
  });
  await new Promise((r) => setTimeout(r, 50));
  await t.throwsAsync(te.engine.createProcessInstance({ bpmnProcessId: 'six-step', variables: { n: 1 } }));
  const second = await te.engine.createProcessInstance({ bpmnProcessId: 'six-step', variables: { n: 2 } });
  const jobs = await activation;

  t.is(jobs.length, 1);
  t.is(jobs[0].processInstanceKey, second.processInstanceKey);
  t.is(await count(te, 'engine_job'), 1);
});

test('an engine on another connection sees what the first one changed (the instance cache stays right)', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.deployFixture('six-step');
  const other = new EmbeddedEngine({ sequelize: te.db.reopen(), clock: te.clock, schedulerIntervalMs: 0 });
  t.teardown(() => other.stop());

  const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'six-step', variables: { step: 0 } });
  const [job] = await other.activateJobs({
    type: 'classify',
    worker: 'b',
    maxJobsToActivate: 1,
    timeout: 60_000,
  });
  await other.completeJob({ jobKey: job.key, variables: { step: 1, urgency: 'high' } });
  await te.engine.setVariables({ elementInstanceKey: pi.processInstanceKey, variables: { note: 'from a' } });
  const [task] = (await other.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } }))
    .items;
  await other.completeUserTask({ userTaskKey: task.userTaskKey, variables: { step: 2 } });
  await te.completeOne('notify', { step: 3 });

  const vars = Object.fromEntries(
    (await te.engine.getVariables(pi.processInstanceKey)).map((v) => [v.name, v.value]),
  );
  t.deepEqual(vars, { note: 'from a', step: 3, urgency: 'high' });
  t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
});

test('commands on one instance committed in one group each see the one before: a parallel join completes', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.deployFixture('fl-parallel');
  const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-parallel' });
  const jobs = [
    ...(await te.jobs('fl-branch-a')),
    ...(await te.jobs('fl-branch-b')),
    ...(await te.jobs('fl-branch-c')),
  ];
  t.is(jobs.length, 3);

  // Issued together, the three completions run one after another in one transaction (SQLite: one group
  // commit; MySQL: row locks). Each must find the tokens the others left at the join, or the join never fires.
  await Promise.all(
    jobs.map((j, i) => te.engine.completeJob({ jobKey: j.key, variables: { [`branch${i}`]: true } })),
  );

  t.is((await te.jobs('fl-after')).length, 1);
  const variables = await te.engine.getVariables(pi.processInstanceKey);
  t.deepEqual(
    variables
      .filter((v) => v.name.startsWith('branch'))
      .map((v) => v.name)
      .sort(),
    ['branch0', 'branch1', 'branch2'],
  );
});

test('commands whose own code reads through the pool while holding a connection do not deadlock it', async (t) => {
  // MySQL: each command holds a pool connection for its transaction; a job's `within` that reads through
  // another (as the case workers' services do) once left every connection held by a command waiting for a
  // second one, until the pool's acquire timeout. Twice the pool's size at once (SQLite: one writer, no pool).
  const te = await createTestEngine();
  t.teardown(() => te.close());
  await te.deployFixture('six-step');
  const poolMax =
    (te.db.sequelize as unknown as { options: { pool?: { max?: number } } }).options.pool?.max ?? 5;
  const n = 2 * poolMax;
  await Promise.all(
    Array.from({ length: n }, () => te.engine.createProcessInstance({ bpmnProcessId: 'six-step' })),
  );
  const jobs = await te.jobs('classify');
  t.is(jobs.length, n);
  const reads = directSql(te.db.sequelize);

  const started = Date.now();
  const results = await Promise.allSettled(
    jobs.map((job) =>
      te.engine.completeJob({
        jobKey: job.key,
        variables: {},
        within: async () => {
          await reads.all('SELECT COUNT(*) AS n FROM engine_job');
          await new Promise((r) => setTimeout(r, 20));
        },
      }),
    ),
  );

  t.deepEqual(
    results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
    [],
  );
  t.true(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
});
