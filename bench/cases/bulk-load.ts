import { performance } from 'node:perf_hooks';
import { QueryTypes, type Sequelize } from 'sequelize';
import { TransactionRunner } from '../../engine/embedded/transactions.ts';
import { type MultiPolygonCoordinates, pointInMultiPolygon } from '../../server/services/geo.ts';
import { caseNumber } from '../../server/services/case.service.ts';
import { dueOrder } from '../../server/exporters/task-projection.exporter.ts';
import { random, thousands, weighted } from './stats.ts';

/** What to load. */
export interface LoadOptions {
  historical: number;
  openTasks: number;
  /** Also load the completed tasks (and their candidate rows) of the historical cases' walks. */
  historyTasks: boolean;
  /** "now": historical cases end two days before it, open ones are of the last 20 days. */
  now: number;
}

/** What was loaded, and how long it took. */
export interface LoadResult {
  cases: number;
  openCases: number;
  tasks: number;
  openTasks: number;
  candidates: number;
  /** All three tables, loaded together (generating the rows included), without their secondary indexes. */
  seconds: number;
  /** Re-creating the secondary indexes afterwards. */
  indexSeconds: number;
  lastCaseId: number;
}

interface Unit {
  id: number;
  level: string;
  kind: string;
  parentId: number | null;
  departmentKind: string | null;
}

interface GridInfo {
  id: number;
  villageId: number;
  townId: number;
  villageName: string;
  townName: string;
  polygons: MultiPolygonCoordinates;
  box: [number, number, number, number];
  worker: { id: number; username: string };
}

interface CategoryInfo {
  id: number;
  name: string;
  urgency: string;
  departmentKind: string;
  handleMin: number;
}

/** The demo city as the loader needs it: ids, routing, who is who. */
interface City {
  cityCentreId: number;
  cityDispatcher: { id: number; username: string };
  cityDepartmentByKind: Map<string, number>;
  /** town id → department kind → town department id */
  townDepartments: Map<number, Map<string, number>>;
  townDispatcher: Map<number, string>;
  handlerOf: Map<number, string>;
  /** Kinds only one city department has and no town: case-route sends them straight there. */
  autoKinds: Set<string>;
  grids: GridInfo[];
  categories: CategoryInfo[];
}

async function loadCity(sequelize: Sequelize): Promise<City> {
  const q = <T extends object>(sql: string): Promise<T[]> =>
    sequelize.query<T>(sql, { type: QueryTypes.SELECT });
  const units = (
    await q<{
      id: number;
      level: string;
      kind: string;
      parent_id: number | null;
      department_kind: string | null;
    }>('SELECT id, level, kind, parent_id, department_kind FROM org_unit')
  ).map((u): Unit => ({
    id: Number(u.id),
    level: u.level,
    kind: u.kind,
    parentId: u.parent_id == null ? null : Number(u.parent_id),
    departmentKind: u.department_kind,
  }));
  const names = new Map(
    (await q<{ id: number; name: string }>('SELECT id, name FROM org_unit')).map((u) => [
      Number(u.id),
      u.name,
    ]),
  );
  const users = await q<{ id: number; username: string; org_unit_id: number; role: string }>(
    'SELECT u.id, u.username, u.org_unit_id, r.role FROM app_user u JOIN user_role r ON r.user_id = u.id',
  );
  const centre = units.find((u) => u.level === 'city' && u.kind === 'centre')!;
  const cityDispatcher = users.find((u) => Number(u.org_unit_id) === centre.id && u.role === 'dispatcher')!;
  const cityDepartmentByKind = new Map<string, number>();
  const cityKindCount = new Map<string, number>();
  const townKinds = new Set<string>();
  const townDepartments = new Map<number, Map<string, number>>();
  for (const u of units) {
    if (u.kind !== 'department' || !u.departmentKind) continue;
    if (u.level === 'city') {
      cityDepartmentByKind.set(u.departmentKind, u.id);
      cityKindCount.set(u.departmentKind, (cityKindCount.get(u.departmentKind) ?? 0) + 1);
    } else {
      townKinds.add(u.departmentKind);
      let m = townDepartments.get(u.parentId!);
      if (!m) townDepartments.set(u.parentId!, (m = new Map()));
      m.set(u.departmentKind, u.id);
    }
  }
  const autoKinds = new Set(
    [...cityKindCount].filter(([k, n]) => n === 1 && !townKinds.has(k)).map(([k]) => k),
  );
  const townDispatcher = new Map<number, string>();
  const handlerOf = new Map<number, string>();
  for (const u of users) {
    const unit = Number(u.org_unit_id);
    if (u.role === 'dispatcher') townDispatcher.set(unit, u.username);
    if (u.role === 'handler') handlerOf.set(unit, u.username);
  }
  const gridRows = await q<{
    id: number;
    village_id: number;
    town_id: number;
    geometry: string;
    min_lng: number;
    min_lat: number;
    max_lng: number;
    max_lat: number;
    user_id: number;
    username: string;
  }>(
    `SELECT g.id, g.village_id, v.parent_id AS town_id, g.geometry, g.min_lng, g.min_lat, g.max_lng, g.max_lat,
            u.id AS user_id, u.username
       FROM grid g JOIN org_unit v ON v.id = g.village_id
       JOIN user_grid ug ON ug.grid_id = g.id JOIN app_user u ON u.id = ug.user_id ORDER BY g.id`,
  );
  const grids = gridRows.map((g): GridInfo => ({
    id: Number(g.id),
    villageId: Number(g.village_id),
    townId: Number(g.town_id),
    villageName: names.get(Number(g.village_id)) ?? '',
    townName: names.get(Number(g.town_id)) ?? '',
    polygons: (JSON.parse(g.geometry) as { coordinates: MultiPolygonCoordinates }).coordinates,
    box: [Number(g.min_lng), Number(g.min_lat), Number(g.max_lng), Number(g.max_lat)],
    worker: { id: Number(g.user_id), username: g.username },
  }));
  const categories = (
    await q<{ id: number; name: string; urgency: string; department_kind: string; limit_handle_min: number }>(
      "SELECT id, name, urgency, department_kind, limit_handle_min FROM category WHERE level = 'minor' ORDER BY code",
    )
  ).map((c): CategoryInfo => ({
    id: Number(c.id),
    name: c.name,
    urgency: c.urgency,
    departmentKind: c.department_kind,
    handleMin: Number(c.limit_handle_min),
  }));
  return {
    cityCentreId: centre.id,
    cityDispatcher: { id: Number(cityDispatcher.id), username: cityDispatcher.username },
    cityDepartmentByKind,
    townDepartments,
    townDispatcher,
    handlerOf,
    autoKinds,
    grids,
    categories,
  };
}

const SOURCES = [
  ['grid_report', 45],
  ['hotline_12345', 28],
  ['city_management', 8],
  ['video_alert', 6],
  ['police_110', 5],
  ['web', 5],
  ['leader', 3],
] as const;
const CALLED_BACK = new Set(['hotline_12345', 'web']);
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const ROADS = [
  '真州路',
  '大庆路',
  '解放路',
  '工农路',
  '扬子路',
  '胥浦路',
  '天宁路',
  '环城路',
  '仪扬路',
  '沿江路',
  '新城路',
  '万年路',
  '健康路',
  '通江路',
  '龙山路',
  '枣林路',
];
const PHRASES = [
  '已持续多日，影响居民出行，请尽快处理',
  '群众多次反映，希望有关部门尽快到场',
  '存在安全隐患，请相关部门核实处置',
  '影响市容环境，附近居民意见较大',
  '夜间尤为明显，严重影响周边居民休息',
  '网格员巡查发现，已拍照取证',
  '来电人要求处理后回复',
  '视频监控发现，需现场核实',
];
const TASK_NAMES: Record<string, string> = {
  register: '受理立案',
  'dispatch-city': '一级分拨',
  'dispatch-town': '二级分拨',
  handle: '处置',
  verify: '核查',
  close: '结案',
  callback: '回访',
  'review-self-handled': '自处理审核',
  supervise: '督办',
  'approve-extension': '延期审批',
  'resume-parked': '挂账恢复',
};
const FORM_KEYS: Record<string, string> = Object.fromEntries(
  Object.keys(TASK_NAMES).map((id, i) => [id, String(100 + i)]),
);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The open task an open case waits at, how often, how old it is at most and its limit (null: no due date). */
const OPEN_ELEMENTS = [
  ['handle', 50, 20 * DAY, 0],
  ['verify', 10, DAY, 3 * HOUR],
  ['dispatch-town', 8, 6 * HOUR, 90 * MIN],
  ['callback', 6, 2 * DAY, null],
  ['dispatch-city', 5, 3 * HOUR, 90 * MIN],
  ['close', 5, DAY, 90 * MIN],
  ['register', 4, 2 * HOUR, 10 * MIN],
  ['review-self-handled', 4, DAY, 90 * MIN],
  ['supervise', 4, 5 * DAY, null],
  ['approve-extension', 2, 2 * DAY, null],
  ['resume-parked', 2, 30 * DAY, null],
] as const;
const OPEN_STATUS: Record<string, string> = {
  handle: 'handling',
  verify: 'handled',
  'dispatch-town': 'dispatched',
  callback: 'closed',
  'dispatch-city': 'registered',
  close: 'verified',
  register: 'accepted',
  'review-self-handled': 'registered',
  supervise: 'handling',
  'approve-extension': 'handling',
  'resume-parked': 'parked',
};

type Row = unknown[];

/**
 * Statements queued by the inserters, run in one transaction every `rowsPerTransaction` rows through the
 * engine's TransactionRunner (raw driver, `?` parameters: Sequelize's query pipeline would cost more than
 * the inserts themselves; on SQLite one writer connection, so every table shares the transaction).
 */
class Transactions {
  private statements: { sql: string; params: unknown[] }[] = [];
  private rows = 0;
  private readonly runner: TransactionRunner;

  constructor(
    sequelize: Sequelize,
    private readonly rowsPerTransaction: number,
  ) {
    this.runner = new TransactionRunner(sequelize, sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql');
  }

  async add(sql: string, params: unknown[], rows: number): Promise<void> {
    this.statements.push({ sql, params });
    this.rows += rows;
    if (this.rows >= this.rowsPerTransaction) await this.commit();
  }

  async commit(): Promise<void> {
    const statements = this.statements;
    this.statements = [];
    this.rows = 0;
    if (statements.length === 0) return;
    await this.runner.run(async ({ sql }) => {
      for (const st of statements) await sql.run(st.sql, st.params);
    });
  }
}

/** Multi-row INSERTs (one statement text per batch size). */
class Inserter {
  private rows: Row[] = [];
  private readonly sqlByCount = new Map<number, string>();
  written = 0;

  constructor(
    private readonly txs: Transactions,
    private readonly table: string,
    private readonly columns: string[],
    private readonly rowsPerStatement: number,
  ) {}

  private sql(count: number): string {
    let s = this.sqlByCount.get(count);
    if (!s) {
      const tuple = `(${this.columns.map(() => '?').join(', ')})`;
      s = `INSERT INTO ${this.table} (${this.columns.join(', ')}) VALUES ${Array(count).fill(tuple).join(', ')}`;
      this.sqlByCount.set(count, s);
    }
    return s;
  }

  async add(row: Row): Promise<void> {
    this.rows.push(row);
    if (this.rows.length >= this.rowsPerStatement) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    this.written += rows.length;
    const params: unknown[] = [];
    for (const row of rows) for (const v of row) params.push(v);
    await this.txs.add(this.sql(rows.length), params, rows.length);
  }
}

const LOADED_TABLES = ['cases', 'task', 'task_candidate', 'case_party'];

/** The secondary indexes of the loaded tables, as statements that drop and re-create them. */
async function secondaryIndexes(sequelize: Sequelize): Promise<{ drop: string[]; create: string[] }> {
  if (sequelize.getDialect() === 'sqlite') {
    const rows = await sequelize.query<{ name: string; sql: string }>(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${LOADED_TABLES.map(() => '?').join(', ')})`,
      { replacements: LOADED_TABLES, type: QueryTypes.SELECT },
    );
    return { drop: rows.map((r) => `DROP INDEX \`${r.name}\``), create: rows.map((r) => r.sql) };
  }
  const rows = await sequelize.query<{
    TABLE_NAME: string;
    INDEX_NAME: string;
    NON_UNIQUE: number;
    COLUMN_NAME: string;
    SUB_PART: number | null;
  }>(
    `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' AND TABLE_NAME IN (${LOADED_TABLES.map(() => '?').join(', ')})
      ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    { replacements: LOADED_TABLES, type: QueryTypes.SELECT },
  );
  const byTable = new Map<string, Map<string, { unique: boolean; columns: string[] }>>();
  for (const r of rows) {
    let t = byTable.get(r.TABLE_NAME);
    if (!t) byTable.set(r.TABLE_NAME, (t = new Map()));
    let i = t.get(r.INDEX_NAME);
    if (!i) t.set(r.INDEX_NAME, (i = { unique: Number(r.NON_UNIQUE) === 0, columns: [] }));
    i.columns.push(`\`${r.COLUMN_NAME}\`${r.SUB_PART ? `(${r.SUB_PART})` : ''}`);
  }
  const drop: string[] = [];
  const create: string[] = [];
  for (const [table, indexes] of byTable) {
    const list = [...indexes];
    drop.push(`ALTER TABLE \`${table}\` ${list.map(([name]) => `DROP INDEX \`${name}\``).join(', ')}`);
    create.push(
      `ALTER TABLE \`${table}\` ${list
        .map(([name, i]) => `ADD ${i.unique ? 'UNIQUE ' : ''}INDEX \`${name}\` (${i.columns.join(', ')})`)
        .join(', ')}`,
    );
  }
  return { drop, create };
}

/**
 * Loads a year of cases into a seeded database: `historical` finished cases (95 % closed, 3 % voided, 2 %
 * merged) accepted over the 12 months before `now`, all sources, towns, grids and 小类 of the seed, each with
 * the completed tasks of its walk (register, the dispatches its category's remit needs, handle, verify,
 * close, callback for hotline and web); then `openTasks` open cases of the last 20 days, each waiting at one
 * open task offered to the candidate group the process would offer it to (docs/case-lifecycle.md), some
 * claimed, many past due. Deterministic: the same options load the same rows.
 */
export async function bulkLoad(sequelize: Sequelize, options: LoadOptions): Promise<LoadResult> {
  const city = await loadCity(sequelize);
  const dialect = sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
  const stamp = (ms: number): string =>
    dialect === 'sqlite'
      ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +00:00')
      : new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  const rnd = random(1_000_003);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  // A bulk load's usual way: the secondary indexes go before and are built again, sorted, after (the same
  // definitions, so the schema ends as the migrations made it).
  const indexes = await secondaryIndexes(sequelize);
  for (const sql of indexes.drop) await sequelize.query(sql);
  const t0 = performance.now();

  const txs = new Transactions(sequelize, 200_000);
  const cases = new Inserter(
    txs,
    'cases',
    [
      'id',
      'case_no',
      'source',
      'source_ticket_id',
      'reporter_name',
      'reporter_phone',
      'description',
      'address',
      'lng',
      'lat',
      'grid_id',
      'village_id',
      'town_id',
      'category_id',
      'urgency',
      'status',
      'major_emergency',
      'process_instance_key',
      'duplicate_of_id',
      'handling_unit_id',
      'satisfaction',
      'accepted_at',
      'registered_at',
      'dispatched_at',
      'handled_at',
      'verified_at',
      'closed_at',
      'voided_at',
      'handle_due_at',
      'due_at',
      'created_by',
      'created_at',
      'updated_at',
    ],
    400,
  );
  const tasks = new Inserter(
    txs,
    'task',
    [
      'user_task_key',
      'case_id',
      'process_instance_key',
      'element_id',
      'name',
      'state',
      'assignee',
      'form_key',
      'due_at',
      'created_at',
      'completed_at',
      'action',
      'completed_by',
      'town_id',
      'category_id',
      'source',
      'urgency',
      'case_no',
    ],
    1000,
  );
  const candidates = new Inserter(
    txs,
    'task_candidate',
    ['user_task_key', 'group_name', 'open', 'due_order'],
    4000,
  );
  const parties = new Inserter(txs, 'case_party', ['unit_id', 'case_id', 'accepted_at', 'status'], 4000);

  /** A point inside the grid (rejection sampling in its bounding box). */
  const pointIn = (g: GridInfo): [number, number] => {
    for (let i = 0; i < 50; i++) {
      const lng = g.box[0] + rnd() * (g.box[2] - g.box[0]);
      const lat = g.box[1] + rnd() * (g.box[3] - g.box[1]);
      if (pointInMultiPolygon(lng, lat, g.polygons)) return [lng, lat];
    }
    return [(g.box[0] + g.box[2]) / 2, (g.box[1] + g.box[3]) / 2];
  };

  /** Where the case goes after 立案: the units case-route and the dispatchers would pick. */
  const route = (
    category: CategoryInfo,
    grid: GridInfo,
  ): { viaCity: boolean; townId: number | null; handler: number } => {
    const kind = category.departmentKind;
    if (city.autoKinds.has(kind))
      return { viaCity: false, townId: null, handler: city.cityDepartmentByKind.get(kind)! };
    const townDept = city.townDepartments.get(grid.townId)?.get(kind);
    const r = rnd();
    if (townDept != null) {
      if (r < 0.15) return { viaCity: true, townId: null, handler: city.cityDepartmentByKind.get(kind)! };
      return { viaCity: true, townId: grid.townId, handler: r < 0.55 ? townDept : grid.villageId };
    }
    if (r < 0.7) return { viaCity: true, townId: null, handler: city.cityDepartmentByKind.get(kind)! };
    return { viaCity: true, townId: grid.townId, handler: grid.villageId };
  };

  const historical = options.historical;
  const total = historical + options.openTasks;
  const start = options.now - 365 * DAY;
  const span = 363 * DAY;
  let tasksWritten = 0;

  for (let i = 0; i < total; i++) {
    const id = i + 1;
    const open = i >= historical;
    const accepted = open
      ? options.now -
        20 * DAY +
        Math.floor(((i - historical + rnd()) * 20 * DAY) / Math.max(1, options.openTasks))
      : start + Math.floor(((i + rnd()) * span) / Math.max(1, historical));
    const source = weighted(SOURCES, rnd());
    const category = pick(city.categories);
    const grid = pick(city.grids);
    const [lng, lat] = pointIn(grid);
    const caseNo = caseNumber(accepted, id);
    const pik = 2_000_000 + id * 50;
    const hotline = source === 'hotline_12345' || source === 'web' || source === 'police_110';
    const reporterName = hotline
      ? `${SURNAMES[Math.floor(rnd() * SURNAMES.length)]}${rnd() < 0.5 ? '先生' : '女士'}`
      : null;
    const reporterPhone = hotline
      ? `1${pick(['3', '5', '8'])}${String(Math.floor(rnd() * 1e9)).padStart(9, '0')}`
      : null;
    const road = pick(ROADS);
    const address = `${grid.townName}${grid.villageName}${road}${1 + Math.floor(rnd() * 300)}号`;
    const description = `${address}附近${category.name}问题，${pick(PHRASES)}。`;
    const ticket =
      source === 'hotline_12345'
        ? `HT${caseNo.slice(2, 10)}${String(id).padStart(7, '0')}`
        : source === 'web'
          ? `WEB${id}`
          : null;
    const createdBy = source === 'grid_report' ? grid.worker.id : city.cityDispatcher.id;
    const urgency = category.urgency;

    // The walk: which tasks the case went through, with its unit and times.
    type Walked = {
      element: string;
      group: string;
      user: string;
      action: string;
      at: number;
      done: number | null;
      due: number | null;
    };
    const walked: Walked[] = [];
    let t = accepted + Math.floor(rnd() * 5 * MIN);
    const step = (
      element: string,
      group: string,
      user: string,
      action: string,
      took: number,
      due: number | null,
    ): void => {
      const at = t;
      t += took;
      walked.push({ element, group, user, action, at, done: t, due });
    };
    const cityGroup = `unit:${city.cityCentreId}:dispatcher`;
    let status = 'closed';
    let registeredAt: number | null = null;
    let dispatchedAt: number | null = null;
    let handledAt: number | null = null;
    let verifiedAt: number | null = null;
    let closedAt: number | null = null;
    let voidedAt: number | null = null;
    let handleDue: number | null = null;
    let handlingUnit: number | null = null;
    let satisfaction: string | null = null;
    let duplicateOf: number | null = null;
    const r = rnd();
    const selfHandled = source === 'grid_report' && r < 0.25;

    if (!open) {
      if (r > 0.98 && id > 10) {
        status = 'merged';
        duplicateOf = id - 1 - Math.floor(rnd() * 10);
        closedAt = accepted + 2 * MIN;
      } else if (r > 0.95) {
        step('register', cityGroup, city.cityDispatcher.username, 'void', 10 * MIN, accepted + 10 * MIN);
        status = 'voided';
        voidedAt = t;
      } else if (selfHandled) {
        registeredAt = t;
        const dispatcher = city.townDispatcher.get(grid.townId)!;
        step(
          'review-self-handled',
          `unit:${grid.townId}:dispatcher`,
          dispatcher,
          'approve',
          2 * HOUR * rnd(),
          t + 90 * MIN,
        );
        handledAt = accepted;
        verifiedAt = t;
        closedAt = t;
      } else {
        step(
          'register',
          cityGroup,
          city.cityDispatcher.username,
          'register',
          10 * MIN * rnd(),
          accepted + 10 * MIN,
        );
        registeredAt = t;
        const way = route(category, grid);
        if (way.viaCity)
          step(
            'dispatch-city',
            cityGroup,
            city.cityDispatcher.username,
            'dispatch',
            30 * MIN * rnd(),
            t + 30 * MIN,
          );
        if (way.townId != null) {
          dispatchedAt = t;
          step(
            'dispatch-town',
            `unit:${way.townId}:dispatcher`,
            city.townDispatcher.get(way.townId)!,
            'dispatch',
            30 * MIN * rnd(),
            t + 30 * MIN,
          );
        }
        dispatchedAt ??= t;
        handlingUnit = way.handler;
        handleDue = t + category.handleMin * 3 * MIN;
        step(
          'handle',
          `unit:${way.handler}:handler`,
          city.handlerOf.get(way.handler)!,
          'complete',
          category.handleMin * 3 * MIN * rnd() * 1.1,
          handleDue,
        );
        handledAt = t;
        step(
          'verify',
          `grid:${grid.id}:grid_worker`,
          grid.worker.username,
          'pass',
          3 * HOUR * rnd(),
          t + 3 * HOUR,
        );
        verifiedAt = t;
        step('close', cityGroup, city.cityDispatcher.username, 'close', 90 * MIN * rnd(), t + 90 * MIN);
        closedAt = t;
        if (CALLED_BACK.has(source)) {
          satisfaction = weighted(
            [
              ['satisfied', 85],
              ['fairly', 11],
              ['unsatisfied', 4],
            ] as const,
            rnd(),
          );
          step('callback', cityGroup, city.cityDispatcher.username, 'record', 2 * DAY * rnd(), null);
        }
      }
    } else {
      // An open case waiting at one task, created `age` ago.
      const [element, , maxAge, limit] = OPEN_ELEMENTS.find(
        (e) =>
          e[0] ===
          weighted(
            OPEN_ELEMENTS.map((x) => [x[0], x[1]] as const),
            r,
          ),
      )!;
      const created = Math.max(accepted, options.now - Math.floor(rnd() * maxAge));
      status = OPEN_STATUS[element];
      const way = route(category, grid);
      let group = cityGroup;
      let holder: string = city.cityDispatcher.username;
      let due: number | null = limit == null ? null : created + limit;
      if (element !== 'register' && element !== 'review-self-handled') registeredAt = accepted + 5 * MIN;
      if (element === 'dispatch-town' || element === 'review-self-handled') {
        group = `unit:${grid.townId}:dispatcher`;
        holder = city.townDispatcher.get(grid.townId)!;
      } else if (element === 'handle') {
        handlingUnit = way.handler;
        dispatchedAt = created;
        due = created + category.handleMin * 3 * MIN;
        handleDue = due;
        group = `unit:${way.handler}:handler`;
        holder = city.handlerOf.get(way.handler)!;
      } else if (element === 'verify') {
        group = `grid:${grid.id}:grid_worker`;
        holder = grid.worker.username;
      } else if (element === 'supervise' || element === 'approve-extension' || element === 'resume-parked') {
        group = `unit:${city.cityCentreId}:supervisor`;
        holder = 'city.supervisor';
        handlingUnit = way.handler;
      }
      if (['verify', 'close', 'callback'].includes(element)) {
        handlingUnit = way.handler;
        handledAt = created - HOUR;
      }
      if (element === 'close' || element === 'callback') verifiedAt = created - 10 * MIN;
      if (element === 'callback') closedAt = created;
      const claimed = rnd() < (element === 'handle' ? 0.4 : element === 'verify' ? 0.2 : 0.05);
      walked.push({ element, group, user: claimed ? holder : '', action: '', at: created, done: null, due });
    }

    const last =
      walked.length > 0 ? (walked[walked.length - 1].done ?? walked[walked.length - 1].at) : accepted;
    await cases.add([
      id,
      caseNo,
      source,
      ticket,
      reporterName,
      reporterPhone,
      description,
      address,
      lng,
      lat,
      grid.id,
      grid.villageId,
      grid.townId,
      category.id,
      urgency,
      status,
      rnd() < 0.002 ? 1 : 0,
      pik,
      duplicateOf,
      handlingUnit,
      satisfaction,
      accepted,
      registeredAt,
      dispatchedAt,
      handledAt,
      verifiedAt,
      closedAt,
      voidedAt,
      handleDue,
      null,
      createdBy,
      stamp(accepted),
      stamp(Math.max(accepted, last)),
    ]);
    if (open || options.historyTasks) {
      let k = 0;
      for (const w of walked) {
        const key = pik + 10 + k++;
        const openTask = w.done == null;
        await tasks.add([
          key,
          id,
          pik,
          w.element,
          TASK_NAMES[w.element],
          openTask ? 'CREATED' : 'COMPLETED',
          openTask ? w.user || null : w.user,
          FORM_KEYS[w.element],
          w.due,
          Math.floor(w.at),
          openTask ? null : Math.floor(w.done!),
          openTask ? null : w.action,
          openTask ? null : w.user,
          grid.townId,
          category.id,
          source,
          urgency,
          caseNo,
        ]);
        await candidates.add([key, w.group, openTask ? 1 : 0, dueOrder(w.due)]);
        tasksWritten++;
      }
      // The units the case's tasks were offered to, as the task-projection exporter records them.
      const units = new Set(walked.map((w) => /^unit:(\d+):/.exec(w.group)?.[1]).filter((u) => u != null));
      for (const u of units) await parties.add([Number(u), id, accepted, status]);
    }
  }
  await cases.flush();
  await tasks.flush();
  await candidates.flush();
  await parties.flush();
  await txs.commit();
  const end = performance.now();
  for (const sql of indexes.create) await sequelize.query(sql);
  const indexed = performance.now();
  return {
    cases: total,
    openCases: options.openTasks,
    tasks: tasksWritten,
    openTasks: options.openTasks,
    candidates: candidates.written,
    seconds: (end - t0) / 1000,
    indexSeconds: (indexed - end) / 1000,
    lastCaseId: total,
  };
}

/** "1 050 000 rows in 12.3 s (85 000 rows/s)". */
export function rate(rows: number, seconds: number): string {
  return `${thousands(rows)} rows in ${seconds.toFixed(1)} s (${thousands(rows / Math.max(seconds, 0.001))} rows/s)`;
}
