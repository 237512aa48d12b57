import test from 'ava';
import { QueryTypes } from 'sequelize';
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
