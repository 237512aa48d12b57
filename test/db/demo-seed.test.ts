import test, { type ExecutionContext } from 'ava';
import argon2 from 'argon2';
import { defineModels, type Models } from '../../db/models/index.ts';
import { DEMO_CATEGORIES } from '../../db/seed/demo-categories.ts';
import { buildGeography, type Position } from '../../db/seed/demo-geography.ts';
import { DEMO_PASSWORD, seedDemo } from '../../db/seed/demo-seed.ts';
import { openTestDatabase } from '../helpers/database.ts';

/** Stands in for the argon2id hash of DEMO_PASSWORD, so that only one test pays for hashing. */
const PRECOMPUTED_HASH = '$argon2id$v=19$m=65536,t=3,p=4$cHJlY29tcHV0ZWQ$cHJlY29tcHV0ZWQtZm9yLXRlc3Rz';

type Ring = Position[];
interface StoredGrid {
  id: number;
  code: string;
  villageId: number;
  polygons: Ring[][];
  minLng: number;
  minLat: number;
  maxLng: number;
  maxLat: number;
}

async function seededDatabase(t: ExecutionContext, { realHash = false } = {}) {
  const db = await openTestDatabase();
  t.teardown(() => db.close());
  const models = defineModels(db.sequelize);
  const summary = await seedDemo(models, realHash ? {} : { passwordHash: PRECOMPUTED_HASH });
  return { models, summary };
}

async function storedGrids(models: Models): Promise<StoredGrid[]> {
  const rows = await models.Grid.findAll({ order: [['id', 'ASC']] });
  return rows.map((row) => {
    const g = row.get();
    const geometry = JSON.parse(g.geometry) as { type: string; coordinates: Ring[][] };
    if (geometry.type !== 'MultiPolygon') throw new Error(`grid ${g.code} is a ${geometry.type}`);
    return { ...g, polygons: geometry.coordinates };
  });
}

/** Even-odd ray casting over every ring of a MultiPolygon (holes included). */
function contains(polygons: Ring[][], [x, y]: Position): boolean {
  let inside = false;
  for (const ring of polygons.flat()) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** Twice the signed area (shoelace): positive for a counter-clockwise ring. */
function signedArea2(ring: Ring): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return sum;
}

function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const orient = (p: Position, q: Position, r: Position): number =>
    Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return orient(a, b, c) * orient(a, b, d) < 0 && orient(c, d, a) * orient(c, d, b) < 0;
}

/** A small deterministic PRNG for the sample points (an LCG; the test owns its randomness). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

test('seeds one city centre, 8 towns and 3 parks, their villages, departments, grids, users and categories', async (t) => {
  const { models, summary } = await seededDatabase(t);
  const { OrgUnit } = models;

  t.is(await OrgUnit.count({ where: { level: 'city', kind: 'centre' } }), 1);
  const towns = (await OrgUnit.findAll({ where: { level: 'town', kind: 'centre' } })).map((u) => u.get());
  t.is(towns.length, 11);
  t.is(towns.filter((u) => u.areaType === 'town').length, 8);
  t.is(towns.filter((u) => u.areaType === 'park').length, 3);
  t.true(towns.some((u) => u.name === '真州镇'));
  t.true(towns.some((u) => u.name === '枣林湾生态园'));
  t.true(summary.villages >= 100 && summary.villages <= 130, `${summary.villages} villages`);
  t.true((await OrgUnit.count({ where: { level: 'city', kind: 'department' } })) >= 10);
  t.is(await OrgUnit.count({ where: { level: 'town', kind: 'joint_team' } }), 11);
  t.true(summary.grids >= 400, `${summary.grids} grids`);
  t.true(summary.categories >= 55 && summary.categories <= 70, `${summary.categories} categories`);

  const roles = new Set((await models.UserRole.findAll()).map((r) => r.get().role));
  t.deepEqual([...roles].sort(), [
    'admin',
    'auditor',
    'dispatcher',
    'grid_worker',
    'handler',
    'leader',
    'supervisor',
  ]);

  const categories = (await models.Category.findAll()).map((c) => c.get());
  const majors = new Set(categories.filter((c) => c.level === 'major').map((c) => c.code));
  for (const c of categories.filter((x) => x.level === 'minor')) {
    t.true(majors.has(c.parentCode ?? ''), `${c.code} ${c.name} has no 大类`);
    t.regex(c.code, /^\d{5}$/);
    t.is(c.parentCode, c.code.slice(0, 2));
  }
  t.deepEqual(summary, {
    orgUnits: await OrgUnit.count(),
    towns: 11,
    villages: await OrgUnit.count({ where: { kind: 'station' } }),
    departments: await OrgUnit.count({ where: { kind: 'department' } }),
    grids: await models.Grid.count(),
    users: await models.User.count(),
    categories: categories.length,
  });
});

test('seeding a second time changes nothing and reports what is there', async (t) => {
  const { models, summary } = await seededDatabase(t);
  const before = await models.User.findAll({ order: [['id', 'ASC']], raw: true });

  const again = await seedDemo(models, { passwordHash: 'another hash' });

  t.deepEqual(again, summary);
  t.deepEqual(await models.User.findAll({ order: [['id', 'ASC']], raw: true }), before);
  t.is(await models.UserGrid.count(), summary.grids);
});

test('every grid is a closed, counter-clockwise MultiPolygon inside the city with a matching bounding box', async (t) => {
  const { models } = await seededDatabase(t);
  const grids = await storedGrids(models);

  for (const g of grids) {
    t.true(g.polygons.length >= 1, g.code);
    const positions = g.polygons.flat(2);
    for (const polygon of g.polygons) {
      for (const ring of polygon) {
        t.true(ring.length >= 4, `${g.code}: ${ring.length} positions`);
        t.deepEqual(ring[0], ring[ring.length - 1], `${g.code}: ring not closed`);
      }
      t.true(signedArea2(polygon[0]) > 0, `${g.code}: outer ring is clockwise`);
    }
    t.is(g.minLng, Math.min(...positions.map((p) => p[0])), g.code);
    t.is(g.minLat, Math.min(...positions.map((p) => p[1])), g.code);
    t.is(g.maxLng, Math.max(...positions.map((p) => p[0])), g.code);
    t.is(g.maxLat, Math.max(...positions.map((p) => p[1])), g.code);
    for (const [lng, lat] of positions) {
      t.true(lng > 118.9 && lng < 119.5 && lat > 32.1 && lat < 32.5, `${g.code}: ${lng},${lat}`);
    }
  }
});

test('the grids tile the city: 2 000 sample points each fall in exactly one grid and the areas add up', async (t) => {
  const { models } = await seededDatabase(t);
  const grids = await storedGrids(models);
  const west = Math.min(...grids.map((g) => g.minLng));
  const east = Math.max(...grids.map((g) => g.maxLng));
  const south = Math.min(...grids.map((g) => g.minLat));
  const north = Math.max(...grids.map((g) => g.maxLat));
  const margin = 0.001;
  const random = lcg(42);

  const misses: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const point: Position = [
      west + margin + random() * (east - west - 2 * margin),
      south + margin + random() * (north - south - 2 * margin),
    ];
    const hits = grids.filter(
      (g) =>
        point[0] >= g.minLng &&
        point[0] <= g.maxLng &&
        point[1] >= g.minLat &&
        point[1] <= g.maxLat &&
        contains(g.polygons, point),
    );
    if (hits.length !== 1)
      misses.push(`${point.join(',')} in ${hits.map((g) => g.code).join('+') || 'no grid'}`);
  }
  t.deepEqual(misses, []);

  // No gaps and no overlaps means the areas sum to the whole rectangle.
  const total = grids.reduce((sum, g) => sum + g.polygons.reduce((s, p) => s + signedArea2(p[0]) / 2, 0), 0);
  t.true(Math.abs(total - (east - west) * (north - south)) < 1e-9, `area ${total}`);
});

test('grid rings never cross themselves, for the demo seed and for others', (t) => {
  for (const seed of [undefined, 1, 2, 3]) {
    const geography = buildGeography(seed);
    for (const grid of geography.towns.flatMap((town) => town.villages.flatMap((v) => v.grids))) {
      const ring = grid.geometry.coordinates[0][0];
      const n = ring.length - 1;
      for (let i = 0; i < n; i++) {
        for (let j = i + 2; j < n; j++) {
          if (i === 0 && j === n - 1) continue; // neighbours through the closing position
          t.false(
            segmentsCross(ring[i], ring[i + 1], ring[j], ring[j + 1]),
            `${seed}/${grid.code}: ${i}×${j}`,
          );
        }
      }
    }
  }
});

test('the geography is deterministic and nests: grids in villages, villages in towns, each a contiguous block', (t) => {
  const geography = buildGeography();
  t.deepEqual(buildGeography(), geography);
  t.notDeepEqual(
    buildGeography(7).towns[0].villages[0].grids[0].geometry,
    geography.towns[0].villages[0].grids[0].geometry,
  );

  const key = ([c, r]: [number, number]): string => `${c},${r}`;
  const connected = (cells: [number, number][]): boolean => {
    const all = new Set(cells.map(key));
    const seen = new Set([key(cells[0])]);
    const stack = [cells[0]];
    while (stack.length > 0) {
      const [c, r] = stack.pop()!;
      for (const n of [
        [c + 1, r],
        [c - 1, r],
        [c, r + 1],
        [c, r - 1],
      ] as [number, number][]) {
        if (all.has(key(n)) && !seen.has(key(n))) {
          seen.add(key(n));
          stack.push(n);
        }
      }
    }
    return seen.size === all.size;
  };
  const owners = new Map<string, string>();
  for (const town of geography.towns) {
    t.regex(town.code, /^321081\d{3}000$/);
    t.true(town.villages.length >= 8 && town.villages.length <= 14, `${town.name}: ${town.villages.length}`);
    t.true(connected(town.villages.flatMap((v) => v.grids.flatMap((g) => g.cells))), town.name);
    for (const village of town.villages) {
      t.is(village.code.slice(0, 9), town.code.slice(0, 9));
      t.true(
        village.grids.length >= 4 && village.grids.length <= 6,
        `${village.name}: ${village.grids.length}`,
      );
      t.true(connected(village.grids.flatMap((g) => g.cells)), village.name);
      for (const grid of village.grids) {
        t.is(grid.code.slice(0, 12), village.code);
        t.true(grid.cells.length === 1 || grid.cells.length === 2, grid.code);
        t.true(connected(grid.cells), grid.code);
        for (const cell of grid.cells) {
          t.false(owners.has(key(cell)), `${key(cell)} in ${owners.get(key(cell))} and ${grid.code}`);
          owners.set(key(cell), grid.code);
        }
      }
    }
  }
  t.is(owners.size, geography.lattice.cols * geography.lattice.rows);
  const zhenzhou = geography.towns.find((town) => town.name === '真州镇')!;
  t.true(zhenzhou.villages.filter((v) => v.areaType === 'community').length > zhenzhou.villages.length / 2);
});

test('stored grids hang under stations, stations under town centres, with nested codes', async (t) => {
  const { models } = await seededDatabase(t);
  const units = new Map((await models.OrgUnit.findAll()).map((u) => [u.get().id, u.get()]));
  const city = [...units.values()].find((u) => u.level === 'city' && u.kind === 'centre')!;

  for (const grid of await storedGrids(models)) {
    const village = units.get(grid.villageId)!;
    t.is(village.kind, 'station', grid.code);
    t.is(grid.code.slice(0, 12), village.code);
    const town = units.get(village.parentId!)!;
    t.is(town.kind, 'centre');
    t.is(town.level, 'town');
    t.is(village.code.slice(0, 9), town.code.slice(0, 9));
    t.is(town.parentId, city.id);
  }
  for (const u of units.values()) {
    if (u.kind === 'department' || u.kind === 'joint_team') {
      const parent = units.get(u.parentId!)!;
      t.is(parent.kind, 'centre', u.name);
      t.is(parent.level, u.level, u.name);
    }
    if (u.kind === 'station') t.true(u.areaType === 'village' || u.areaType === 'community', u.name);
  }
});

test('every unit has its users, every grid worker one grid in their own village, with unique logins and phones', async (t) => {
  const { models } = await seededDatabase(t);
  const units = (await models.OrgUnit.findAll()).map((u) => u.get());
  const users = (await models.User.findAll()).map((u) => u.get());
  const roles = new Map((await models.UserRole.findAll()).map((r) => [r.get().userId, r.get().role]));
  const gridsOf = new Map<number, number[]>();
  for (const ug of await models.UserGrid.findAll()) {
    const { userId, gridId } = ug.get();
    gridsOf.set(userId, [...(gridsOf.get(userId) ?? []), gridId]);
  }
  const grids = new Map((await models.Grid.findAll()).map((g) => [g.get().id, g.get()]));

  const expected = (kind: string, level: string): string[] =>
    kind === 'centre' && level === 'city'
      ? ['admin', 'auditor', 'dispatcher', 'leader', 'supervisor']
      : kind === 'centre'
        ? ['dispatcher', 'leader', 'supervisor']
        : kind === 'station'
          ? ['grid_worker', 'handler']
          : ['handler'];
  for (const unit of units) {
    const here = users.filter((u) => u.orgUnitId === unit.id);
    t.deepEqual(
      [...new Set(here.map((u) => roles.get(u.id)))].sort(),
      expected(unit.kind, unit.level),
      unit.name,
    );
    if (unit.kind === 'station') {
      const workers = here.filter((u) => roles.get(u.id) === 'grid_worker');
      t.is(workers.length, [...grids.values()].filter((g) => g.villageId === unit.id).length, unit.name);
    }
  }
  for (const user of users) {
    const assigned = gridsOf.get(user.id) ?? [];
    if (roles.get(user.id) === 'grid_worker') {
      t.is(assigned.length, 1, user.username);
      t.is(grids.get(assigned[0])!.villageId, user.orgUnitId, user.username);
      t.regex(user.username, /\.grid\d+$/);
    } else t.is(assigned.length, 0, user.username);
    t.regex(user.username, /^[a-z0-9.]+$/);
    t.regex(user.phone ?? '', /^1[358]\d{9}$/);
    t.regex(user.displayName, /^[\u4e00-\u9fa5]{2,3}$/);
  }
  t.is(new Set(users.map((u) => u.username)).size, users.length);
  t.is(new Set(users.map((u) => u.phone)).size, users.length);
  t.is(new Set([...gridsOf.values()].flat()).size, grids.size, 'every grid has its worker');
  for (const username of ['city.dispatcher', 'city.admin', 'zhenzhou.dispatcher', 'dept.chengguan.handler']) {
    t.true(
      users.some((u) => u.username === username),
      username,
    );
  }
});

test('every 小类 has a handle limit, a 10-minute dispatch when urgent, and a department to go to', async (t) => {
  const { models } = await seededDatabase(t);
  const departmentKinds = new Set(
    (await models.OrgUnit.findAll({ where: { kind: 'department' } })).map((u) => u.get().departmentKind),
  );
  const minors = (await models.Category.findAll({ where: { level: 'minor' } })).map((c) => c.get());

  t.is(minors.length, DEMO_CATEGORIES.filter((c) => c.level === 'minor').length);
  for (const c of minors) {
    t.true(c.limitHandleMin > 0, c.name);
    t.is(c.limitDispatchMin, c.urgency === 'normal' ? 30 : 10, c.name);
    t.is(c.limitAcceptMin, 10, c.name);
    t.true(departmentKinds.has(c.departmentKind), `${c.name}: ${c.departmentKind}`);
    t.truthy(c.registerCondition, c.name);
    t.truthy(c.closeCondition, c.name);
  }
  const byName = new Map(minors.map((c) => [c.name, c]));
  t.is(byName.get('暴露垃圾')?.limitHandleMin, 480);
  t.is(byName.get('污水井盖')?.limitHandleMin, 120);
  t.is(byName.get('违法建设')?.limitHandleMin, 7200);
  t.is(byName.get('燃气泄漏')?.urgency, 'emergency');
  t.is(byName.get('燃气泄漏')?.limitHandleMin, 60);
});

test('a demo user signs in with DEMO_PASSWORD against the real argon2id hash', async (t) => {
  const { models } = await seededDatabase(t, { realHash: true });
  const user = await models.User.findOne({ where: { username: 'zhenzhou.xupu.grid1' } });
  const hash = user!.get().passwordHash;

  t.true(hash.startsWith('$argon2id$'));
  t.true(await argon2.verify(hash, DEMO_PASSWORD));
  t.false(await argon2.verify(hash, 'gridflow@2026'));
});
