import test from 'ava';
import { QueryTypes } from 'sequelize';
import { OPERATIONS } from '../../server/http/openapi.ts';
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

/** One case of the matrix: its id, its open task, its instance, an attachment. */
interface CaseCtx {
  id: number;
  taskKey: string;
  instanceKey: string;
  attachmentId: number;
}

interface Ctx {
  own: CaseCtx;
  other: CaseCtx;
}

/** What one endpoint does for each person: a status, or per case (own town / other town). */
interface Row {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (c: CaseCtx) => string;
  body?: unknown;
  perCase: boolean;
  expect: Partial<Record<Person, number | { own: number; other: number }>>;
  /** The status for everyone not listed. */
  otherwise: number | { own: number; other: number };
  /** Runs after an allowed call to undo it. */
  undo?: (w: CaseWorld, headers: Record<string, string>, c: CaseCtx) => Promise<void>;
}

const CITY: Person[] = ['cityDispatcher', 'citySupervisor', 'cityAdmin', 'cityAuditor', 'cityLeader'];
const all = (status: number) => Object.fromEntries(EVERYONE.map((p) => [p, status]));
const cityAll = (status: number | { own: number; other: number }) =>
  Object.fromEntries(CITY.map((p) => [p, status]));

/** Who sees a case (属地): the city centre all; its town, station and grid worker their own; others nothing. */
const IN_CASE_SCOPE: Pick<Row, 'expect' | 'otherwise'> = {
  expect: {
    ...cityAll({ own: 200, other: 200 }),
    townDispatcher: { own: 200, other: 404 },
    otherTownDispatcher: { own: 404, other: 200 },
    stationHandler: { own: 200, other: 404 },
    gridWorker: { own: 200, other: 404 },
  },
  otherwise: { own: 404, other: 404 },
};

const ROWS: Row[] = [
  {
    name: 'case detail',
    method: 'GET',
    path: (c) => `/api/cases/${c.id}`,
    perCase: true,
    ...IN_CASE_SCOPE,
  },
  {
    name: 'case history',
    method: 'GET',
    path: (c) => `/api/cases/${c.id}/history`,
    perCase: true,
    ...IN_CASE_SCOPE,
  },
  {
    name: 'case audit trail',
    method: 'GET',
    path: (c) => `/api/cases/${c.id}/audit`,
    perCase: true,
    ...IN_CASE_SCOPE,
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
  {
    name: 'list attachments',
    method: 'GET',
    path: (c) => `/api/cases/${c.id}/attachments`,
    perCase: true,
    ...IN_CASE_SCOPE,
  },
  {
    name: 'download an attachment',
    method: 'GET',
    path: (c) => `/api/attachments/${c.attachmentId}`,
    perCase: true,
    ...IN_CASE_SCOPE,
  },
  {
    // JSON instead of multipart: whoever may upload gets as far as the media-type check (415).
    name: 'upload an attachment',
    method: 'POST',
    path: (c) => `/api/cases/${c.id}/attachments`,
    body: {},
    perCase: true,
    expect: {
      ...cityAll({ own: 415, other: 415 }),
      cityAuditor: { own: 403, other: 403 },
      townDispatcher: { own: 415, other: 404 },
      otherTownDispatcher: { own: 404, other: 415 },
      stationHandler: { own: 415, other: 404 },
      gridWorker: { own: 415, other: 404 },
    },
    otherwise: { own: 404, other: 404 },
  },
  {
    name: 'process instance detail',
    method: 'GET',
    path: (c) => `/api/process-instances/${c.instanceKey}`,
    perCase: true,
    expect: { cityAdmin: { own: 200, other: 200 }, cityAuditor: { own: 200, other: 200 } },
    otherwise: { own: 403, other: 403 },
  },
  {
    name: 'process instance history',
    method: 'GET',
    path: (c) => `/api/process-instances/${c.instanceKey}/history`,
    perCase: true,
    expect: { cityAdmin: { own: 200, other: 200 }, cityAuditor: { own: 200, other: 200 } },
    otherwise: { own: 403, other: 403 },
  },
  {
    name: 'org units',
    method: 'GET',
    path: () => '/api/org-units/tree',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'grids',
    method: 'GET',
    path: () => '/api/grids?bbox=119.15,32.25,119.2,32.3',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'categories',
    method: 'GET',
    path: () => '/api/categories',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'a form',
    method: 'GET',
    path: () => '/api/forms/register',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'users',
    method: 'GET',
    path: () => '/api/users',
    perCase: false,
    expect: { cityAdmin: 200 },
    otherwise: 403,
  },
  {
    // An empty body: the admin gets as far as validation (400), everyone else is refused first.
    name: 'create a user',
    method: 'POST',
    path: () => '/api/users',
    body: {},
    perCase: false,
    expect: { cityAdmin: 400 },
    otherwise: 403,
  },
  {
    name: 'process definitions',
    method: 'GET',
    path: () => '/api/process-definitions',
    perCase: false,
    expect: { cityDispatcher: 200, citySupervisor: 200, cityAdmin: 200, cityAuditor: 200, cityLeader: 200 },
    otherwise: 403,
  },
  {
    name: 'lint a diagram',
    method: 'POST',
    path: () => '/api/process-definitions/lint',
    body: {},
    perCase: false,
    expect: { cityAdmin: 400 },
    otherwise: 403,
  },
  {
    name: 'deploy',
    method: 'POST',
    path: () => '/api/process-definitions',
    body: {},
    perCase: false,
    expect: { cityAdmin: 400 },
    otherwise: 403,
  },
  {
    name: 'incidents',
    method: 'GET',
    path: () => '/api/incidents',
    perCase: false,
    expect: { cityDispatcher: 200, citySupervisor: 200, cityAdmin: 200, cityAuditor: 200 },
    otherwise: 403,
  },
  {
    name: 'retry an incident',
    method: 'POST',
    path: () => '/api/incidents/999999999/retry',
    body: {},
    perCase: false,
    expect: { cityAdmin: 404 },
    otherwise: 403,
  },
  {
    name: 'fix variables',
    method: 'PUT',
    path: (c) => `/api/process-instances/${c.instanceKey}/variables`,
    body: {},
    perCase: false,
    expect: { cityAdmin: 400 },
    otherwise: 403,
  },
  {
    // Nobody holds the task: whoever sees it gets the conflict (409), the rest a 404.
    name: 'unclaim a task nobody holds',
    method: 'POST',
    path: (c) => `/api/tasks/${c.taskKey}/unclaim`,
    perCase: true,
    expect: {
      ...cityAll({ own: 409, other: 409 }),
      townDispatcher: { own: 409, other: 404 },
      otherTownDispatcher: { own: 404, other: 409 },
    },
    otherwise: { own: 404, other: 404 },
  },
  {
    name: 'complete a task nobody holds',
    method: 'POST',
    path: (c) => `/api/tasks/${c.taskKey}/complete`,
    body: { action: 'dispatch', variables: {} },
    perCase: true,
    expect: {
      ...cityAll({ own: 409, other: 409 }),
      townDispatcher: { own: 409, other: 404 },
      otherTownDispatcher: { own: 404, other: 409 },
    },
    otherwise: { own: 404, other: 404 },
  },
  {
    name: 'org units (flat)',
    method: 'GET',
    path: () => '/api/org-units',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'an org unit',
    method: 'GET',
    path: () => '/api/org-units/1',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  { name: 'a grid', method: 'GET', path: () => '/api/grids/1', perCase: false, expect: {}, otherwise: 200 },
  {
    name: 'locate a point',
    method: 'GET',
    path: () => '/api/grids/locate?lng=119.19292&lat=32.19534',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'a category',
    method: 'GET',
    path: () => '/api/categories/1',
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'a form version',
    method: 'GET',
    path: () => `/api/forms/key/${formKey}`,
    perCase: false,
    expect: {},
    otherwise: 200,
  },
  {
    name: 'a user',
    method: 'GET',
    path: () => '/api/users/1',
    perCase: false,
    expect: { cityAdmin: 200 },
    otherwise: 403,
  },
  {
    name: 'change a user',
    method: 'PATCH',
    path: () => '/api/users/1',
    body: { roles: [] },
    perCase: false,
    expect: { cityAdmin: 400 },
    otherwise: 403,
  },
  {
    name: 'a process definition',
    method: 'GET',
    path: () => `/api/process-definitions/${definitionKey}`,
    perCase: false,
    expect: { cityDispatcher: 200, citySupervisor: 200, cityAdmin: 200, cityAuditor: 200, cityLeader: 200 },
    otherwise: 403,
  },
  {
    name: 'a process definition’s XML',
    method: 'GET',
    path: () => `/api/process-definitions/${definitionKey}/xml`,
    perCase: false,
    expect: { cityDispatcher: 200, citySupervisor: 200, cityAdmin: 200, cityAuditor: 200, cityLeader: 200 },
    otherwise: 403,
  },
];

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let w: CaseWorld;
let formKey = '';
let definitionKey = '';
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
async function caseAtTownDispatch(gridId: number): Promise<CaseCtx> {
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
  const upload = new FormData();
  upload.append('file', new Blob([PNG], { type: 'image/png' }), '现场照片.png');
  const res = await fetch(`${await w.serve()}/api/cases/${filed.id}/attachments`, {
    method: 'POST',
    headers: { authorization: (await w.signIn('city.dispatcher')).authorization },
    body: upload,
  });
  const uploaded = (await res.json()) as { items: { id: number }[] };
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(uploaded)}`);
  return {
    id: filed.id,
    taskKey: task.userTaskKey,
    instanceKey: filed.processInstanceKey,
    attachmentId: uploaded.items[0].id,
  };
}

test.before(async () => {
  w = await createCaseWorld();
  const sql = async <T extends object>(q: string, replacements: unknown[] = []): Promise<T[]> =>
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
  formKey = (await w.engine.getLatestForm('register')).formKey;
  definitionKey = (await w.engine.listProcessDefinitions({ bpmnProcessId: 'case-lifecycle' }))[0]
    .processDefinitionKey;
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

test('the matrix covers every operation of the API', (t) => {
  const covered = ROWS.map((r) => `${r.method} ${r.path(ctx.own).split('?')[0]}`);
  const missing = OPERATIONS.filter((op) => op.roles !== 'public').filter((op) => {
    const pattern = new RegExp(`^${op.method.toUpperCase()} ${op.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`);
    return !covered.some((c) => pattern.test(c));
  });
  t.deepEqual(
    missing.map((op) => `${op.method} ${op.path}`),
    [],
  );
});
