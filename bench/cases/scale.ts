import { performance } from 'node:perf_hooks';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../common/logger.ts';
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
/** The count cap of the what-if column. */
const CAP = 10_000;
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
  /** A what-if of the same request (see runQueries). */
  /** A what-if of sample n: the SQL the service sent, and when it ran (for "overdue"). */
  whatIf?: (n: number, sql: string[], at: number) => Promise<number | void>;
}

const DEFAULT_INBOX: InboxQuery = { view: 'all', sort: 'due', page: 1, pageSize: 20 };
const DEFAULT_SEARCH: CaseQuery = { page: 1, pageSize: 20 };

function qs(q: Record<string, unknown>): string {
  return Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** Captures the SQL a call sends (Sequelize's logging hook), for EXPLAIN. */
async function capture(sequelize: Sequelize, fn: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const options = (sequelize as unknown as { options: { logging: unknown } }).options;
  const before = options.logging;
  options.logging = (sql: string) => statements.push(sql.replace(/^Executing \([^)]*\): /, ''));
  try {
    await fn();
  } finally {
    options.logging = before;
  }
  return statements;
}

async function explain(sequelize: Sequelize, sql: string): Promise<string[]> {
  if (sequelize.getDialect() === 'sqlite') {
    const rows = await sequelize.query<{ id: number; parent: number; detail: string }>(
      `EXPLAIN QUERY PLAN ${sql}`,
      {
        type: QueryTypes.SELECT,
      },
    );
    const depth = new Map<number, number>([[0, 0]]);
    return rows.map((r) => {
      const d = (depth.get(Number(r.parent)) ?? 0) + 1;
      depth.set(Number(r.id), d);
      return `${'  '.repeat(d)}${r.detail}`;
    });
  }
  const rows = await sequelize.query<Record<string, unknown>>(`EXPLAIN ${sql}`, { type: QueryTypes.SELECT });
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
  // The what-if of the inbox: the open tasks' candidate groups in a table of their own (see bench/README.md).
  await sequelize.query(
    'CREATE TABLE bench_open_candidate (group_name VARCHAR(64) NOT NULL, user_task_key BIGINT NOT NULL, PRIMARY KEY (group_name, user_task_key))',
  );
  try {
    const now = Date.now();
    const loaded = await bulkLoad(sequelize, {
      historical: options.historical,
      openTasks: options.openTasks,
      historyTasks: options.historyTasks,
      now,
      openCandidates: true,
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
  const deps = { sequelize, models: sys.models, engine: sys.engine, clock: sys.clock };
  const inboxKind = (name: string, people: Who[], q: Partial<InboxQuery>): QueryKind => ({
    name,
    who: (n) => people[n % people.length],
    service: (n) => inbox(deps, people[n % people.length].principal, { ...DEFAULT_INBOX, ...q }),
    http: () => `/api/tasks?${qs(q)}`,
    whatIf: (n, _sql, at) =>
      openCandidateInbox(sequelize, people[n % people.length].principal, { ...DEFAULT_INBOX, ...q }, at),
  });
  const searchKind = (name: string, people: Who[], q: (n: number) => Partial<CaseQuery>): QueryKind => ({
    name,
    who: (n) => people[n % people.length],
    service: (n) =>
      searchCases(sequelize, people[n % people.length].principal, { ...DEFAULT_SEARCH, ...q(n) }),
    http: (n) => `/api/cases?${qs(q(n))}`,
    whatIf: (_n, statements) => cappedCount(sequelize, statements),
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
      const statements = await capture(sequelize, () => k.service(0));
      console.log(`\n  ${k.name}`);
      for (const sql of statements) {
        console.log(`    ${sql.length > 400 ? `${sql.slice(0, 400)}…` : sql}`);
        for (const line of await explain(sequelize, sql)) console.log(`    ${line}`);
      }
    }
    const service: number[] = [];
    const http: number[] = [];
    const capped: number[] = [];
    const sent: string[][] = [];
    const totals: number[] = [];
    const at: number[] = [];
    const within = (list: number[]): boolean =>
      list.length < options.samples && (list.length < MIN_SAMPLES || sum(list) < options.budgetMs);
    for (let n = 0; within(service); n++) {
      let t = 0;
      sent.push(
        await capture(sequelize, async () => {
          t = performance.now();
          at.push(Date.now());
          totals.push((await k.service(n)).total);
          t = performance.now() - t;
        }),
      );
      service.push(t);
    }
    let differ = 0;
    for (let n = 0; k.whatIf && n < sent.length && within(capped); n++) {
      const t = performance.now();
      const total = await k.whatIf(n, sent[n], at[n]);
      capped.push(performance.now() - t);
      if (typeof total === 'number' && total !== totals[n]) differ++;
    }
    if (differ > 0) console.log(`  (what-if of "${k.name}": ${differ} totals differ from the service's)`);
    for (let n = 0; within(http); n++) {
      const res = await call<{ total: number }>(sys.baseUrl, k.who(n).headers, 'GET', k.http(n));
      if (res.status !== 200) throw new Error(`${k.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      http.push(res.ms);
    }
    const s95 = percentile(service, 95);
    const h95 = percentile(http, 95);
    const c95 = percentile(capped, 95);
    table.push([
      k.name,
      thousands(sum(totals) / totals.length),
      service.length === http.length ? String(service.length) : `${service.length}/${http.length}`,
      ms(percentile(service, 50)),
      ms(s95),
      ms(percentile(http, 50)),
      ms(h95),
      `${mark(s95)} ${mark(h95)}`,
      capped.length > 0 ? `${ms(c95)} ${mark(c95)}` : '',
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
  console.log(
    `  "what-if" (p95, SQL only, not what the API does today): for a search, the same two statements with the COUNT`,
  );
  console.log(
    `  stopped at ${thousands(CAP + 1)} rows; for an inbox, the open tasks' candidate groups in an index of their own (bench/README.md).\n`,
  );
  printTable(
    ['query', 'matches', 'n', 'svc p50', 'svc p95', 'HTTP p50', 'HTTP p95', '≤50', 'what-if p95'],
    table,
    '  ',
  );
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

/** What-if for a search: the captured statements with the COUNT stopped at CAP + 1 matching rows. */
async function cappedCount(sequelize: Sequelize, statements: string[]): Promise<void> {
  await Promise.all(
    statements.map((sql) =>
      sequelize.query(
        sql.replace(
          /^SELECT COUNT\(\*\) AS n FROM ([\s\S]*)$/,
          `SELECT COUNT(*) AS n FROM (SELECT 1 FROM $1 LIMIT ${CAP + 1}) capped`,
        ),
        { type: QueryTypes.SELECT },
      ),
    ),
  );
}

/**
 * What-if for the inbox: the tasks offered to the user's groups found through an index of the *open* tasks'
 * candidate groups (here the table bench_open_candidate; in the schema it would be task_candidate with the
 * task's state, kept by the task-projection exporter, indexed (group_name, state, user_task_key)), united
 * with the tasks assigned to the user, then joined to task: the same rows and total as task.service inbox
 * for the filters the bench uses (view all, sort, overdue), without probing every open task.
 */
async function openCandidateInbox(
  sequelize: Sequelize,
  p: Principal,
  q: InboxQuery,
  now: number,
): Promise<number> {
  const groups = p.groups.length > 0 ? p.groups : ['-'];
  const keys =
    `SELECT oc.user_task_key AS k FROM bench_open_candidate oc WHERE oc.group_name IN (${groups.map(() => '?').join(', ')})` +
    " UNION SELECT a.user_task_key FROM task a WHERE a.state = 'CREATED' AND a.assignee = ?";
  const where = [`(t.assignee = ? OR t.assignee IS NULL)`];
  const params: unknown[] = [...groups, p.username, p.username];
  if (q.overdue) {
    where.push('t.due_at < ?');
    params.push(now);
  }
  const order =
    q.sort === 'due'
      ? 'CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.user_task_key'
      : 't.created_at DESC, t.user_task_key DESC';
  const from = `(${keys}) x JOIN task t ON t.user_task_key = x.k WHERE ${where.join(' AND ')}`;
  const [rows, count] = await Promise.all([
    sequelize.query(`SELECT t.* FROM ${from} ORDER BY ${order} LIMIT ${q.pageSize}`, {
      replacements: params,
      type: QueryTypes.SELECT,
    }),
    sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${from}`, {
      replacements: params,
      type: QueryTypes.SELECT,
    }),
  ]);
  void rows;
  return Number(count[0].n);
}
