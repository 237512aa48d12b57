import test from 'ava';
import { QueryTypes } from 'sequelize';
import { COUNT_CAP } from '../../server/services/case-query.service.ts';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

// The case search takes each branch of the user's scope in index order and merges them (migration 0008). These
// pin down what that must keep: a case outside the town that was dispatched to it is the town's too, pages
// cut from the merged order, nothing from elsewhere, and a total counted only up to COUNT_CAP.

interface SearchPage {
  items: { id: number; caseNo: string }[];
  total: number;
  totalCapped: boolean;
}

/** The centre of a grid of the town with this slug's centre (the seed's codes: see db/seed/README.md). */
async function pointIn(
  w: CaseWorld,
  townName: string,
): Promise<{ lng: number; lat: number; townId: number }> {
  const [g] = await w.db.sequelize.query<{
    min_lng: number;
    max_lng: number;
    min_lat: number;
    max_lat: number;
    town_id: number;
  }>(
    `SELECT g.min_lng, g.max_lng, g.min_lat, g.max_lat, v.parent_id AS town_id
       FROM grid g JOIN org_unit v ON v.id = g.village_id JOIN org_unit t ON t.id = v.parent_id
      WHERE t.name = ? ORDER BY g.id LIMIT 1`,
    { replacements: [townName], type: QueryTypes.SELECT },
  );
  return { lng: (g.min_lng + g.max_lng) / 2, lat: (g.min_lat + g.max_lat) / 2, townId: Number(g.town_id) };
}

test('a town sees its own cases and one dispatched to it from elsewhere, paged newest first; another town sees neither', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const zhenzhou = await pointIn(w, '真州镇');
  const xinji = await pointIn(w, '新集镇');
  const file = (n: number, at: { lng: number; lat: number }) =>
    w.file({
      source: 'hotline_12345',
      sourceTicketId: `search-${n}`,
      description: `测试案件 ${n}`,
      categoryCode: '06001',
      ...at,
    });
  const own = await file(1, zhenzhou);
  await w.clock.advance(60_000);
  const elsewhere = await file(2, xinji);
  await w.settle();
  // The city centre registers the 新集镇 case and sends it to 真州镇 (a wrong town is a real centre's mistake).
  await w.completeTask(elsewhere.id, 'register', 'register', {
    categoryCode: '06001',
    urgency: 'normal',
    majorEmergency: false,
  });
  await w.completeTask(elsewhere.id, 'dispatch-city', 'dispatch', {
    dispatchUnitKind: 'town',
    dispatchUnitId: zhenzhou.townId,
  });

  const town = await w.signIn('zhenzhou.dispatcher');
  const all = await api<SearchPage>(w, town, 'GET', '/api/cases?pageSize=20');
  t.is(all.status, 200);
  t.deepEqual(
    all.body.items.map((c) => c.id),
    [elsewhere.id, own.id],
  );
  t.is(all.body.total, 2);
  t.false(all.body.totalCapped);
  const page2 = await api<SearchPage>(w, town, 'GET', '/api/cases?pageSize=1&page=2');
  t.deepEqual(
    page2.body.items.map((c) => c.id),
    [own.id],
  );
  t.is(page2.body.total, 2);
  t.is((await api(w, town, 'GET', `/api/cases/${elsewhere.id}`)).status, 200);

  // By status: the case from elsewhere is found through what was offered to the town (case_party, with the
  // case's status beside it), and follows the case when its status changes.
  const byStatus = async (status: string) => {
    const r = await api<SearchPage>(w, town, 'GET', `/api/cases?pageSize=20&status=${status}`);
    return { ids: r.body.items.map((c) => c.id), total: r.body.total };
  };
  t.deepEqual(await byStatus('dispatched'), { ids: [elsewhere.id], total: 1 });
  t.deepEqual(await byStatus('handling'), { ids: [], total: 0 });
  await w.completeTask(elsewhere.id, 'dispatch-town', 'dispatch', {
    handlerUnitId: (await w.models.Case.findByPk(own.id))!.get('villageId'),
  });
  t.deepEqual(await byStatus('handling'), { ids: [elsewhere.id], total: 1 });
  t.deepEqual(await byStatus('dispatched'), { ids: [], total: 0 });

  const other = await w.signIn('xincheng.dispatcher');
  const none = await api<SearchPage>(w, other, 'GET', '/api/cases?pageSize=20');
  t.false(none.body.items.some((c) => c.id === own.id || c.id === elsewhere.id));
  t.is((await api(w, other, 'GET', `/api/cases/${elsewhere.id}`)).status, 404);
});

test(`the total stops at ${COUNT_CAP} and says so`, async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const now = w.clock.now();
  const stamp = new Date(now)
    .toISOString()
    .replace('T', ' ')
    .replace('Z', w.db.sequelize.getDialect() === 'sqlite' ? ' +00:00' : '');
  await w.db.sequelize.transaction(async (transaction) => {
    for (let from = 0; from <= COUNT_CAP; from += 500) {
      const rows = Array.from({ length: 500 }, (_, i) => from + i);
      await w.db.sequelize.query(
        `INSERT INTO cases (case_no, source, description, urgency, status, major_emergency, accepted_at, created_at, updated_at) VALUES ${rows.map(() => "(?, 'web', '批量', 'normal', 'closed', 0, ?, ?, ?)").join(', ')}`,
        { replacements: rows.flatMap((n) => [`BULK${n}`, now - n, stamp, stamp]), transaction },
      );
    }
  });
  const city = await w.signIn('city.dispatcher');
  const r = await api<SearchPage>(w, city, 'GET', '/api/cases?pageSize=5');
  t.is(r.body.total, COUNT_CAP);
  t.true(r.body.totalCapped);
  t.deepEqual(
    r.body.items.map((c) => c.caseNo),
    ['BULK0', 'BULK1', 'BULK2', 'BULK3', 'BULK4'],
  );
  const filtered = await api<SearchPage>(w, city, 'GET', '/api/cases?pageSize=5&q=BULK10000');
  t.deepEqual({ total: filtered.body.total, capped: filtered.body.totalCapped }, { total: 1, capped: false });
});
