import argon2 from 'argon2';
import type { CreationAttributes, Model, ModelStatic, Transaction } from 'sequelize';
import type { Models } from '../models/index.ts';
import type { OrgKind, OrgLevel } from '../models/org-unit.model.ts';
import type { Role } from '../models/user-role.model.ts';
import { DEMO_CATEGORIES } from './demo-categories.ts';
import { type BBox, buildGeography, createRandom, type DemoGeography } from './demo-geography.ts';

/** The password of every demo user (see db/seed/README.md); a demo database must never face the internet. */
export const DEMO_PASSWORD = 'Gridflow@2026';

/** What the demo database holds after seeding (or already held). */
export interface SeedSummary {
  /** Every org unit: centres, stations, departments and joint teams. */
  orgUnits: number;
  /** Town and park centres. */
  towns: number;
  /** Village and community stations. */
  villages: number;
  /** City and town departments (joint teams are not counted). */
  departments: number;
  grids: number;
  users: number;
  categories: number;
}

/** Options of `seedDemo`. */
export interface SeedDemoOptions {
  /** A ready argon2id hash of DEMO_PASSWORD, so that tests skip the (slow on purpose) hashing. */
  passwordHash?: string;
}

interface DepartmentSpec {
  name: string;
  /** Pinyin, ASCII; in usernames. */
  slug: string;
  kind: OrgKind;
  /** The remit categories are routed by; null for a joint team, which takes whatever the centre sends. */
  departmentKind: string | null;
}

/** The city's functional departments (市职能部门): every department kind a 小类 names has one. */
const CITY_DEPARTMENTS: DepartmentSpec[] = [
  { name: '市城管局', slug: 'chengguan', kind: 'department', departmentKind: 'urban_management' },
  { name: '市生态环境局', slug: 'shengtai', kind: 'department', departmentKind: 'ecology' },
  { name: '市应急管理局', slug: 'yingji', kind: 'department', departmentKind: 'emergency' },
  { name: '市市场监管局', slug: 'shichang', kind: 'department', departmentKind: 'market' },
  { name: '市住建局', slug: 'zhujian', kind: 'department', departmentKind: 'housing' },
  { name: '市公安局', slug: 'gongan', kind: 'department', departmentKind: 'police' },
  { name: '市交通运输局', slug: 'jiaotong', kind: 'department', departmentKind: 'transport' },
  { name: '市水务局', slug: 'shuiwu', kind: 'department', departmentKind: 'water' },
  { name: '市供电公司', slug: 'gongdian', kind: 'department', departmentKind: 'power' },
  { name: '市民政局', slug: 'minzheng', kind: 'department', departmentKind: 'civil_affairs' },
  { name: '市司法局', slug: 'sifa', kind: 'department', departmentKind: 'justice' },
  { name: '市自然资源和规划局', slug: 'ziran', kind: 'department', departmentKind: 'land' },
  { name: '市人社局', slug: 'renshe', kind: 'department', departmentKind: 'labour' },
];

/** The departments and the joint enforcement team of every town and park (name = town name + this). */
const TOWN_DEPARTMENTS: DepartmentSpec[] = [
  { name: '综合执法局', slug: 'zhifa', kind: 'department', departmentKind: 'urban_management' },
  { name: '安监办', slug: 'anjian', kind: 'department', departmentKind: 'emergency' },
  { name: '社会事业局', slug: 'shehui', kind: 'department', departmentKind: 'civil_affairs' },
  { name: '联合执法队', slug: 'lianhezhifa', kind: 'joint_team', departmentKind: null },
];

/** The city centre (市网格化服务管理中心). */
const CITY_CENTRE_NAME = '市网格化服务管理中心';
/** Roles at each kind of unit; stations also get one grid worker per grid. */
const CITY_CENTRE_ROLES: Role[] = ['dispatcher', 'supervisor', 'admin', 'auditor', 'leader'];
const TOWN_CENTRE_ROLES: Role[] = ['dispatcher', 'supervisor', 'leader'];
/** The date of the city's grid-governance implementation plan. */
const VALID_FROM = '2020-03-04';
/** Rows per INSERT: well under SQLite's and MySQL's statement limits. */
const CHUNK = 200;
/** Seeds the names and phone numbers, so that every run gives every user the same ones. */
const PEOPLE_SEED = 12345;

interface PlannedUnit {
  code: string;
  name: string;
  level: OrgLevel;
  kind: OrgKind;
  areaType: string | null;
  departmentKind: string | null;
  parentCode: string | null;
  sortOrder: number;
}

interface PlannedUser {
  username: string;
  displayName: string;
  phone: string;
  unitCode: string;
  role: Role;
  gridCode: string | null;
}

interface Plan {
  /** Parents before children. */
  units: PlannedUnit[];
  grids: { code: string; name: string; villageCode: string; geometry: string; bbox: BBox }[];
  users: PlannedUser[];
}

/**
 * Seeds the demo city: organisation, grids, one user per role per unit (all with DEMO_PASSWORD) and the
 * category table, in one transaction. Does nothing when any org unit exists; returns the counts it finds.
 */
export async function seedDemo(models: Models, options: SeedDemoOptions = {}): Promise<SeedSummary> {
  if ((await models.OrgUnit.count()) > 0) return summarise(models);
  // Hashed once, before the transaction, and shared by every user: 700 argon2 hashes would take minutes.
  const passwordHash = options.passwordHash ?? (await argon2.hash(DEMO_PASSWORD, { type: argon2.argon2id }));
  const plan = planDemo(buildGeography());
  const sequelize = models.OrgUnit.sequelize;
  if (!sequelize) throw new Error('The models are not bound to a connection');
  await sequelize.transaction((transaction) => insertPlan(models, plan, passwordHash, transaction));
  return summarise(models);
}

async function summarise(models: Models): Promise<SeedSummary> {
  const { OrgUnit } = models;
  const [orgUnits, towns, villages, departments, grids, users, categories] = await Promise.all([
    OrgUnit.count(),
    OrgUnit.count({ where: { level: 'town', kind: 'centre' } }),
    OrgUnit.count({ where: { kind: 'station' } }),
    OrgUnit.count({ where: { kind: 'department' } }),
    models.Grid.count(),
    models.User.count(),
    models.Category.count(),
  ]);
  return { orgUnits, towns, villages, departments, grids, users, categories };
}

/** Everything to insert, as plain rows keyed by code and username (pure; ids come later). */
function planDemo(geography: DemoGeography): Plan {
  const people = createPeople(PEOPLE_SEED);
  const units: PlannedUnit[] = [];
  const grids: Plan['grids'] = [];
  const users: PlannedUser[] = [];
  const addUser = (username: string, unitCode: string, role: Role, gridCode: string | null = null): void => {
    users.push({ username, unitCode, role, gridCode, ...people.next() });
  };

  const city = geography.cityCode;
  units.push(unit(city, CITY_CENTRE_NAME, 'city', 'centre', null, null, null, 0));
  for (const role of CITY_CENTRE_ROLES) addUser(`city.${role}`, city, role);
  CITY_DEPARTMENTS.forEach((d, i) => {
    const code = `${city.slice(0, 9)}${901 + i}`;
    units.push(unit(code, d.name, 'city', d.kind, null, d.departmentKind, city, 1 + i));
    addUser(`dept.${d.slug}.handler`, code, 'handler');
  });

  geography.towns.forEach((town, t) => {
    units.push(unit(town.code, town.name, 'town', 'centre', town.areaType, null, city, 100 + t));
    for (const role of TOWN_CENTRE_ROLES) addUser(`${town.slug}.${role}`, town.code, role);
    TOWN_DEPARTMENTS.forEach((d, i) => {
      // 9xx: village codes use 0xx (社区) and 2xx (村), so departments never collide with them.
      const code = `${town.code.slice(0, 9)}${d.kind === 'joint_team' ? 950 : 901 + i}`;
      units.push(
        unit(code, `${town.name}${d.name}`, 'town', d.kind, null, d.departmentKind, town.code, 100 + i),
      );
      addUser(`${town.slug}.${d.slug}.handler`, code, 'handler');
    });
    town.villages.forEach((village, v) => {
      units.push(
        unit(village.code, village.name, 'village', 'station', village.areaType, null, town.code, v),
      );
      addUser(`${town.slug}.${village.slug}.handler`, village.code, 'handler');
      for (const grid of village.grids) {
        grids.push({
          code: grid.code,
          name: grid.name,
          villageCode: village.code,
          geometry: JSON.stringify(grid.geometry),
          bbox: grid.bbox,
        });
        addUser(`${town.slug}.${village.slug}.grid${grid.index}`, village.code, 'grid_worker', grid.code);
      }
    });
  });

  const seen = new Set<string>();
  for (const u of users) {
    if (seen.has(u.username)) throw new Error(`Demo seed: duplicate username ${u.username}`);
    seen.add(u.username);
  }
  return { units, grids, users };
}

function unit(
  code: string,
  name: string,
  level: OrgLevel,
  kind: OrgKind,
  areaType: string | null,
  departmentKind: string | null,
  parentCode: string | null,
  sortOrder: number,
): PlannedUnit {
  return { code, name, level, kind, areaType, departmentKind, parentCode, sortOrder };
}

async function insertPlan(
  models: Models,
  plan: Plan,
  passwordHash: string,
  transaction: Transaction,
): Promise<void> {
  const { OrgUnit, Grid, User, UserRole, UserGrid, Category } = models;

  // Units level by level, so that every parent has its id before its children are written.
  const unitIds = new Map<string, number>();
  let pending = plan.units;
  while (pending.length > 0) {
    const ready = pending.filter((u) => u.parentCode === null || unitIds.has(u.parentCode));
    pending = pending.filter((u) => !ready.includes(u));
    await bulkInsert(
      OrgUnit,
      ready.map(({ parentCode, ...u }) => ({
        ...u,
        parentId: parentCode === null ? null : unitIds.get(parentCode)!,
      })),
      transaction,
    );
    for (const [code, id] of await idsBy(OrgUnit, 'code', transaction)) unitIds.set(code, id);
  }

  await bulkInsert(
    Grid,
    plan.grids.map((g) => ({
      code: g.code,
      name: g.name,
      villageId: unitIds.get(g.villageCode)!,
      geometry: g.geometry,
      ...g.bbox,
      validFrom: VALID_FROM,
    })),
    transaction,
  );
  const gridIds = await idsBy(Grid, 'code', transaction);

  await bulkInsert(
    User,
    plan.users.map((u) => ({
      username: u.username,
      displayName: u.displayName,
      phone: u.phone,
      orgUnitId: unitIds.get(u.unitCode)!,
      passwordHash,
    })),
    transaction,
  );
  const userIds = await idsBy(User, 'username', transaction);
  await bulkInsert(
    UserRole,
    plan.users.map((u) => ({ userId: userIds.get(u.username)!, role: u.role })),
    transaction,
  );
  await bulkInsert(
    UserGrid,
    plan.users
      .filter((u) => u.gridCode !== null)
      .map((u) => ({ userId: userIds.get(u.username)!, gridId: gridIds.get(u.gridCode!)! })),
    transaction,
  );

  await bulkInsert(Category, DEMO_CATEGORIES, transaction);
}

/** The ids of a table's rows by a unique key (read back: bulkCreate does not return ids on every dialect). */
async function idsBy<M extends Model>(
  model: ModelStatic<M>,
  key: string,
  transaction: Transaction,
): Promise<Map<string, number>> {
  const rows = (await model.findAll({
    attributes: ['id', key],
    raw: true,
    transaction,
  })) as unknown as Record<string, unknown>[];
  return new Map(rows.map((row) => [String(row[key]), Number(row.id)]));
}

async function bulkInsert<M extends Model>(
  model: ModelStatic<M>,
  rows: CreationAttributes<M>[],
  transaction: Transaction,
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await model.bulkCreate(rows.slice(i, i + CHUNK), { transaction });
  }
}

/** Common surnames, most frequent first (the generator favours the front), and a few local ones (卞, 缪). */
const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石戴贾夏薛顾钱卞缪仇殷',
];
/** Characters for given names. */
const GIVEN = [
  ...'建国华明军伟强芳敏静丽秀英玲霞燕红梅平刚勇杰涛斌磊鹏晨晓宇浩婷雪琳洁颖慧君峰超波辉亮云海文志新春兰娟萍月俊欣怡悦佳然凯琪瑞雯',
];
/** Mobile prefixes of the three carriers (13x, 15x, 18x). */
const PHONE_PREFIXES = [
  ...['130', '131', '132', '133', '134', '135', '136', '137', '138', '139'],
  ...['150', '151', '152', '153', '155', '156', '157', '158', '159'],
  ...['180', '181', '182', '183', '184', '185', '186', '187', '188', '189'],
];

/** A deterministic stream of Chinese names and unique (fake) 11-digit mobile numbers. */
function createPeople(seed: number): { next(): { displayName: string; phone: string } } {
  const random = createRandom(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const phones = new Set<string>();
  return {
    next() {
      // Squaring favours the common surnames at the front of the list.
      const surname = SURNAMES[Math.floor(random() * random() * SURNAMES.length)];
      const given = random() < 0.7 ? pick(GIVEN) + pick(GIVEN) : pick(GIVEN);
      let phone: string;
      do {
        phone = pick(PHONE_PREFIXES) + String(Math.floor(random() * 1e8)).padStart(8, '0');
      } while (phones.has(phone));
      phones.add(phone);
      return { displayName: surname + given, phone };
    },
  };
}
