import { performance } from 'node:perf_hooks';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../common/logger.ts';
import { directSql, directStatementObservers } from '../../db/sequelize-sql.ts';
import type { Config } from '../../server/config.ts';
import { type Principal, principalOf } from '../../server/services/auth.service.ts';
import { type CaseQuery, searchCases } from '../../server/services/case-query.service.ts';
import { type InboxQuery, inbox } from '../../server/services/task.service.ts';
import { bulkLoad, rate } from './bulk-load.ts';
import type { BenchDatabase } from './database.ts';
import { ms, percentile, printTable, random, thousands } from './stats.ts';
import { type RunningSystem, call, startSystem } from './system.ts';

/** Part 2 options. */
export interface ScaleOptions {
  historical: number;
  openTasks: number;
  samples: number;
  historyTasks: boolean;
  /** Print the plan of each query kind (EXPLAIN QUERY PLAN / EXPLAIN). */
  explain: boolean;
  /** Only the query kinds whose name matches this regular expression ('' for all). */
  only: string;
  /** Time per query kind and way of calling it after which sampling stops (at least MIN_SAMPLES taken). */
  budgetMs: number;
}

const TARGET_MS = 50;
/** A query kind that takes longer than the budget gets at least this many samples. */
const MIN_SAMPLES = 5;

const sum = (list: number[]): number => list.reduce((a, b) => a + b, 0);

interface Who {
  username: string;
  principal: Principal;
  headers: Record<string, string>;
}

/** One measured query kind: the service call and the same request over HTTP, for sample n. */
interface QueryKind {
  name: string;
  service: (n: number) => Promise<{ total: number }>;
  http: (n: number) => string;
  who: (n: number) => Who;
}

const DEFAULT_INBOX: InboxQuery = { view: 'all', sort: 'due', page: 1, pageSize: 20 };
const DEFAULT_SEARCH: CaseQuery = { page: 1, pageSize: 20 };

function qs(q: Record<string, unknown>): string {
  return Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** Captures the statements a call sends (the services read through directSql), for EXPLAIN. */
async function capture(fn: () => Promise<unknown>): Promise<{ sql: string; params: readonly unknown[] }[]> {
  const statements: { sql: string; params: readonly unknown[] }[] = [];
  const observe = (sql: string, params: readonly unknown[]): void => void statements.push({ sql, params });
  directStatementObservers.add(observe);
  try {
    await fn();
  } finally {
    directStatementObservers.delete(observe);
  }
  return statements;
}

async function explain(sequelize: Sequelize, sql: string, params: readonly unknown[]): Promise<string[]> {
  const db = directSql(sequelize);
  if (sequelize.getDialect() === 'sqlite') {
    const rows = await db.all<{ id: number; parent: number; detail: string }>(
      `EXPLAIN QUERY PLAN ${sql}`,
      params,
    );
    const depth = new Map<number, number>([[0, 0]]);
    return rows.map((r) => {
      const d = (depth.get(Number(r.parent)) ?? 0) + 1;
      depth.set(Number(r.id), d);
      return `${'  '.repeat(d)}${r.detail}`;
    });
  }
  const rows = await db.all<Record<string, unknown>>(`EXPLAIN ${sql}`, params);
  return rows.map(
    (r) =>
      `  ${String(r.table)} type=${String(r.type)} key=${String(r.key)} rows=${String(r.rows)} ${String(r.Extra ?? '')}`,
  );
}

/**
 * Part 2: bulk-loads a year of cases into a fresh database, then measures the inbox and the case search
 * through the service functions and over HTTP (auth included), 200+ samples each, against ≤ 50 ms.
 */
export async function runScale(
  db: BenchDatabase,
  config: Config,
  log: Logger,
  options: ScaleOptions,
): Promise<void> {
  const { sequelize } = db;
  // The API served by the real app (the engine is not started: this part only reads); seeds the demo city.
  const sys: RunningSystem = await startSystem(db, config, log, { withEngine: false });
  try {
    const now = Date.now();
    const loaded = await bulkLoad(sequelize, {
      historical: options.historical,
      openTasks: options.openTasks,
      historyTasks: options.historyTasks,
      now,
    });
    const rows = loaded.cases + loaded.tasks + loaded.candidates;
    console.log(
      `  loaded ${thousands(loaded.cases)} cases (${thousands(loaded.openCases)} open), ${thousands(loaded.tasks)} tasks ` +
        `(${thousands(loaded.openTasks)} open${options.historyTasks ? ', the rest the completed tasks of the historical walks' : ''}), ` +
        `${thousands(loaded.candidates)} candidate rows:`,
    );
    console.log(
      `  ${rate(rows, loaded.seconds)} (multi-row INSERTs, 200 000 rows per transaction, without the secondary indexes),`,
    );
    console.log(
      `  then the secondary indexes built again in ${loaded.indexSeconds.toFixed(1)} s; ${((loaded.seconds + loaded.indexSeconds) / 60).toFixed(1)} min in all`,
    );
    if (db.dialect === 'mysql') {
      // What InnoDB would have after a year anyway (its statistics follow big changes on their own, a bit later).
      for (const t of ['cases', 'task', 'task_candidate']) await sequelize.query(`ANALYZE TABLE ${t}`);
    }
    await runQueries(sys, sequelize, options, loaded.lastCaseId, now);
  } finally {
    await sys.close();
  }
}

async function runQueries(
  sys: RunningSystem,
  sequelize: Sequelize,
  options: ScaleOptions,
  lastCaseId: number,
  now: number,
): Promise<void> {
  const users = await sequelize.query<{
    id: number;
    username: string;
    level: string;
    kind: string;
    role: string;
  }>(
    `SELECT u.id, u.username, o.level, o.kind, r.role FROM app_user u
       JOIN user_role r ON r.user_id = u.id JOIN org_unit o ON o.id = u.org_unit_id ORDER BY u.id`,
    { type: QueryTypes.SELECT },
  );
  const sign = async (u: { id: number; username: string }): Promise<Who> => ({
    username: u.username,
    principal: await principalOf(sys.models.User.sequelize!, Number(u.id)),
    headers: await sys.signIn(u.username),
  });
  const pickUsers = async (filter: (u: (typeof users)[number]) => boolean): Promise<Who[]> =>
    Promise.all(users.filter(filter).map(sign));
  const city = (await pickUsers((u) => u.username === 'city.dispatcher'))[0];
  const towns = await pickUsers((u) => u.level === 'town' && u.kind === 'centre' && u.role === 'dispatcher');
  const stations = await pickUsers((u) => u.kind === 'station' && u.role === 'handler');
  const departments = await pickUsers(
    (u) => u.level === 'city' && u.kind === 'department' && u.role === 'handler',
  );
  const townIds = towns.map((t) => t.principal.orgUnit.id);

  const rnd = random(42);
  const sampleIds = Array.from({ length: options.samples }, () => 1 + Math.floor(rnd() * lastCaseId));
  const caseNos = new Map(
    (
      await sequelize.query<{ id: number; case_no: string }>(
        `SELECT id, case_no FROM cases WHERE id IN (${sampleIds.join(', ')})`,
        { type: QueryTypes.SELECT },
      )
    ).map((r) => [Number(r.id), r.case_no]),
  );
  const caseNoOf = (n: number): string => caseNos.get(sampleIds[n % sampleIds.length])!;
  const windows = Array.from({ length: options.samples }, () => {
    const from = now - 365 * 24 * 3600_000 + Math.floor(rnd() * 330) * 24 * 3600_000;
    return { from: new Date(from).toISOString(), to: new Date(from + 30 * 24 * 3600_000).toISOString() };
  });
  const deps = {
    sequelize,
    models: sys.models,
    engine: sys.engine,
    clock: sys.clock,
    settings: sys.settings,
  };
  const inboxKind = (name: string, people: Who[], q: Partial<InboxQuery>): QueryKind => ({
    name,
    who: (n) => people[n % people.length],
    service: (n) => inbox(deps, people[n % people.length].principal, { ...DEFAULT_INBOX, ...q }),
    http: () => `/api/tasks?${qs(q)}`,
  });
  const searchKind = (name: string, people: Who[], q: (n: number) => Partial<CaseQuery>): QueryKind => ({
    name,
    who: (n) => people[n % people.length],
    service: (n) =>
      searchCases(sequelize, people[n % people.length].principal, { ...DEFAULT_SEARCH, ...q(n) }),
    http: (n) => `/api/cases?${qs(q(n))}`,
  });

  const kinds: QueryKind[] = [
    inboxKind('inbox: town dispatcher (default: sort=due)', towns, {}),
    inboxKind('inbox: town dispatcher, sort=created', towns, { sort: 'created' }),
    inboxKind('inbox: town dispatcher, overdue=true', towns, { overdue: true }),
    inboxKind('inbox: city dispatcher', [city], {}),
    inboxKind('inbox: city dispatcher, overdue=true', [city], { overdue: true }),
    inboxKind('inbox: station handler', stations, {}),
    inboxKind('inbox: city department handler', departments, {}),
    searchKind('search: city centre, no filter', [city], () => ({})),
    searchKind('search: city centre, by town', [city], (n) => ({ townId: townIds[n % townIds.length] })),
    searchKind('search: city centre, status=handling', [city], () => ({ status: 'handling' })),
    searchKind('search: city centre, status=closed', [city], () => ({ status: 'closed' })),
    searchKind('search: city centre, q=case number', [city], (n) => ({ q: caseNoOf(n) })),
    searchKind('search: city centre, 30-day range', [city], (n) => windows[n % windows.length]),
    searchKind('search: town centre, no filter', towns, () => ({})),
    searchKind('search: town centre, status=handling', towns, () => ({ status: 'handling' })),
  ];

  // The figures to compare with, from the same database in the same run.
  const pk: number[] = [];
  const me: number[] = [];
  const detail: number[] = [];
  for (let n = 0; n < options.samples; n++) {
    const id = sampleIds[n];
    const t = performance.now();
    await sequelize.query('SELECT * FROM cases WHERE id = ?', {
      replacements: [id],
      type: QueryTypes.SELECT,
    });
    pk.push(performance.now() - t);
    me.push((await call(sys.baseUrl, city.headers, 'GET', '/api/auth/me')).ms);
    detail.push((await call(sys.baseUrl, city.headers, 'GET', `/api/cases/${id}`)).ms);
  }

  const table: string[][] = [];
  const mark = (v: number): string => (v <= TARGET_MS ? '✓' : '✗');
  for (const k of kinds.filter((x) => new RegExp(options.only).test(x.name))) {
    if (options.explain) {
      const statements = await capture(() => k.service(0));
      console.log(`\n  ${k.name}`);
      for (const { sql, params } of statements) {
        console.log(`    ${sql.length > 400 ? `${sql.slice(0, 400)}…` : sql}  ${JSON.stringify(params)}`);
        for (const line of await explain(sequelize, sql, params)) console.log(`    ${line}`);
      }
    }
    const service: number[] = [];
    const http: number[] = [];
    const totals: number[] = [];
    const within = (list: number[]): boolean =>
      list.length < options.samples && (list.length < MIN_SAMPLES || sum(list) < options.budgetMs);
    for (let n = 0; within(service); n++) {
      const t = performance.now();
      totals.push((await k.service(n)).total);
      service.push(performance.now() - t);
    }
    for (let n = 0; within(http); n++) {
      const res = await call<{ total: number }>(sys.baseUrl, k.who(n).headers, 'GET', k.http(n));
      if (res.status !== 200) throw new Error(`${k.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      http.push(res.ms);
    }
    const s95 = percentile(service, 95);
    const h95 = percentile(http, 95);
    table.push([
      k.name,
      thousands(sum(totals) / totals.length),
      service.length === http.length ? String(service.length) : `${service.length}/${http.length}`,
      ms(percentile(service, 50)),
      ms(s95),
      ms(percentile(http, 50)),
      ms(h95),
      `${mark(s95)} ${mark(h95)}`,
    ]);
  }
  console.log(
    `\n  p50/p95 in ms, ${options.samples} samples each (n; fewer when a kind used up its ${options.budgetMs / 1000} s budget), one at a time;`,
  );
  console.log(
    '  "service" calls task.service inbox / case-query.service searchCases directly, "HTTP" is GET /api/tasks or',
  );
  console.log('  /api/cases through the app (session lookup and principal per request).');
  console.log(`  ≤ ${TARGET_MS} ms: service, HTTP. "matches" is the mean total the query reported.`);
  console.log('  The case search counts to 10 000 ("matches" 10 000: more than that).\n');
  printTable(['query', 'matches', 'n', 'svc p50', 'svc p95', 'HTTP p50', 'HTTP p95', '≤50'], table, '  ');
  console.log('\n  to compare (same database, same run):');
  printTable(
    ['', 'p50', 'p95'],
    [
      [
        'SELECT * FROM cases WHERE id = ? (Sequelize, no HTTP)',
        ms(percentile(pk, 50), 2),
        ms(percentile(pk, 95), 2),
      ],
      ['GET /api/auth/me (HTTP + session + principal only)', ms(percentile(me, 50)), ms(percentile(me, 95))],
      [
        'GET /api/cases/:id (detail: primary key + timeline)',
        ms(percentile(detail, 50)),
        ms(percentile(detail, 95)),
      ],
    ],
    '  ',
  );
}
