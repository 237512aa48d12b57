import test from 'ava';
import { QueryTypes } from 'sequelize';
import { DEMO_CATEGORIES } from '../../db/seed/demo-categories.ts';
import { DEMO_PASSWORD } from '../../db/seed/demo-seed.ts';
import type { z } from 'zod';
import {
  CategoryListSchema,
  CategorySchema,
  type CategoryView,
  type GridFeature,
  GridFeatureCollectionSchema,
  type GridFeatureCollection,
  GridFeatureSchema,
  type GridLocation,
  GridLocationSchema,
  OrgUnitListSchema,
  OrgUnitSchema,
  type OrgUnitTreeNode,
  OrgUnitTreeSchema,
  type OrgUnitView,
  UserPageSchema,
  type UserView,
  UserViewSchema,
} from '../../server/schemas/reference.schema.ts';
import { bbox, pointInMultiPolygon } from '../../server/services/geo.ts';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';

// The reference-data API over HTTP on the seeded demo city. Read-only tests share one world; the user
// administration tests, which write, run one after another on a second world.

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

interface Reply<T> {
  status: number;
  type: string;
  body: T;
}

async function api<T>(
  w: CaseWorld,
  headers: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply<T>> {
  const base = await w.serve();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: (text ? JSON.parse(text) : null) as T,
  };
}

async function signInAs(
  w: CaseWorld,
  username: string,
  password: string,
): Promise<Reply<{ token?: string }>> {
  return api<{ token?: string }>(w, {}, 'POST', '/api/auth/login', { username, password });
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function count(w: CaseWorld, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await w.db.sequelize.query<{ n: number | string }>(sql, {
    replacements: params,
    type: QueryTypes.SELECT,
  });
  return Number(row.n);
}

let reader: CaseWorld;
let writer: CaseWorld;

test.before(async () => {
  [reader, writer] = await Promise.all([createCaseWorld(), createCaseWorld()]);
  // Started here, once: concurrent first calls of serve() would each start a server, and only one is closed.
  await Promise.all([reader.serve(), writer.serve()]);
});

test.after.always(async () => {
  await Promise.all([reader?.close(), writer?.close()]);
});

// ---- Sign-in and roles --------------------------------------------------------------------------------

test('every reference endpoint needs a signed-in user', async (t) => {
  for (const path of [
    '/api/org-units',
    '/api/org-units/tree',
    '/api/grids',
    '/api/grids/locate?lat=32.27&lng=119.18',
    '/api/categories',
    '/api/users',
  ]) {
    const res = await api<Problem>(reader, {}, 'GET', path);
    t.is(res.status, 401, path);
    t.regex(res.type, /^application\/problem\+json/, path);
  }
});

test('a signed-in user without the admin role gets 403 on user administration, and nothing is written', async (t) => {
  const dispatcher = await reader.signIn('city.dispatcher');
  const users = await count(reader, 'SELECT COUNT(*) AS n FROM app_user');

  const list = await api<Problem>(reader, dispatcher, 'GET', '/api/users');
  const create = await api<Problem>(reader, dispatcher, 'POST', '/api/users', {
    username: 'sneaky',
    displayName: '某人',
    password: 'long-enough-password',
    roles: ['admin'],
    orgUnitId: 1,
  });

  t.is(list.status, 403);
  t.is(list.body.code, 'FORBIDDEN');
  t.regex(list.type, /^application\/problem\+json/);
  t.is(create.status, 403);
  t.is(await count(reader, 'SELECT COUNT(*) AS n FROM app_user'), users);
});

// ---- Org units ----------------------------------------------------------------------------------------

test('a grid worker reads the organisation as a flat list in tree order', async (t) => {
  const h = await reader.signIn('zhenzhou.xupu.grid1');

  const res = await api<{ items: OrgUnitView[] }>(reader, h, 'GET', '/api/org-units');

  t.is(res.status, 200);
  const units = res.body.items;
  t.is(units.length, reader.seed.orgUnits);
  const position = new Map(units.map((u, i) => [u.id, i]));
  for (const u of units) {
    if (u.parentId === null) continue;
    t.true(position.has(u.parentId), `parent of ${u.name} is listed`);
    t.true(position.get(u.parentId)! < position.get(u.id)!, `${u.name} comes after its parent`);
  }
  t.deepEqual(
    units.filter((u) => u.parentId === null).map((u) => u.code),
    ['321081000000'],
  );
});

test('org units filter by level, kind and parent', async (t) => {
  const h = await reader.signIn('city.dispatcher');

  const towns = await api<{ items: OrgUnitView[] }>(
    reader,
    h,
    'GET',
    '/api/org-units?level=town&kind=centre',
  );
  const zhenzhou = towns.body.items.find((u) => u.name === '真州镇')!;
  const children = await api<{ items: OrgUnitView[] }>(
    reader,
    h,
    'GET',
    `/api/org-units?parentId=${zhenzhou.id}`,
  );
  const bad = await api<Problem>(reader, h, 'GET', '/api/org-units?kind=palace');

  t.is(towns.body.items.length, 11);
  t.true(towns.body.items.every((u) => u.level === 'town' && u.kind === 'centre'));
  t.is(children.body.items.length, 11 + 4);
  t.true(children.body.items.every((u) => u.parentId === zhenzhou.id));
  t.is(children.body.items.filter((u) => u.kind === 'station').length, 11);
  t.is(bad.status, 400);
  t.is(bad.body.errors?.[0].field, 'query.kind');
});

test('the org unit tree has the city centre as its only root, with the 11 towns and parks under it', async (t) => {
  const h = await reader.signIn('city.dispatcher');

  const res = await api<{ roots: OrgUnitTreeNode[] }>(reader, h, 'GET', '/api/org-units/tree');

  t.is(res.status, 200);
  t.is(res.body.roots.length, 1);
  const [city] = res.body.roots;
  t.is(city.name, '市网格化服务管理中心');
  t.is(city.level, 'city');
  const towns = city.children.filter((c) => c.kind === 'centre');
  t.is(towns.length, 11);
  t.true(towns.every((c) => c.level === 'town'));
  t.is(city.children.filter((c) => c.kind === 'department').length, 13);
  const size = (n: OrgUnitTreeNode): number => 1 + n.children.reduce((s, c) => s + size(c), 0);
  t.is(size(city), reader.seed.orgUnits);
  for (const town of towns) {
    const stations = town.children.filter((c) => c.kind === 'station');
    t.true(stations.length >= 9 && stations.length <= 11, town.name);
    t.true(
      stations.every((s) => s.children.length === 0 && s.parentId === town.id),
      town.name,
    );
  }
});

test('one org unit by id, and a 404 problem for an unknown one', async (t) => {
  const h = await reader.signIn('city.dispatcher');
  const [town] = (
    await api<{ items: OrgUnitView[] }>(reader, h, 'GET', '/api/org-units?level=town&kind=centre')
  ).body.items;

  const one = await api<OrgUnitView>(reader, h, 'GET', `/api/org-units/${town.id}`);
  const missing = await api<Problem>(reader, h, 'GET', '/api/org-units/999999');
  const notAnId = await api<Problem>(reader, h, 'GET', '/api/org-units/abc');

  t.deepEqual(one.body, town);
  t.is(missing.status, 404);
  t.is(missing.body.code, 'ORG_UNIT_NOT_FOUND');
  t.regex(missing.type, /^application\/problem\+json/);
  t.is(notAnId.status, 400);
  t.is(notAnId.body.errors?.[0].field, 'params.id');
});

// ---- Grids --------------------------------------------------------------------------------------------

/** Points inside the demo territory, off the lattice lines. */
const POINTS: [number, number][] = [
  [119.1234, 32.2345],
  [119.0456, 32.1789],
  [119.3011, 32.3567],
  [119.1877, 32.2713],
];

test('grids come as a GeoJSON FeatureCollection of WGS84 MultiPolygons with their village and town', async (t) => {
  const h = await reader.signIn('city.dispatcher');

  const res = await api<GridFeatureCollection>(reader, h, 'GET', '/api/grids');
  const villages = (await api<{ items: OrgUnitView[] }>(reader, h, 'GET', '/api/org-units?kind=station')).body
    .items;

  t.is(res.status, 200);
  t.regex(res.type, /^application\/geo\+json/);
  t.is(res.body.type, 'FeatureCollection');
  t.is(res.body.features.length, reader.seed.grids);
  const townOf = new Map(villages.map((v) => [v.id, v.parentId]));
  for (const f of res.body.features) {
    t.is(f.type, 'Feature');
    t.is(f.geometry.type, 'MultiPolygon');
    const ring = f.geometry.coordinates[0][0];
    t.deepEqual(ring[0], ring[ring.length - 1], 'rings are closed');
    const [lng, lat] = ring[0];
    t.true(lng > 118.9 && lng < 119.4 && lat > 32.1 && lat < 32.4, 'positions are [lng, lat]');
    t.is(f.properties.townId, townOf.get(f.properties.villageId)!);
  }
});

test('locate names the one grid whose polygon contains the point', async (t) => {
  const h = await reader.signIn('city.dispatcher');
  const all = (await api<GridFeatureCollection>(reader, h, 'GET', '/api/grids')).body.features;

  for (const [lng, lat] of POINTS) {
    const located = await api<GridLocation>(reader, h, 'GET', `/api/grids/locate?lat=${lat}&lng=${lng}`);
    t.is(located.status, 200);
    const gridId = located.body.grid!.id;
    const feature = await api<GridFeature>(reader, h, 'GET', `/api/grids/${gridId}`);

    t.regex(feature.type, /^application\/geo\+json/);
    t.true(
      pointInMultiPolygon(lng, lat, feature.body.geometry.coordinates),
      `grid ${gridId} contains the point`,
    );
    t.deepEqual(
      all.filter((f) => pointInMultiPolygon(lng, lat, f.geometry.coordinates)).map((f) => f.id),
      [gridId],
    );
    t.is(located.body.village!.id, feature.body.properties.villageId);
    t.is(feature.body.properties.townId, located.body.town!.id);
    t.is(located.body.grid!.code, feature.body.properties.code);
  }
});

test('locate answers grid null outside every grid, and 400 for a latitude out of range', async (t) => {
  const h = await reader.signIn('city.dispatcher');

  const outside = await api<GridLocation>(reader, h, 'GET', '/api/grids/locate?lat=31.2&lng=121.5');
  const bad = await api<Problem>(reader, h, 'GET', '/api/grids/locate?lat=95&lng=119.1');

  t.is(outside.status, 200);
  t.deepEqual(outside.body, { grid: null, village: null, town: null });
  t.is(bad.status, 400);
  t.deepEqual(
    bad.body.errors?.map((e) => e.field),
    ['query.lat'],
  );
});

test('the bbox filter keeps the grids near the box and drops the far ones', async (t) => {
  const h = await reader.signIn('city.dispatcher');
  const [lng, lat] = POINTS[0];
  const box = { minLng: lng - 0.01, minLat: lat - 0.01, maxLng: lng + 0.01, maxLat: lat + 0.01 };
  const all = (await api<GridFeatureCollection>(reader, h, 'GET', '/api/grids')).body.features;
  const located = (await api<GridLocation>(reader, h, 'GET', `/api/grids/locate?lat=${lat}&lng=${lng}`)).body;

  const res = await api<GridFeatureCollection>(
    reader,
    h,
    'GET',
    `/api/grids?bbox=${box.minLng},${box.minLat},${box.maxLng},${box.maxLat}`,
  );

  const intersects = (f: GridFeature): boolean => {
    const b = bbox(f.geometry.coordinates);
    return (
      b.minLng <= box.maxLng && b.maxLng >= box.minLng && b.minLat <= box.maxLat && b.maxLat >= box.minLat
    );
  };
  const ids = res.body.features.map((f) => f.id).sort((a, b) => a - b);
  t.is(res.status, 200);
  t.true(ids.includes(located.grid!.id));
  t.deepEqual(
    ids,
    all
      .filter(intersects)
      .map((f) => f.id)
      .sort((a, b) => a - b),
  );
  t.true(ids.length < 20, `${ids.length} grids near one point`);
  const far = all.find((f) => bbox(f.geometry.coordinates).minLng > lng + 0.1)!;
  t.false(ids.includes(far.id));
});

test('a malformed bbox is a 400 naming query.bbox', async (t) => {
  const h = await reader.signIn('city.dispatcher');
  for (const bboxText of [
    '119.1,32.2,119.2',
    'a,b,c,d',
    '119.3,32.2,119.1,32.3',
    '119.1,32.3,119.2,32.2',
    '200,32.2,201,32.3',
    '119.1,-95,119.2,32.3',
    '',
  ]) {
    const res = await api<Problem>(reader, h, 'GET', `/api/grids?bbox=${encodeURIComponent(bboxText)}`);
    t.is(res.status, 400, bboxText);
    t.is(res.body.errors?.[0].field, 'query.bbox', bboxText);
  }
});

test('grids filter by town and by village', async (t) => {
  const h = await reader.signIn('city.dispatcher');
  const towns = (
    await api<{ items: OrgUnitView[] }>(reader, h, 'GET', '/api/org-units?level=town&kind=centre')
  ).body.items;
  const town = towns.find((u) => u.name === '真州镇')!;

  const byTown = (await api<GridFeatureCollection>(reader, h, 'GET', `/api/grids?townId=${town.id}`)).body;
  const villageId = byTown.features[0].properties.villageId;
  const byVillage = (await api<GridFeatureCollection>(reader, h, 'GET', `/api/grids?villageId=${villageId}`))
    .body;

  t.is(byTown.features.length, 44);
  t.true(byTown.features.every((f) => f.properties.townId === town.id));
  t.true(byVillage.features.length >= 4 && byVillage.features.length <= 5);
  t.true(byVillage.features.every((f) => f.properties.villageId === villageId));
});

test('an unknown grid is a 404 problem', async (t) => {
  const h = await reader.signIn('city.dispatcher');
  const res = await api<Problem>(reader, h, 'GET', '/api/grids/999999');
  t.is(res.status, 404);
  t.is(res.body.code, 'GRID_NOT_FOUND');
});

// ---- Categories ---------------------------------------------------------------------------------------

test('categories carry their parent and the stored limit of every stage', async (t) => {
  const h = await reader.signIn('city.dispatcher');

  const res = await api<{ items: CategoryView[] }>(reader, h, 'GET', '/api/categories');

  t.is(res.status, 200);
  t.is(res.body.items.length, DEMO_CATEGORIES.length);
  const byCode = new Map(res.body.items.map((c) => [c.code, c]));
  for (const seeded of DEMO_CATEGORIES) {
    const c = byCode.get(seeded.code)!;
    t.deepEqual(
      c.limits,
      {
        acceptMin: seeded.limitAcceptMin,
        dispatchMin: seeded.limitDispatchMin,
        handleMin: seeded.limitHandleMin,
        verifyMin: seeded.limitVerifyMin,
        closeMin: seeded.limitCloseMin,
      },
      seeded.code,
    );
    t.is(c.level, seeded.level);
    t.true(c.active);
    if (seeded.level === 'minor') {
      t.is(c.parent?.code, seeded.parentCode!);
      t.is(c.parent?.name, byCode.get(seeded.parentCode!)!.name);
    } else {
      t.is(c.parent, null);
    }
  }
});

test('categories search by name and by code prefix, and one category reads by id', async (t) => {
  const h = await reader.signIn('city.dispatcher');

  const byName = (
    await api<{ items: CategoryView[] }>(reader, h, 'GET', `/api/categories?q=${encodeURIComponent('井盖')}`)
  ).body.items;
  const byCode = (await api<{ items: CategoryView[] }>(reader, h, 'GET', '/api/categories?q=06')).body.items;
  const literalPercent = (await api<{ items: CategoryView[] }>(reader, h, 'GET', '/api/categories?q=%25'))
    .body.items;
  const one = await api<CategoryView>(reader, h, 'GET', `/api/categories/${byName[0].id}`);
  const missing = await api<Problem>(reader, h, 'GET', '/api/categories/999999');

  t.true(byName.length >= 3);
  t.true(byName.every((c) => c.name.includes('井盖')));
  t.true(byCode.length > 1);
  t.true(byCode.every((c) => c.code.startsWith('06') || c.name.includes('06')));
  t.deepEqual(literalPercent, []);
  t.deepEqual(one.body, byName[0]);
  t.is(missing.status, 404);
  t.is(missing.body.code, 'CATEGORY_NOT_FOUND');
});

// ---- Users: reading (admin) ---------------------------------------------------------------------------

test('the admin lists users a page at a time, masked and without password hashes', async (t) => {
  const h = await reader.signIn('city.admin');

  const page = await api<{ items: UserView[]; total: number; page: number; pageSize: number }>(
    reader,
    h,
    'GET',
    '/api/users?pageSize=200&page=2',
  );
  const admins = await api<{ items: UserView[]; total: number }>(reader, h, 'GET', '/api/users?role=admin');
  const search = await api<{ items: UserView[]; total: number }>(reader, h, 'GET', '/api/users?q=xupu.grid');
  const tooBig = await api<Problem>(reader, h, 'GET', '/api/users?pageSize=201');

  t.is(page.status, 200);
  t.is(page.body.total, reader.seed.users);
  t.is(page.body.items.length, 200);
  t.is(page.body.page, 2);
  const text = JSON.stringify(page.body);
  t.false(text.includes('argon2'));
  t.false(/password/i.test(text));
  t.true(page.body.items.every((u) => u.phone === null || /^\d{3}\*{4}\d{4}$/.test(u.phone)));
  t.deepEqual(
    admins.body.items.map((u) => u.username),
    ['city.admin'],
  );
  t.is(search.body.total, 4);
  t.true(search.body.items.every((u) => u.roles.join() === 'grid_worker' && u.gridIds.length === 1));
  t.is(tooBig.status, 400);
  t.is(tooBig.body.errors?.[0].field, 'query.pageSize');
});

test('the admin reads one user by id; an unknown id is a 404 problem', async (t) => {
  const h = await reader.signIn('city.admin');
  const [worker] = (await api<{ items: UserView[] }>(reader, h, 'GET', '/api/users?q=zhenzhou.xupu.grid1'))
    .body.items;

  const one = await api<UserView>(reader, h, 'GET', `/api/users/${worker.id}`);
  const missing = await api<Problem>(reader, h, 'GET', '/api/users/999999');

  t.deepEqual(one.body, worker);
  t.is(one.body.orgUnit.kind, 'station');
  t.is(missing.status, 404);
  t.is(missing.body.code, 'USER_NOT_FOUND');
});

test('every answer is exactly what the exported response schema describes', async (t) => {
  const h = await reader.signIn('city.admin');
  const [lng, lat] = POINTS[0];
  const cases: [string, z.ZodType][] = [
    ['/api/org-units', OrgUnitListSchema],
    ['/api/org-units/tree', OrgUnitTreeSchema],
    ['/api/org-units/1', OrgUnitSchema],
    ['/api/grids', GridFeatureCollectionSchema],
    ['/api/grids/1', GridFeatureSchema],
    [`/api/grids/locate?lat=${lat}&lng=${lng}`, GridLocationSchema],
    ['/api/grids/locate?lat=0&lng=0', GridLocationSchema],
    ['/api/categories', CategoryListSchema],
    ['/api/categories/2', CategorySchema],
    ['/api/users?pageSize=50', UserPageSchema],
    ['/api/users/1', UserViewSchema],
  ];
  for (const [path, schema] of cases) {
    const res = await api<unknown>(reader, h, 'GET', path);
    t.is(res.status, 200, path);
    const parsed = schema.safeParse(res.body);
    t.true(parsed.success, `${path}: ${parsed.error?.message ?? ''}`);
    // Parsing drops keys the schema does not name: equal means nothing is missing and nothing extra.
    t.deepEqual(parsed.data, res.body, path);
  }
});

// ---- Users: writing (admin), one after another on the writer world ------------------------------------

/** A grid of the station of `zhenzhou.xupu` (胥浦社区) and that station's id. */
async function xupu(
  w: CaseWorld,
  h: Record<string, string>,
): Promise<{ stationId: number; gridIds: number[] }> {
  const [worker] = (await api<{ items: UserView[] }>(w, h, 'GET', '/api/users?q=zhenzhou.xupu.grid1')).body
    .items;
  const grids = (await api<GridFeatureCollection>(w, h, 'GET', `/api/grids?villageId=${worker.orgUnit.id}`))
    .body;
  return { stationId: worker.orgUnit.id, gridIds: grids.features.map((f) => f.id) };
}

test.serial(
  'the admin creates a grid worker who can then sign in with the grid as a candidate group',
  async (t) => {
    const w = writer;
    const h = await w.signIn('city.admin');
    const { stationId, gridIds } = await xupu(w, h);
    const password = 'a-new-password-1';

    const created = await api<UserView>(w, h, 'POST', '/api/users', {
      username: 'zhenzhou.xupu.grid9',
      displayName: '新网格员',
      phone: '13912345678',
      password,
      roles: ['grid_worker'],
      orgUnitId: stationId,
      gridIds: [gridIds[0]],
    });
    const login = await signInAs(w, 'zhenzhou.xupu.grid9', password);
    const me = await api<{ user: { groups: string[] } }>(w, bearer(login.body.token!), 'GET', '/api/auth/me');
    const [audit] = await w.db.sequelize.query<{ actor: string; chain: string; payload: string }>(
      "SELECT actor, chain, payload FROM audit_log WHERE action = 'user.created' AND entity_id = ?",
      { replacements: [String(created.body.id)], type: QueryTypes.SELECT },
    );

    t.is(created.status, 201);
    t.is(created.body.phone, '139****5678');
    t.deepEqual(created.body.gridIds, [gridIds[0]]);
    t.is(login.status, 200);
    t.true(me.body.user.groups.includes(`grid:${gridIds[0]}:grid_worker`));
    t.true(me.body.user.groups.includes(`unit:${stationId}:grid_worker`));
    t.is(audit.actor, 'city.admin');
    t.is(audit.chain, `user:${created.body.id}`);
    t.false(audit.payload.includes(password));
    t.false(audit.payload.includes('argon2'));
    t.false(audit.payload.includes('13912345678'));
    t.like(JSON.parse(audit.payload), { username: 'zhenzhou.xupu.grid9', roles: ['grid_worker'] });
  },
);

test.serial('a taken username is a 409 naming body.username, and nothing is written', async (t) => {
  const w = writer;
  const h = await w.signIn('city.admin');
  const users = await count(w, 'SELECT COUNT(*) AS n FROM app_user');
  const audits = await count(w, 'SELECT COUNT(*) AS n FROM audit_log');
  const before = (await api<{ items: UserView[] }>(w, h, 'GET', '/api/users?q=city.dispatcher')).body
    .items[0];

  const res = await api<Problem>(w, h, 'POST', '/api/users', {
    username: 'city.dispatcher',
    displayName: '冒名者',
    password: 'another-password-2',
    roles: ['admin'],
    orgUnitId: before.orgUnit.id,
  });
  const after = (await api<{ items: UserView[] }>(w, h, 'GET', '/api/users?q=city.dispatcher')).body.items[0];

  t.is(res.status, 409);
  t.is(res.body.code, 'USERNAME_TAKEN');
  t.is(res.body.errors?.[0].field, 'body.username');
  t.is(await count(w, 'SELECT COUNT(*) AS n FROM app_user'), users);
  t.is(await count(w, 'SELECT COUNT(*) AS n FROM audit_log'), audits);
  t.deepEqual(after, before);
  t.is((await signInAs(w, 'city.dispatcher', 'another-password-2')).status, 401);
});

test.serial('bad user input is a 400 naming each field, and nothing is written', async (t) => {
  const w = writer;
  const h = await w.signIn('city.admin');
  const { stationId, gridIds } = await xupu(w, h);
  const users = await count(w, 'SELECT COUNT(*) AS n FROM app_user');
  const otherGrid = (await api<GridFeatureCollection>(w, h, 'GET', '/api/grids')).body.features.find(
    (f) => f.properties.villageId !== stationId,
  )!;
  const base = {
    username: 'new.person',
    displayName: '某人',
    password: 'long-enough-password',
    roles: ['grid_worker'],
    orgUnitId: stationId,
  };

  const shortPassword = await api<Problem>(w, h, 'POST', '/api/users', { ...base, password: 'short' });
  const badRole = await api<Problem>(w, h, 'POST', '/api/users', { ...base, roles: ['king'] });
  const noUnit = await api<Problem>(w, h, 'POST', '/api/users', { ...base, orgUnitId: 999999 });
  const wrongGrid = await api<Problem>(w, h, 'POST', '/api/users', {
    ...base,
    gridIds: [gridIds[0], otherGrid.id, 999999],
  });
  const gridsWithoutRole = await api<Problem>(w, h, 'POST', '/api/users', {
    ...base,
    roles: ['handler'],
    gridIds: [gridIds[0]],
  });

  t.is(shortPassword.status, 400);
  t.deepEqual(
    shortPassword.body.errors?.map((e) => e.field),
    ['body.password'],
  );
  t.is(badRole.body.errors?.[0].field, 'body.roles.0');
  t.is(noUnit.status, 400);
  t.deepEqual(
    noUnit.body.errors?.map((e) => e.field),
    ['body.orgUnitId'],
  );
  t.is(wrongGrid.status, 400);
  t.deepEqual(
    wrongGrid.body.errors?.map((e) => e.field),
    ['body.gridIds.1', 'body.gridIds.2'],
  );
  t.is(gridsWithoutRole.status, 400);
  t.deepEqual(
    gridsWithoutRole.body.errors?.map((e) => e.field),
    ['body.roles'],
  );
  t.is(await count(w, 'SELECT COUNT(*) AS n FROM app_user'), users);
});

test.serial(
  'deactivating a user ends their sessions, for good, and the audit record keeps no secret',
  async (t) => {
    const w = writer;
    const h = await w.signIn('city.admin');
    const session = await w.signIn('zhenzhou.xupu.grid2');
    const [user] = (await api<{ items: UserView[] }>(w, h, 'GET', '/api/users?q=zhenzhou.xupu.grid2')).body
      .items;
    t.is((await api(w, session, 'GET', '/api/auth/me')).status, 200);

    const off = await api<UserView>(w, h, 'PATCH', `/api/users/${user.id}`, { active: false });
    const whileOff = await api<Problem>(w, session, 'GET', '/api/auth/me');
    const on = await api<UserView>(w, h, 'PATCH', `/api/users/${user.id}`, { active: true });
    const oldSession = await api<Problem>(w, session, 'GET', '/api/auth/me');
    const fresh = await signInAs(w, 'zhenzhou.xupu.grid2', DEMO_PASSWORD);
    const audits = await w.db.sequelize.query<{ actor: string; payload: string }>(
      "SELECT actor, payload FROM audit_log WHERE chain = ? AND action = 'user.updated' ORDER BY chain_seq",
      { replacements: [`user:${user.id}`], type: QueryTypes.SELECT },
    );

    t.is(off.status, 200);
    t.false(off.body.active);
    t.is(whileOff.status, 401);
    t.is(on.status, 200);
    t.true(on.body.active);
    t.is(oldSession.status, 401, 'reactivation does not revive the old session');
    t.is(fresh.status, 200);
    t.is(audits.length, 2);
    t.like(JSON.parse(audits[0].payload), {
      changes: { active: { from: true, to: false } },
      sessionsEnded: 1,
    });
    t.true(audits.every((a) => a.actor === 'city.admin'));
  },
);

test.serial(
  'a password set by the admin replaces the old one, and the audit log never holds it',
  async (t) => {
    const w = writer;
    const h = await w.signIn('city.admin');
    const [user] = (await api<{ items: UserView[] }>(w, h, 'GET', '/api/users?q=zhenzhou.xupu.handler')).body
      .items;
    const password = 'Reset-by-admin-42';

    const res = await api<UserView>(w, h, 'PATCH', `/api/users/${user.id}`, {
      password,
      phone: '0514-83456789',
      displayName: '改名站长',
      roles: ['handler', 'supervisor'],
    });
    const oldLogin = await signInAs(w, 'zhenzhou.xupu.handler', DEMO_PASSWORD);
    const newLogin = await signInAs(w, 'zhenzhou.xupu.handler', password);
    const [hash] = await w.db.sequelize.query<{ password_hash: string }>(
      'SELECT password_hash FROM app_user WHERE id = ?',
      { replacements: [user.id], type: QueryTypes.SELECT },
    );
    const payloads = await w.db.sequelize.query<{ payload: string }>(
      "SELECT payload FROM audit_log WHERE entity_type = 'user' ORDER BY seq",
      { type: QueryTypes.SELECT },
    );

    t.is(res.status, 200);
    t.is(res.body.displayName, '改名站长');
    t.deepEqual(res.body.roles, ['handler', 'supervisor']);
    t.is(oldLogin.status, 401);
    t.is(newLogin.status, 200);
    t.true(payloads.length > 0);
    for (const { payload } of payloads) {
      t.false(payload.includes(password));
      t.false(payload.includes(hash.password_hash));
      t.false(payload.includes('argon2'));
      t.false(payload.includes('83456789'));
    }
    const last = JSON.parse(payloads[payloads.length - 1].payload) as Record<string, unknown>;
    t.like(last, { passwordChanged: true, changes: { displayName: { to: '改名站长' } } });
  },
);

test.serial(
  'moving a grid worker to another village without new grids is refused, naming body.orgUnitId',
  async (t) => {
    const w = writer;
    const h = await w.signIn('city.admin');
    const [worker] = (await api<{ items: UserView[] }>(w, h, 'GET', '/api/users?q=zhenzhou.xupu.grid3')).body
      .items;
    const other = (
      await api<{ items: OrgUnitView[] }>(w, h, 'GET', '/api/org-units?kind=station')
    ).body.items.find((u) => u.id !== worker.orgUnit.id)!;
    const otherGrid = (await api<GridFeatureCollection>(w, h, 'GET', `/api/grids?villageId=${other.id}`)).body
      .features[0];

    const refused = await api<Problem>(w, h, 'PATCH', `/api/users/${worker.id}`, { orgUnitId: other.id });
    const moved = await api<UserView>(w, h, 'PATCH', `/api/users/${worker.id}`, {
      orgUnitId: other.id,
      gridIds: [otherGrid.id],
    });

    t.is(refused.status, 400);
    t.deepEqual(
      refused.body.errors?.map((e) => e.field),
      ['body.orgUnitId'],
    );
    t.is(moved.status, 200);
    t.is(moved.body.orgUnit.id, other.id);
    t.deepEqual(moved.body.gridIds, [otherGrid.id]);
  },
);

test.serial('an admin cannot deactivate themselves or drop their own admin role', async (t) => {
  const w = writer;
  const h = await w.signIn('city.admin');
  const [me] = (await api<{ items: UserView[] }>(w, h, 'GET', '/api/users?q=city.admin')).body.items;

  const res = await api<Problem>(w, h, 'PATCH', `/api/users/${me.id}`, { active: false, roles: ['auditor'] });
  const unknownField = await api<Problem>(w, h, 'PATCH', `/api/users/${me.id}`, { username: 'root' });

  t.is(res.status, 400);
  t.deepEqual(
    res.body.errors?.map((e) => e.field),
    ['body.active', 'body.roles'],
  );
  t.is((await api(w, h, 'GET', '/api/users?pageSize=1')).status, 200);
  t.is(unknownField.status, 400);
  t.is(unknownField.body.errors?.[0].field, 'body');
});
