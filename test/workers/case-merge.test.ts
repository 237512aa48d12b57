import test from 'ava';
import { QueryTypes } from 'sequelize';
import { createWorkerWorld } from '../helpers/worker-world.ts';

test('marks the duplicate merged into the first case and tells its reporter once, even if worked twice', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const cityCentreId = await w.unit({ level: 'city', kind: 'centre' });
  const first = await w.insertCase({ status: 'handling' });
  const dup = await w.insertCase();

  const job = { key: '777' };
  await w.run('case-merge', { caseId: dup, duplicateOf: first, cityCentreId }, job);
  await w.run('case-merge', { caseId: dup, duplicateOf: first, cityCentreId }, job);

  const row = await w.caseRow(dup);
  t.like(row, { status: 'merged', duplicateOfId: first, closedAt: w.clock.now() });
  const sms = await w.db.sequelize.query<{ template: string; channel: string; recipients: string }>(
    'SELECT template, channel, recipients FROM notification_outbox WHERE case_id = ?',
    { replacements: [dup], type: QueryTypes.SELECT },
  );
  t.deepEqual(sms, [{ template: 'merged', channel: 'sms', recipients: `["case:${dup}:reporter"]` }]);
});
