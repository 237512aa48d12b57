import test from 'ava';
import { QueryTypes } from 'sequelize';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

// Every role against every endpoint, on a case of its own town and one of another town: allowed or refused,
// and a refusal for something outside one's scope is a 404 that reads exactly like a case that does not
// exist (no existence leak). Mutating calls that succeed are undone or harmless (claim → unclaim).

/** The people of the matrix, by what they are. */
const PEOPLE = {
  cityDispatcher: 'city.dispatcher',
  citySupervisor: 'city.supervisor',
  cityAdmin: 'city.admin',
  cityAuditor: 'city.auditor',
  cityLeader: 'city.leader',
  townDispatcher: 'zhenzhou.dispatcher',
  otherTownDispatcher: '', // filled in from the seed: a dispatcher of another town
  deptHandler: 'dept.chengguan.handler',
  stationHandler: 'zhenzhou.xupu.handler',
  gridWorker: 'zhenzhou.xupu.grid1',
} as const;
type Person = keyof typeof PEOPLE;
const EVERYONE = Object.keys(PEOPLE) as Person[];

interface Ctx {
  own: { id: number; taskKey: string };
  other: { id: number; taskKey: string };
}

/** What one endpoint does for each person: a status, or per case (own town / other town). */
interface Row {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (c: { id: number; taskKey: string }) => string;
  body?: unknown;
  perCase: boolean;
  expect: Partial<Record<Person, number | { own: number; other: number }>>;
  /** The status for everyone not listed. */
  otherwise: number | { own: number; other: number };
  /** Runs after an allowed call to undo it. */
  undo?: (w: CaseWorld, headers: Record<string, string>, c: { id: number; taskKey: string }) => Promise<void>;
}

const CITY: Person[] = ['cityDispatcher', 'citySupervisor', 'cityAdmin', 'cityAuditor', 'cityLeader'];
const all = (status: number) => Object.fromEntries(EVERYONE.map((p) => [p, status]));
const cityAll = (status: number | { own: number; other: number }) =>
  Object.fromEntries(CITY.map((p) => [p, status]));

const ROWS: Row[] = [
  {
    name: 'case detail',
    method: 'GET',
    path: (c) => `/api/cases/${c.id}`,
    perCase: true,
    expect: {
      ...cityAll({ own: 200, other: 200 }),
      townDispatcher: { own: 200, other: 404 },
      otherTownDispatcher: { own: 404, other: 200 },
      stationHandler: { own: 200, other: 404 },
      gridWorker: { own: 200, other: 404 },
    },
    otherwise: { own: 404, other: 404 },
  },
  {
    name: 'case history',
    method: 'GET',
    path: (c) => `/api/cases/${c.id}/history`,
    perCase: true,
    expect: {
      ...cityAll({ own: 200, other: 200 }),
      townDispatcher: { own: 200, other: 404 },
      otherTownDispatcher: { own: 404, other: 200 },
      stationHandler: { own: 200, other: 404 },
      gridWorker: { own: 200, other: 404 },
    },
    otherwise: { own: 404, other: 404 },
  },
  {
    name: 'task detail (the town dispatch task)',
    method: 'GET',
    path: (c) => `/api/tasks/${c.taskKey}`,
    perCase: true,
    expect: {
      ...cityAll({ own: 200, other: 200 }),
      townDispatcher: { own: 200, other: 404 },
      otherTownDispatcher: { own: 404, other: 200 },
    },
    otherwise: { own: 404, other: 404 },
  },
  {
    name: 'claim (the town dispatch task)',
    method: 'POST',
    path: (c) => `/api/tasks/${c.taskKey}/claim`,
    perCase: true,
    // The city centre sees every task but is offered none of a town's: 403, not 404.
    expect: {
      ...cityAll({ own: 403, other: 403 }),
      townDispatcher: { own: 204, other: 404 },
      otherTownDispatcher: { own: 404, other: 204 },
    },
    otherwise: { own: 404, other: 404 },
    undo: async (w, h, c) => {
      const res = await api(w, h, 'POST', `/api/tasks/${c.taskKey}/unclaim`);
      if (res.status !== 204) throw new Error(`unclaim: ${res.status}`);
    },
  },
  {
    name: 'file a hotline case',
    method: 'POST',
    path: () => '/api/cases',
    body: { source: 'hotline_12345', description: '噪音扰民，夜间施工' },
    perCase: false,
    expect: { cityDispatcher: 201, townDispatcher: 201, otherTownDispatcher: 201 },
    otherwise: 403,
  },
  {
    name: 'search cases',
    method: 'GET',
    path: () => '/api/cases',
    perCase: false,
    expect: all(200),
    otherwise: 200,
  },
  {
    name: 'task inbox',
    method: 'GET',
    path: () => '/api/tasks',
    perCase: false,
    expect: all(200),
    otherwise: 200,
  },
  {
    name: 'who am I',
    method: 'GET',
    path: () => '/api/auth/me',
    perCase: false,
    expect: all(200),
    otherwise: 200,
  },
];

let w: CaseWorld;
const headers = new Map<Person, Record<string, string>>();
let ctx: Ctx;

async function centroidOfGrid(gridId: number): Promise<{ lng: number; lat: number }> {
  const grid = await w.models.Grid.findByPk(gridId);
  const ring = (JSON.parse(grid!.get('geometry') as string) as { coordinates: number[][][][] })
    .coordinates[0][0];
  return {
    lng: ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1),
    lat: ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1),
  };
}

/** Files a case in a grid and dispatches it to its town: its open task is the town's dispatch task. */
async function caseAtTownDispatch(gridId: number): Promise<{ id: number; taskKey: string }> {
  const p = await centroidOfGrid(gridId);
  const filed = await w.file({
    source: 'hotline_12345',
    reporterPhone: '13812345678',
    description: '小区门口垃圾堆放三天无人清运',
    ...p,
    categoryCode: '06001',
  });
  const row = await w.models.Case.findByPk(filed.id);
  await w.completeTask(filed.id, 'register', 'register', { categoryCode: '06001', urgency: 'normal' });
  await w.completeTask(filed.id, 'dispatch-city', 'dispatch', {
    dispatchUnitKind: 'town',
    dispatchUnitId: row!.get('townId'),
  });
  const [task] = await w.openTasks(filed.id);
  if (task?.elementId !== 'dispatch-town') throw new Error(`expected dispatch-town, got ${task?.elementId}`);
  return { id: filed.id, taskKey: task.userTaskKey };
}

test.before(async () => {
  w = await createCaseWorld();
  const sql = async <T>(q: string, replacements: unknown[] = []): Promise<T[]> =>
    w.db.sequelize.query<T>(q, { replacements, type: QueryTypes.SELECT });
  const [other] = await sql<{ username: string }>(
    "SELECT username FROM app_user WHERE username LIKE '%.dispatcher' AND username NOT IN ('city.dispatcher', 'zhenzhou.dispatcher') ORDER BY username LIMIT 1",
  );
  (PEOPLE as Record<Person, string>).otherTownDispatcher = other.username;
  const [ownGrid] = await sql<{ grid_id: number }>(
    'SELECT g.grid_id FROM user_grid g JOIN app_user u ON u.id = g.user_id WHERE u.username = ?',
    [PEOPLE.gridWorker],
  );
  const [otherGrid] = await sql<{ id: number }>(
    `SELECT g.id FROM grid g JOIN org_unit v ON v.id = g.village_id
      JOIN app_user u ON u.org_unit_id = v.parent_id WHERE u.username = ? ORDER BY g.id LIMIT 1`,
    [other.username],
  );
  ctx = { own: await caseAtTownDispatch(ownGrid.grid_id), other: await caseAtTownDispatch(otherGrid.id) };
  for (const person of EVERYONE) headers.set(person, await w.signIn(PEOPLE[person]));
});
test.after.always(() => w?.close());

for (const row of ROWS) {
  test.serial(`${row.method} ${row.name}: every role, allowed and refused`, async (t) => {
    const failures: string[] = [];
    for (const person of EVERYONE) {
      const want = row.expect[person] ?? row.otherwise;
      const cases = row.perCase ? (['own', 'other'] as const) : (['own'] as const);
      for (const which of cases) {
        const expected = typeof want === 'number' ? want : want[which];
        const c = ctx[which];
        const h = headers.get(person)!;
        const res = await api<{ code?: string }>(w, h, row.method, row.path(c), row.body);
        if (res.status !== expected) {
          failures.push(
            `${PEOPLE[person]} on ${which}: ${res.status} (want ${expected}) ${JSON.stringify(res.body).slice(0, 120)}`,
          );
        } else if (res.status < 300 && row.undo) {
          await row.undo(w, h, c);
        }
      }
    }
    t.deepEqual(failures, []);
  });
}

test.serial('a case outside one’s scope reads exactly like a case that does not exist', async (t) => {
  const h = headers.get('townDispatcher')!;
  const hidden = await api<Record<string, unknown>>(w, h, 'GET', `/api/cases/${ctx.other.id}`);
  const missing = await api<Record<string, unknown>>(w, h, 'GET', '/api/cases/99999999');
  t.is(hidden.status, 404);
  const strip = (b: Record<string, unknown>) => ({ ...b, detail: String(b.detail).replace(/\d+/g, 'N') });
  t.deepEqual(strip(hidden.body), strip(missing.body));
  const hiddenTask = await api<Record<string, unknown>>(w, h, 'GET', `/api/tasks/${ctx.other.taskKey}`);
  const missingTask = await api<Record<string, unknown>>(w, h, 'GET', '/api/tasks/99999999');
  t.deepEqual(strip(hiddenTask.body), strip(missingTask.body));
});

test.serial('search and the inbox return only what is in scope', async (t) => {
  const ids = async (person: Person): Promise<number[]> =>
    (
      await api<{ items: { id?: number; case?: { id: number } }[] }>(
        w,
        headers.get(person)!,
        'GET',
        '/api/cases?pageSize=200',
      )
    ).body.items.map((i) => i.id ?? i.case!.id);
  t.true((await ids('cityAuditor')).includes(ctx.other.id));
  t.true((await ids('townDispatcher')).includes(ctx.own.id));
  t.false((await ids('townDispatcher')).includes(ctx.other.id));
  t.false((await ids('deptHandler')).includes(ctx.own.id));
  t.true((await ids('gridWorker')).includes(ctx.own.id));
  t.false((await ids('gridWorker')).includes(ctx.other.id));

  const inbox = async (person: Person): Promise<number[]> =>
    (
      await api<{ items: { caseId: number }[] }>(w, headers.get(person)!, 'GET', '/api/tasks?pageSize=200')
    ).body.items.map((i) => i.caseId);
  t.true((await inbox('townDispatcher')).includes(ctx.own.id));
  t.false((await inbox('townDispatcher')).includes(ctx.other.id));
  t.false((await inbox('cityAuditor')).includes(ctx.own.id), 'an auditor is offered no tasks');
});
