import test from 'ava';
import { QueryTypes } from 'sequelize';
import { sequelizeSql } from '../../db/sequelize-sql.ts';
import type { JobOutcome } from '../../engine/job-worker.ts';
import { createWorkers } from '../../workers/index.ts';
import { createWorkerWorld } from '../helpers/worker-world.ts';

interface OutboxRow {
  template: string;
  audience: string;
  channel: string;
  recipients: string;
}

test('an overdue notice goes to the supervisors of the city centre and the town, once, and counts as 督办', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const cityCentreId = await w.unit({ level: 'city', kind: 'centre' });
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const caseId = await w.insertCase({ townId });
  const job = { key: '4242', headers: { template: 'overdue', audience: 'supervisors' } };

  const out = await w.run('case-notify', { caseId, cityCentreId, townId, supervisedCount: 1 }, job);
  await w.run('case-notify', { caseId, cityCentreId, townId, supervisedCount: 1 }, job);

  t.deepEqual(out.variables, { supervisedCount: 2 });
  const rows = await w.db.sequelize.query<OutboxRow>(
    'SELECT template, audience, channel, recipients FROM notification_outbox WHERE case_id = ?',
    { replacements: [caseId], type: QueryTypes.SELECT },
  );
  t.is(rows.length, 1);
  t.like(rows[0], { template: 'overdue', audience: 'supervisors', channel: 'app' });
  const supervisors = await w.db.sequelize.query<{ id: number }>(
    `SELECT u.id FROM app_user u JOIN user_role r ON r.user_id = u.id
      WHERE r.role = 'supervisor' AND u.org_unit_id IN (?, ?) ORDER BY u.id`,
    { replacements: [cityCentreId, townId], type: QueryTypes.SELECT },
  );
  t.true(supervisors.length >= 2);
  t.deepEqual(
    (JSON.parse(rows[0].recipients) as string[]).sort(),
    supervisors.map((s) => `user:${s.id}`).sort(),
  );
});

test('a warning to the handlers does not count as supervision', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const cityCentreId = await w.unit({ level: 'city', kind: 'centre' });
  const handlerUnitId = await w.unit({ level: 'city', kind: 'department', departmentKind: 'power' });
  const caseId = await w.insertCase();

  const out = await w.run(
    'case-notify',
    { caseId, cityCentreId, handlerUnitId },
    { headers: { template: 'warning', audience: 'handlers' } },
  );

  t.deepEqual(out.variables, {});
});

test('an audience the worker does not know is a bug in the diagram: it throws, nothing queued', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const cityCentreId = await w.unit({ level: 'city', kind: 'centre' });
  const caseId = await w.insertCase();

  await t.throwsAsync(
    w.run('case-notify', { caseId, cityCentreId }, { headers: { template: 'x', audience: 'everyone' } }),
    { message: /no valid "audience" header/ },
  );
  const [{ n }] = await w.db.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM notification_outbox', {
    type: QueryTypes.SELECT,
  });
  t.is(Number(n), 0);
});

test('the message is queued in the job completion: nothing before it runs, nothing if it rolls back', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const cityCentreId = await w.unit({ level: 'city', kind: 'centre' });
  const caseId = await w.insertCase();
  const worker = createWorkers(w.deps).find((d) => d.type === 'case-notify')!;
  const outcome = (await worker.handler(worker.input.parse({ caseId, cityCentreId }), {
    key: '777',
    processInstanceKey: '1',
    elementId: 'notify-leaders',
    headers: { template: 'major', audience: 'leaders' },
    retries: 3,
    worker: 'test',
  })) as JobOutcome;
  const queued = async (): Promise<number> =>
    Number(
      (
        await w.db.sequelize.query<{ n: number }>(
          "SELECT COUNT(*) AS n FROM notification_outbox WHERE idempotency_key = 'job:777'",
          { type: QueryTypes.SELECT },
        )
      )[0].n,
    );
  t.is(outcome.kind, 'complete');
  t.is(await queued(), 0);
  const within = (outcome as Extract<JobOutcome, { kind: 'complete' }>).within!;

  // The engine refuses the completion (a late answer) after the worker's writes: they roll back with it.
  await t.throwsAsync(() =>
    w.db.sequelize.transaction(async (transaction) => {
      await within({ transaction, sql: sequelizeSql(w.db.sequelize, transaction) });
      throw new Error('job 777 was activated again by another worker');
    }),
  );
  t.is(await queued(), 0);

  await w.db.sequelize.transaction((transaction) =>
    within({ transaction, sql: sequelizeSql(w.db.sequelize, transaction) }),
  );
  t.is(await queued(), 1);
});
