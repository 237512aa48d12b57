import { QueryTypes, type Sequelize } from 'sequelize';
import { NotFoundError } from '../../common/errors.ts';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import type { Models } from '../../db/models/index.ts';
import { type TxSql, rowsOf } from '../../db/row-store.ts';
import { categoryById } from './category-cache.ts';

/** The counters the process carried. */
export interface AssessmentInput {
  caseId: number;
  returnCount?: number;
  reworkCount?: number;
  reopenCount?: number;
  extensionCount?: number;
  supervisedCount?: number;
  satisfaction?: string | null;
}

/** The facts of one case (考核), as stored in case_assessment. */
export interface AssessmentFacts {
  caseId: number;
  townId: number | null;
  handlingUnitId: number | null;
  categoryId: number | null;
  dispatchedOnTime: boolean | null;
  handledOnTime: boolean | null;
  closedOnTime: boolean | null;
  returned: number;
  reworked: number;
  extended: number;
  reopened: number;
  supervised: number;
  satisfaction: string | null;
  firstTimeResolved: boolean | null;
  outcome: string;
  month: string;
}

/**
 * Writes the per-case assessment facts when a case ends: on time per stage, returned, reworked, extended,
 * reopened, satisfaction. Upserts, so a job worked twice writes the same row. With `sql`, in that transaction
 * (the job completion's).
 */
export async function assessCase(
  sequelize: Sequelize,
  models: Models,
  input: AssessmentInput,
  now: number,
  sql?: TxSql,
): Promise<AssessmentFacts> {
  const cases = rowsOf<CaseAttributes>(models.Case);
  const c = await cases.get(input.caseId, sql);
  if (!c) throw new NotFoundError('CASE_NOT_FOUND', `No case with id ${input.caseId}`);
  const category = c.categoryId ? await categoryById(models, c.categoryId) : null;
  const dispatchLimit = Number(category?.limitDispatchMin ?? 30) * 60_000;
  const closeLimit = Number(category?.limitCloseMin ?? 30) * 60_000;
  const ended = c.closedAt ?? c.voidedAt ?? now;
  const facts: AssessmentFacts = {
    caseId: c.id,
    townId: c.townId,
    handlingUnitId: c.handlingUnitId,
    categoryId: c.categoryId,
    dispatchedOnTime:
      c.dispatchedAt != null && c.registeredAt != null
        ? c.dispatchedAt - c.registeredAt <= dispatchLimit
        : null,
    handledOnTime: c.handledAt != null && c.handleDueAt != null ? c.handledAt <= c.handleDueAt : null,
    closedOnTime: c.closedAt != null && c.verifiedAt != null ? c.closedAt - c.verifiedAt <= closeLimit : null,
    returned: input.returnCount ?? 0,
    reworked: input.reworkCount ?? 0,
    extended: input.extensionCount ?? 0,
    reopened: input.reopenCount ?? 0,
    supervised: input.supervisedCount ?? 0,
    satisfaction: input.satisfaction ?? c.satisfaction ?? null,
    firstTimeResolved:
      c.status === 'closed' ? (input.reworkCount ?? 0) === 0 && (input.reopenCount ?? 0) === 0 : null,
    outcome: c.status,
    month: new Date(ended).toISOString().slice(0, 7),
  };
  if (facts.satisfaction && facts.satisfaction !== c.satisfaction) {
    await cases.update(
      c.id,
      { satisfaction: facts.satisfaction as CaseAttributes['satisfaction'] },
      undefined,
      sql,
    );
  }
  const columns = [
    'case_id',
    'town_id',
    'handling_unit_id',
    'category_id',
    'dispatched_on_time',
    'handled_on_time',
    'closed_on_time',
    'returned',
    'reworked',
    'extended',
    'reopened',
    'supervised',
    'satisfaction',
    'first_time_resolved',
    'outcome',
    'assessed_at',
    'month',
  ];
  const values = [
    facts.caseId,
    facts.townId,
    facts.handlingUnitId,
    facts.categoryId,
    bool(facts.dispatchedOnTime),
    bool(facts.handledOnTime),
    bool(facts.closedOnTime),
    facts.returned,
    facts.reworked,
    facts.extended,
    facts.reopened,
    facts.supervised,
    facts.satisfaction,
    bool(facts.firstTimeResolved),
    facts.outcome,
    now,
    facts.month,
  ];
  const sqlite = sequelize.getDialect() === 'sqlite';
  const update = columns
    .slice(1)
    .map((col) => (sqlite ? `${col} = excluded.${col}` : `${col} = VALUES(${col})`))
    .join(', ');
  const text = `INSERT INTO case_assessment (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ${
    sqlite ? `ON CONFLICT(case_id) DO UPDATE SET ${update}` : `ON DUPLICATE KEY UPDATE ${update}`
  }`;
  if (sql) await sql.run(text, values);
  else await sequelize.query(text, { replacements: values, type: QueryTypes.INSERT });
  return facts;
}

function bool(v: boolean | null): number | null {
  return v == null ? null : v ? 1 : 0;
}
