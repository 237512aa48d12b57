import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { QueryTypes, type Sequelize } from 'sequelize';
import { type MultiPolygonCoordinates, pointInMultiPolygon } from '../../server/services/geo.ts';
import { autoRoute } from '../../server/services/routing.service.ts';
import type { Models } from '../../db/models/index.ts';
import { SqlTiming, startProfiler } from './instruments.ts';
import type { CasePlan, DriverReply, DriverRun } from './drivers.ts';
import { Samples, ms, percentile, printTable, random } from './stats.ts';
import type { RunningSystem } from './system.ts';

/** Part 1 options. */
export interface E2eOptions {
  cases: number;
  concurrency: number;
  warmup: number;
  /** Where to write a V8 CPU profile of this thread over the timed run (none when absent). */
  cpuProfile?: string;
  /** Time every SQLite statement of the timed run and print them (SQLite only). */
  sqlTiming?: boolean;
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

/** The drivers' process (bench/cases/drivers.ts): one run at a time. */
function forkDrivers(): { run(run: DriverRun): Promise<Extract<DriverReply, { ok: true }>>; close(): void } {
  const child = fork(new URL('./drivers.ts', import.meta.url), [], {
    execArgv: ['--import=tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    run: (run) =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null): void =>
          reject(new Error(`the drivers' process exited (${code})`));
        child.once('exit', onExit);
        child.once('message', (reply: DriverReply) => {
          child.off('exit', onExit);
          if (reply.ok) resolve(reply);
          else reject(new Error(`drivers: ${reply.error}`));
        });
        child.send(run);
      }),
    close: () => child.disconnect(),
  };
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

  const sqlTiming = options.sqlTiming ? new SqlTiming() : undefined;
  const drivers = forkDrivers();
  let result: Extract<DriverReply, { ok: true }>;
  let cpu: NodeJS.CpuUsage;
  let elu0: ReturnType<typeof performance.eventLoopUtilization>;
  let elu: number;
  try {
    const sessionList = [...sessions];
    if (warm.length > 0) {
      await drivers.run({
        baseUrl: sys.baseUrl,
        sessions: sessionList,
        plans: warm,
        concurrency: options.concurrency,
      });
      await waitForEnd(sequelize, `${run}-W`, warm.length);
    }
    const profiler = options.cpuProfile ? await startProfiler() : undefined;
    sqlTiming?.start();
    const cpu0 = process.cpuUsage();
    elu0 = performance.eventLoopUtilization();
    result = await drivers.run({
      baseUrl: sys.baseUrl,
      sessions: sessionList,
      plans,
      concurrency: options.concurrency,
    });
    cpu = process.cpuUsage(cpu0);
    elu = performance.eventLoopUtilization(elu0).utilization;
    sqlTiming?.stop();
    await profiler?.stopTo(options.cpuProfile!);
  } finally {
    drivers.close();
  }
  const { seconds, counters } = result;
  const samples = new Samples();
  for (const [name, list] of result.samples) for (const v of list) samples.add(name, v);
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
    `  CPU per case       server ${((cpu.user + cpu.system) / 1000 / plans.length).toFixed(1)} ms (Express, engine, workers, exporters: one process, its event loop busy ${(elu * 100).toFixed(0)} %); ` +
      `drivers ${(result.cpuMs / plans.length).toFixed(1)} ms (their own process)`,
  );
  console.log("\n  API latency per call (ms, client side: the drivers' process over loopback)");
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
  sqlTiming?.print(plans.length);
  return { closedPerSecond };
}
