import test from 'ava';
import { QueryTypes } from 'sequelize';
import { createWorkerWorld } from '../helpers/worker-world.ts';

const MINUTE = 60_000;

test('writes the assessment facts of a closed case once, however often it runs', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const category = await w.models.Category.findOne({ where: { code: '22002' } });
  const t0 = w.clock.now();
  const caseId = await w.insertCase({
    categoryId: category!.get('id') as number,
    status: 'closed',
    registeredAt: t0,
    dispatchedAt: t0 + 5 * MINUTE,
    handleDueAt: t0 + 60 * MINUTE,
    handledAt: t0 + 90 * MINUTE,
    verifiedAt: t0 + 100 * MINUTE,
    closedAt: t0 + 110 * MINUTE,
  });
  const input = { caseId, returnCount: 1, reworkCount: 1, satisfaction: 'fairly' };

  await w.run('case-assess', input);
  await w.run('case-assess', input);

  const rows = await w.db.sequelize.query<Record<string, unknown>>(
    'SELECT * FROM case_assessment WHERE case_id = ?',
    { replacements: [caseId], type: QueryTypes.SELECT },
  );
  t.is(rows.length, 1);
  t.like(rows[0], {
    outcome: 'closed',
    returned: 1,
    reworked: 1,
    satisfaction: 'fairly',
    month: '2026-03',
  });
  t.is(Number(rows[0].dispatched_on_time), 1);
  t.is(Number(rows[0].handled_on_time), 0, 'handled 30 minutes after the deadline');
  t.is(Number(rows[0].first_time_resolved), 0, 'reworked once');
  t.is((await w.caseRow(caseId)).satisfaction, 'fairly');
});
