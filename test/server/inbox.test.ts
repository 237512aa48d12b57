import test from 'ava';
import { QueryTypes } from 'sequelize';
import { createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

// The inbox reads a group's open tasks through task_candidate.open (migration 0007): these tests pin down what
// it must still return — offered and unassigned, assigned to me, never assigned to someone else, never done.

interface InboxPage {
  items: { userTaskKey: string; caseId: number; elementId: string; assignee: string | null }[];
  total: number;
}

test('the inbox: offered to my group, mine, someone else’s, done — each view shows exactly its tasks', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  // Three grids apart, so that duplicate detection does not merge the cases.
  const grids = (await w.models.Grid.findAll({ order: [['id', 'ASC']] })).map(
    (g) => g.get({ plain: true }) as { minLng: number; minLat: number; maxLng: number; maxLat: number },
  );
  const file = (n: number) => {
    const g = grids[n * 40];
    return w.file({
      source: 'hotline_12345',
      sourceTicketId: `inbox-${n}`,
      description: '路灯不亮',
      lng: (g.minLng + g.maxLng) / 2,
      lat: (g.minLat + g.maxLat) / 2,
      categoryCode: '06001',
    });
  };
  const [a, b, c] = [await file(1), await file(2), await file(3)];
  await w.settle();
  const keyOf = async (caseId: number) => String((await w.openTasks(caseId))[0].userTaskKey);
  const [ka, kb, kc] = [await keyOf(a.id), await keyOf(b.id), await keyOf(c.id)];

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
