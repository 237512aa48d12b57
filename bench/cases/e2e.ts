import { performance } from 'node:perf_hooks';
import { QueryTypes, type Sequelize } from 'sequelize';
import { type MultiPolygonCoordinates, pointInMultiPolygon } from '../../server/services/geo.ts';
import { autoRoute } from '../../server/services/routing.service.ts';
import type { Models } from '../../db/models/index.ts';
import { Samples, ms, percentile, printTable, random } from './stats.ts';
import { type RunningSystem, call } from './system.ts';

/** Part 1 options. */
export interface E2eOptions {
  cases: number;
  concurrency: number;
  warmup: number;
}

/** One user task of the walk: who finds it in their inbox and how they complete it. */
interface Step {
  elementId: string;
  user: string;
  action: string;
  variables: Record<string, unknown>;
}

/** What one driver needs to walk one case. */
interface CasePlan {
  ticket: string;
  intake: Record<string, unknown>;
  townId: number;
  categoryId: number;
  steps: Step[];
}

interface InboxItem {
  userTaskKey: string;
  elementId: string;
  caseId: number | null;
}

interface GridPoint {
  gridId: number;
  townId: number;
  lng: number;
  lat: number;
  worker: string;
}

/**
 * The straight-through path of docs/case-lifecycle.md for a hotline case: 受理 (case-accept) → 受理立案
 * (register) → 自动分拨 (case-route: the category's remit belongs to exactly one city department, so the
 * rule is certain and 一级/二级分拨 are skipped) → 处置 (handle, by that department) → 核查 (verify, by the
 * grid's worker) → 结案 (close) → 回访 (callback: hotline cases are called back) → 考核 (case-assess).
 * Five user tasks; the walk of test/server/api-walk.test.ts adds 一级 and 二级分拨 (seven).
 */
async function planCases(
  sequelize: Sequelize,
  models: Models,
  count: number,
  prefix: string,
  offset: number,
): Promise<CasePlan[]> {
  const categories = await sequelize.query<{ id: number; code: string; name: string }>(
    "SELECT id, code, name FROM category WHERE level = 'minor' AND active = ? ORDER BY code",
    { replacements: [true], type: QueryTypes.SELECT },
  );
  const routed: { id: number; code: string; name: string; handler: string }[] = [];
  const handlers = await sequelize.query<{ username: string; org_unit_id: number }>(
    "SELECT u.username, u.org_unit_id FROM app_user u JOIN user_role r ON r.user_id = u.id WHERE r.role = 'handler'",
    { type: QueryTypes.SELECT },
  );
  for (const c of categories) {
    // The real routing rule (any located case: the rule looks at the category only).
    const route = await autoRoute(models, { categoryId: c.id, townId: 0 });
    if (route?.kind !== 'department') continue;
    const handler = handlers.find((h) => Number(h.org_unit_id) === route.unitId);
    if (handler) routed.push({ ...c, handler: handler.username });
  }
  if (routed.length === 0) throw new Error('No category is routed automatically: the straight path is gone');

  const grids = await sequelize.query<{ id: number; geometry: string; town_id: number; username: string }>(
    `SELECT g.id, g.geometry, v.parent_id AS town_id, u.username
       FROM grid g JOIN org_unit v ON v.id = g.village_id
       JOIN user_grid ug ON ug.grid_id = g.id JOIN app_user u ON u.id = ug.user_id
      ORDER BY g.id`,
    { type: QueryTypes.SELECT },
  );
  const rnd = random(20261128);
  const points: GridPoint[] = grids.map((g) => {
    const polygons = (JSON.parse(g.geometry) as { coordinates: MultiPolygonCoordinates }).coordinates;
    const ring = polygons[0][0].slice(0, -1);
    let lng = ring.reduce((s, p) => s + p[0], 0) / ring.length;
    let lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    while (!pointInMultiPolygon(lng, lat, polygons)) {
      lng = Math.min(...xs) + rnd() * (Math.max(...xs) - Math.min(...xs));
      lat = Math.min(...ys) + rnd() * (Math.max(...ys) - Math.min(...ys));
    }
    return { gridId: Number(g.id), townId: Number(g.town_id), lng, lat, worker: g.username };
  });

  const plans: CasePlan[] = [];
  for (let n = 0; n < count; n++) {
    const i = n + offset;
    // Grid centres are ~1 km apart and every in-flight case has another grid or another 小类, so no case
    // is a duplicate (合并) of another: every case walks the whole loop.
    const category = routed[i % routed.length];
    const point = points[(i * 7) % points.length];
    const city = 'city.dispatcher';
    plans.push({
      ticket: `${prefix}-${String(i).padStart(6, '0')}`,
      townId: point.townId,
      categoryId: category.id,
      intake: {
        source: 'hotline_12345',
        sourceTicketId: `${prefix}-${String(i).padStart(6, '0')}`,
        reporterName: '王先生',
        reporterPhone: `138${String(10_000_000 + i).slice(-8)}`,
        description: `市民来电反映：${category.name}问题，位置在网格中心附近，请尽快处理（压测 ${i}）`,
        lng: point.lng,
        lat: point.lat,
        categoryCode: category.code,
      },
      steps: [
        {
          elementId: 'register',
          user: city,
          action: 'register',
          variables: { categoryCode: category.code, urgency: 'normal', majorEmergency: false },
        },
        {
          elementId: 'handle',
          user: category.handler,
          action: 'complete',
          variables: { handleResult: '已现场处置完毕' },
        },
        {
          elementId: 'verify',
          user: point.worker,
          action: 'pass',
          variables: { verifyResult: 'pass', verifyNote: '现场已核实' },
        },
        { elementId: 'close', user: city, action: 'close', variables: { closeConditionMet: true } },
        {
          elementId: 'callback',
          user: city,
          action: 'record',
          variables: { satisfaction: 'satisfied', callbackNote: '市民表示满意' },
        },
      ],
    });
  }
  return plans;
}

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));

/** Counters of one run. */
interface RunCounters {
  emptyPolls: number;
  pagesRead: number;
  requests: number;
}

/**
 * Finds the case's task in the user's inbox as a dispatcher would: filtered by the case's town, 小类 and
 * source (the filters GET /api/tasks offers), newest first, paging on until the list ends; if the task is
 * not there yet (the workers are still moving the case on), polls again with a short back-off.
 */
async function findTask(
  sys: RunningSystem,
  headers: Record<string, string>,
  plan: CasePlan,
  caseId: number,
  elementId: string,
  samples: Samples,
  counters: RunCounters,
): Promise<InboxItem> {
  const pageSize = 50;
  const filter = `townId=${plan.townId}&categoryId=${plan.categoryId}&source=hotline_12345&sort=created&pageSize=${pageSize}`;
  const deadline = performance.now() + 60_000;
  let backoff = 2;
  for (;;) {
    for (let page = 1; ; page++) {
      const res = await call<{ items: InboxItem[] }>(
        sys.baseUrl,
        headers,
        'GET',
        `/api/tasks?${filter}&page=${page}`,
      );
      samples.add('inbox', res.ms);
      counters.requests++;
      counters.pagesRead++;
      if (res.status !== 200) throw new Error(`inbox: ${res.status} ${JSON.stringify(res.body)}`);
      const item = res.body.items.find((t) => t.caseId === caseId && t.elementId === elementId);
      if (item) return item;
      if (res.body.items.length < pageSize) break;
    }
    counters.emptyPolls++;
    if (performance.now() > deadline)
      throw new Error(`case ${caseId}: no ${elementId} task in the inbox after 60 s (a worker stuck?)`);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 50);
  }
}

async function walk(
  sys: RunningSystem,
  sessions: Map<string, Record<string, string>>,
  plan: CasePlan,
  samples: Samples,
  counters: RunCounters,
): Promise<void> {
  const filed = await call<{ case: { id: number }; created: boolean }>(
    sys.baseUrl,
    sessions.get('city.dispatcher')!,
    'POST',
    '/api/cases',
    plan.intake,
  );
  samples.add('intake', filed.ms);
  counters.requests++;
  if (filed.status !== 201) throw new Error(`intake: ${filed.status} ${JSON.stringify(filed.body)}`);
  const caseId = filed.body.case.id;
  for (const step of plan.steps) {
    const headers = sessions.get(step.user)!;
    const item = await findTask(sys, headers, plan, caseId, step.elementId, samples, counters);
    const claim = await call(sys.baseUrl, headers, 'POST', `/api/tasks/${item.userTaskKey}/claim`);
    samples.add('claim', claim.ms);
    counters.requests++;
    if (claim.status !== 204)
      throw new Error(`claim ${step.elementId}: ${claim.status} ${JSON.stringify(claim.body)}`);
    const done = await call(sys.baseUrl, headers, 'POST', `/api/tasks/${item.userTaskKey}/complete`, {
      action: step.action,
      variables: step.variables,
    });
    samples.add('complete', done.ms);
    samples.add(`complete ${step.elementId}`, done.ms);
    counters.requests++;
    if (done.status !== 204)
      throw new Error(`complete ${step.elementId}: ${done.status} ${JSON.stringify(done.body)}`);
  }
}

async function runDrivers(
  sys: RunningSystem,
  sessions: Map<string, Record<string, string>>,
  plans: CasePlan[],
  concurrency: number,
  samples: Samples,
  counters: RunCounters,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  const driver = async (): Promise<void> => {
    while (next < plans.length) await walk(sys, sessions, plans[next++], samples, counters);
  };
  await Promise.all(Array.from({ length: concurrency }, driver));
  return (performance.now() - start) / 1000;
}

/** Waits until every case of the run has ended (its 考核 row written) or 60 s pass. */
async function waitForEnd(sequelize: Sequelize, prefix: string, count: number): Promise<number> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const [{ n }] = await sequelize.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM case_assessment a JOIN cases c ON c.id = a.case_id WHERE c.source_ticket_id LIKE ?',
      { replacements: [`${prefix}-%`], type: QueryTypes.SELECT },
    );
    if (Number(n) >= count || performance.now() > deadline) return Number(n);
    await sleep(50);
  }
}

/** Part 1: N hotline cases walked to closed over HTTP by C drivers; prints throughput and latency. */
export async function runEndToEnd(
  sys: RunningSystem,
  sequelize: Sequelize,
  options: E2eOptions,
): Promise<{ closedPerSecond: number }> {
  const run = `R${Date.now().toString(36).toUpperCase()}`;
  const warm = await planCases(sequelize, sys.models, options.warmup, `${run}-W`, 0);
  const plans = await planCases(sequelize, sys.models, options.cases, `${run}-T`, options.warmup);
  const users = new Set<string>(['city.dispatcher']);
  for (const p of [...warm, ...plans]) for (const s of p.steps) users.add(s.user);
  const sessions = new Map<string, Record<string, string>>();
  const signStart = performance.now();
  for (const u of users) sessions.set(u, await sys.signIn(u));
  console.log(
    `  ${users.size} users signed in once each (${((performance.now() - signStart) / 1000).toFixed(1)} s, not timed); ` +
      `${new Set(plans.map((p) => p.categoryId)).size} auto-routed 小类, ${new Set(plans.map((p) => p.steps[2].user)).size} grids`,
  );

  const samples = new Samples();
  const counters: RunCounters = { emptyPolls: 0, pagesRead: 0, requests: 0 };
  if (warm.length > 0) {
    await runDrivers(sys, sessions, warm, options.concurrency, samples, counters);
    await waitForEnd(sequelize, `${run}-W`, warm.length);
    samples.clear();
    Object.assign(counters, { emptyPolls: 0, pagesRead: 0, requests: 0 });
  }

  const cpu0 = process.cpuUsage();
  const seconds = await runDrivers(sys, sessions, plans, options.concurrency, samples, counters);
  const cpu = process.cpuUsage(cpu0);
  const ended = await waitForEnd(sequelize, `${run}-T`, plans.length);

  const statuses = await sequelize.query<{ status: string; n: number }>(
    'SELECT status, COUNT(*) AS n FROM cases WHERE source_ticket_id LIKE ? GROUP BY status ORDER BY status',
    { replacements: [`${run}-T-%`], type: QueryTypes.SELECT },
  );
  const closed = Number(statuses.find((s) => s.status === 'closed')?.n ?? 0);
  const incidents = await sequelize.query<{ state: string; type: string; n: number }>(
    'SELECT state, type, COUNT(*) AS n FROM engine_incident GROUP BY state, type',
    { type: QueryTypes.SELECT },
  );
  const closedPerSecond = closed / seconds;
  const tasks = plans.length * plans[0].steps.length;

  console.log(
    `\n  closed cases/s     ${closedPerSecond.toFixed(1)}   (${closed} of ${plans.length} cases closed in ${seconds.toFixed(2)} s; target ≥ 50: ${closedPerSecond >= 50 ? '✓' : '✗'})`,
  );
  console.log(
    `  instances ended    ${ended} of ${plans.length} (考核 written); statuses: ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}`,
  );
  console.log(
    `  incidents          ${incidents.length === 0 ? 'none' : incidents.map((i) => `${i.state} ${i.type} ${i.n}`).join(', ')}`,
  );
  console.log(
    `  HTTP requests      ${counters.requests} (${(counters.requests / seconds).toFixed(0)}/s); inbox pages read ${counters.pagesRead} for ${tasks} tasks, ` +
      `${counters.emptyPolls} polls found the task not there yet (the workers still moving the case on)`,
  );
  console.log(
    `  CPU of this process ${((cpu.user + cpu.system) / 1000 / plans.length).toFixed(1)} ms per case (server, engine, workers and drivers share it)`,
  );
  console.log('\n  API latency per call (ms, client side, in-process server)');
  const rows = samples.names().map((name) => {
    const list = samples.get(name);
    return [
      name,
      String(list.length),
      ms(percentile(list, 50)),
      ms(percentile(list, 95)),
      ms(percentile(list, 99)),
      ms(Math.max(...list)),
    ];
  });
  printTable(['call', 'count', 'p50', 'p95', 'p99', 'max'], rows, '    ');
  return { closedPerSecond };
}
