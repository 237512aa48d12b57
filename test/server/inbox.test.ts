import test from 'ava';
import { QueryTypes } from 'sequelize';
import { createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';
import { INBOX_COUNT_CAP } from '../../server/services/task.service.ts';

// The inbox reads a group's open tasks through task_candidate.open (migration 0007): these tests pin down what
// it must still return — offered and unassigned, assigned to me, never assigned to someone else, never done.

interface InboxPage {
  items: { userTaskKey: string; caseId: number; elementId: string; assignee: string | null }[];
  total: number;
}

test('the inbox: offered to my group, mine, someone else’s, done — each view shows exactly its tasks', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const { cases, keys, keyOf } = await threeRegistrations(w, 'inbox');
  const [ka, kb, kc] = keys;
  const c = cases[2];

  const h = await w.signIn('city.dispatcher');
  const view = async (v: string) => {
    const r = await api<InboxPage>(w, h, 'GET', `/api/tasks?view=${v}&pageSize=50`);
    t.is(r.status, 200);
    return { keys: r.body.items.map((i) => i.userTaskKey).sort(), total: r.body.total };
  };
  t.deepEqual(await view('all'), { keys: [ka, kb, kc].sort(), total: 3 });
  t.deepEqual(await view('mine'), { keys: [], total: 0 });

  // a: claimed by me; b: assigned to someone else; c: completed.
  t.is((await api(w, h, 'POST', `/api/tasks/${ka}/claim`)).status, 204);
  await w.engine.assignUserTask({ userTaskKey: kb, assignee: 'someone.else' });
  await w.completeTask(c.id, 'register', 'register', {
    categoryCode: '06001',
    urgency: 'normal',
    majorEmergency: false,
  });

  // c moved on to its next task (the city centre's dispatch), offered to the group; the registration is gone.
  await w.settle();
  const kc2 = await keyOf(c.id);
  t.not(kc2, kc);
  t.deepEqual(await view('mine'), { keys: [ka], total: 1 });
  t.deepEqual(await view('groups'), { keys: [kc2], total: 1 });
  t.deepEqual(await view('all'), { keys: [ka, kc2].sort(), total: 2 });

  // The completed task's candidate rows are closed; the open ones stay open.
  const open = await w.db.sequelize.query<{ user_task_key: string | number; open: number | string }>(
    'SELECT user_task_key, open FROM task_candidate WHERE user_task_key IN (?, ?)',
    { replacements: [kb, kc], type: QueryTypes.SELECT },
  );
  t.deepEqual(Object.fromEntries(open.map((r) => [String(r.user_task_key), Number(r.open)])), {
    [kb]: 1,
    [kc]: 0,
  });

  // Given back, b is offered to the group again; a town dispatcher sees none of the city centre's tasks.
  await w.engine.unassignUserTask({ userTaskKey: kb });
  t.deepEqual(await view('groups'), { keys: [kb, kc2].sort(), total: 2 });
  const town = await w.signIn('zhenzhou.dispatcher');
  const r = await api<InboxPage>(w, town, 'GET', '/api/tasks?pageSize=50');
  t.false(r.body.items.some((i) => [ka, kb, kc, kc2].includes(i.userTaskKey)));
});

test('the inbox lists the most urgent first across pages, follows a changed due date, and leaves tasks without one last', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const {
    keys: [ka, kb, kc],
  } = await threeRegistrations(w, 'due');
  const now = w.clock.now();
  const due = (userTaskKey: string, at: number | null) =>
    w.engine.updateUserTask({
      userTaskKey,
      changeset: { dueDate: at == null ? null : new Date(at).toISOString() },
    });
  await due(ka, now + 3 * 3_600_000);
  await due(kb, null);
  await due(kc, now + 3_600_000);

  const h = await w.signIn('city.dispatcher');
  const keys = async (query: string) => {
    const r = await api<InboxPage>(w, h, 'GET', `/api/tasks?${query}`);
    t.is(r.status, 200);
    return r.body.items.map((i) => i.userTaskKey);
  };
  t.deepEqual(await keys('pageSize=50'), [kc, ka, kb]);
  t.deepEqual(
    [await keys('pageSize=1&page=1'), await keys('pageSize=1&page=2'), await keys('pageSize=1&page=3')],
    [[kc], [ka], [kb]],
  );
  // Every page tells the same total: a full page, the last one (not full), and one past the end.
  const totals = await Promise.all(
    ['pageSize=2&page=1', 'pageSize=2&page=2', 'pageSize=2&page=3', 'pageSize=50'].map(
      async (query) => (await api<InboxPage>(w, h, 'GET', `/api/tasks?${query}`)).body.total,
    ),
  );
  t.deepEqual(totals, [3, 3, 3, 3]);
  // A claimed task comes from the user's own branch, in the same order.
  t.is((await api(w, h, 'POST', `/api/tasks/${ka}/claim`)).status, 204);
  t.deepEqual(await keys('pageSize=50'), [kc, ka, kb]);

  // The centre moves b's deadline before the others; a's passes.
  await due(kb, now + 30 * 60_000);
  await due(ka, now - 60_000);
  t.deepEqual(await keys('pageSize=50'), [ka, kb, kc]);
  t.deepEqual(await keys('pageSize=50&overdue=true'), [ka]);
  t.deepEqual(await keys('pageSize=50&view=groups'), [kb, kc]);
});

test('the inbox counts to 1 000 and then says "more", and still pages by due from the top', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const h = await w.signIn('city.dispatcher');
  const me = await api<{ user: { groups: string[] } }>(w, h, 'GET', '/api/auth/me');
  const group = me.body.user.groups.find((g) => g.endsWith(':dispatcher'))!;
  // 1 005 open tasks offered to the city dispatchers, written as the task projection writes them.
  const now = w.clock.now();
  const n = INBOX_COUNT_CAP + 5;
  const rows = Array.from({ length: n }, (_, i) => ({ key: 9_000_000 + i, due: now + (n - i) * 60_000 }));
  await w.db.sequelize.transaction(async (transaction) => {
    for (let from = 0; from < n; from += 250) {
      const slice = rows.slice(from, from + 250);
      await w.db.sequelize.query(
        `INSERT INTO task (user_task_key, process_instance_key, element_id, name, state, due_at, created_at) VALUES ${slice.map(() => "(?, 1, 'dispatch-city', '一级派遣', 'CREATED', ?, ?)").join(', ')}`,
        { replacements: slice.flatMap((r) => [r.key, r.due, now]), transaction },
      );
      await w.db.sequelize.query(
        `INSERT INTO task_candidate (user_task_key, group_name, due_order) VALUES ${slice.map(() => '(?, ?, ?)').join(', ')}`,
        { replacements: slice.flatMap((r) => [r.key, group, r.due]), transaction },
      );
    }
  });

  const r = await api<InboxPage & { totalCapped: boolean }>(w, h, 'GET', '/api/tasks?pageSize=3');
  t.is(r.status, 200);
  t.deepEqual({ total: r.body.total, capped: r.body.totalCapped }, { total: INBOX_COUNT_CAP, capped: true });
  t.deepEqual(
    r.body.items.map((i) => i.userTaskKey),
    [rows[n - 1], rows[n - 2], rows[n - 3]].map((x) => String(x.key)),
  );
  const overdue = await api<InboxPage & { totalCapped: boolean }>(w, h, 'GET', '/api/tasks?overdue=true');
  t.deepEqual({ total: overdue.body.total, capped: overdue.body.totalCapped }, { total: 0, capped: false });
});

type World = Awaited<ReturnType<typeof createCaseWorld>>;

/** Three hotline cases waiting at 登记, three grids apart (so that none is merged as a duplicate). */
async function threeRegistrations(w: World, ticket: string) {
  const grids = (await w.models.Grid.findAll({ order: [['id', 'ASC']] })).map(
    (g) => g.get({ plain: true }) as { minLng: number; minLat: number; maxLng: number; maxLat: number },
  );
  const file = (n: number) => {
    const g = grids[n * 40];
    return w.file({
      source: 'hotline_12345',
      sourceTicketId: `${ticket}-${n}`,
      description: '路灯不亮',
      lng: (g.minLng + g.maxLng) / 2,
      lat: (g.minLat + g.maxLat) / 2,
      categoryCode: '06001',
    });
  };
  const cases = [await file(1), await file(2), await file(3)];
  await w.settle();
  const keyOf = async (caseId: number) => String((await w.openTasks(caseId))[0].userTaskKey);
  const keys = [await keyOf(cases[0].id), await keyOf(cases[1].id), await keyOf(cases[2].id)];
  return { cases, keys, keyOf };
}
