import { ManualClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logger.ts';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import { type Models, defineModels } from '../../db/models/index.ts';
import { type SeedSummary, seedDemo } from '../../db/seed/demo-seed.ts';
import type { JobOutcome } from '../../engine/job-worker.ts';
import type { JobContext, WorkerDefinition } from '../../workers/define-worker.ts';
import { locatePoint } from '../../server/services/locate.service.ts';
import type { WorkerDeps } from '../../workers/deps.ts';
import { createWorkers } from '../../workers/index.ts';
import { sequelizeSql } from '../../db/sequelize-sql.ts';
import { type TestDatabase, openTestDatabase } from './database.ts';

/**
 * One worker on a seeded database, without the engine: the test hands it a job as the runner would (input
 * parsed by the worker's own schema) and reads what it wrote. Workers must be idempotent, so tests run the
 * same job twice.
 */
export interface WorkerWorld {
  db: TestDatabase;
  models: Models;
  clock: ManualClock;
  seed: SeedSummary;
  deps: WorkerDeps;
  /** Runs the registered worker of this type on a job with these variables and headers. */
  run(
    type: string,
    variables: Record<string, unknown>,
    job?: Partial<JobContext>,
  ): Promise<JobOutcome & { variables?: Record<string, unknown> }>;
  /** Inserts a case as intake leaves it (status new, no place yet unless given). */
  insertCase(attrs?: Partial<CaseAttributes>): Promise<number>;
  /** The case row. */
  caseRow(id: number): Promise<CaseAttributes>;
  /** A point inside a demo grid (its centroid), with that grid's place. */
  pointInGrid(): Promise<{ lng: number; lat: number; gridId: number; villageId: number; townId: number }>;
  /** An org unit id by attributes. */
  unit(where: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

let jobSeq = 1000;

/** Creates a worker world. */
export async function createWorkerWorld(): Promise<WorkerWorld> {
  const db = await openTestDatabase();
  const models = defineModels(db.sequelize);
  // Nobody signs in here: the seed only needs a string where the hash goes.
  const seed = await seedDemo(models, { passwordHash: 'not-a-hash: worker tests do not sign in' });
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 1, 0, 0));
  const deps: WorkerDeps = {
    sequelize: db.sequelize,
    models,
    clock,
    log: silentLogger,
    settings: { duplicateRadiusM: 250, duplicateWindowHours: 72, bounceLimit: 2 },
  };
  const workers = new Map<string, WorkerDefinition>(createWorkers(deps).map((w) => [w.type, w]));
  let caseSeq = 0;
  const world: WorkerWorld = {
    db,
    models,
    clock,
    seed,
    deps,
    async run(type, variables, job = {}) {
      const w = workers.get(type);
      if (!w) throw new Error(`no worker ${type}`);
      const input = w.input.parse(variables);
      const outcome = (await w.handler(input, {
        key: job.key ?? String(++jobSeq),
        processInstanceKey: job.processInstanceKey ?? '1',
        elementId: job.elementId ?? type,
        headers: job.headers ?? {},
        retries: job.retries ?? 3,
        worker: job.worker ?? 'test',
      })) as JobOutcome & { variables?: Record<string, unknown> };
      // A completion's own writes (`within`) run as the engine runs them: in a transaction, their variables
      // merged into the completion's.
      if (outcome.kind === 'complete' && outcome.within) {
        const within = outcome.within;
        const extra = await db.sequelize.transaction(async (transaction) =>
          within({ transaction, sql: sequelizeSql(db.sequelize, transaction) }),
        );
        return { kind: 'complete', variables: { ...outcome.variables, ...(extra ?? {}) } };
      }
      return outcome;
    },
    async insertCase(attrs = {}) {
      caseSeq++;
      const row = await models.Case.create({
        caseNo: `T${String(caseSeq).padStart(6, '0')}`,
        source: 'hotline',
        sourceTicketId: null,
        reporterName: '张三',
        reporterPhone: '13800138000',
        description: '路灯不亮',
        address: null,
        lng: null,
        lat: null,
        gridId: null,
        villageId: null,
        townId: null,
        categoryId: null,
        urgency: 'normal',
        status: 'new',
        majorEmergency: false,
        processInstanceKey: null,
        duplicateOfId: null,
        handlingUnitId: null,
        satisfaction: null,
        acceptedAt: clock.now(),
        registeredAt: null,
        dispatchedAt: null,
        handledAt: null,
        verifiedAt: null,
        closedAt: null,
        voidedAt: null,
        handleDueAt: null,
        dueAt: null,
        createdBy: null,
        ...attrs,
      } as CaseAttributes);
      return row.get('id') as number;
    },
    async caseRow(id) {
      return (await models.Case.findByPk(id))!.get({ plain: true }) as CaseAttributes;
    },
    async pointInGrid() {
      for (const g of await models.Grid.findAll({ order: [['id', 'ASC']], limit: 40 })) {
        const ring = (JSON.parse(g.get('geometry') as string) as { coordinates: number[][][][] })
          .coordinates[0][0];
        const lng = ring.slice(0, -1).reduce((sum, p) => sum + p[0], 0) / (ring.length - 1);
        const lat = ring.slice(0, -1).reduce((sum, p) => sum + p[1], 0) / (ring.length - 1);
        const found = await locatePoint(db.sequelize, lng, lat, '2026-03-02');
        if (found && found.gridId === g.get('id')) return { lng, lat, ...found };
      }
      throw new Error('no grid centroid found');
    },
    async unit(where) {
      const u = await models.OrgUnit.findOne({ where, order: [['id', 'ASC']] });
      if (!u) throw new Error(`no org unit ${JSON.stringify(where)}`);
      return u.get('id') as number;
    },
    close: () => db.close(),
  };
  return world;
}
