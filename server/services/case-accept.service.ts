import type { Sequelize } from 'sequelize';
import { NotFoundError } from '../../common/errors.ts';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import type { Models } from '../../db/models/index.ts';
import { type TxSql, rowsOf } from '../../db/row-store.ts';
import { findDuplicate } from './duplicate.service.ts';
import { locatePoint } from './locate.service.ts';
import { updateCase } from './scope.service.ts';
import { categoryById } from './category-cache.ts';

/** What 受理 found out about a case. */
export interface Acceptance {
  located: boolean;
  gridId: number | null;
  villageId: number | null;
  townId: number | null;
  duplicateOf: number | null;
  /** The category's accept limit (working minutes). */
  acceptLimitMin: number;
}

/**
 * 受理: locates the case to its grid, village and town when it has a point and no grid yet, and looks for an
 * open duplicate. An unlocated case is accepted too (the city centre locates it by hand). With `sql`, the case
 * row is written there (the job completion's transaction).
 */
export async function acceptCase(
  sequelize: Sequelize,
  models: Models,
  caseId: number,
  options: { duplicateRadiusM: number; duplicateWindowHours: number },
  sql?: TxSql,
): Promise<Acceptance> {
  const cases = rowsOf<CaseAttributes>(models.Case);
  const c = await cases.get(caseId, sql);
  if (!c) throw new NotFoundError('CASE_NOT_FOUND', `No case with id ${caseId}`);
  let { gridId, villageId, townId } = c;
  if (gridId == null && c.lng != null && c.lat != null) {
    const day = new Date(c.acceptedAt ?? Date.now()).toISOString().slice(0, 10);
    const found = await locatePoint(sequelize, c.lng, c.lat, day);
    if (found) ({ gridId, villageId, townId } = found);
  }
  const duplicateOf = await findDuplicate(
    sequelize,
    { id: c.id, categoryId: c.categoryId, lng: c.lng, lat: c.lat, acceptedAt: c.acceptedAt ?? Date.now() },
    { radiusM: options.duplicateRadiusM, windowHours: options.duplicateWindowHours },
  );
  await updateCase(
    models,
    c,
    { gridId, villageId, townId, status: c.status === 'new' ? 'accepted' : c.status },
    sql,
  );
  const category = c.categoryId ? await categoryById(models, c.categoryId) : null;
  const acceptLimitMin = Number(category?.limitAcceptMin ?? 10);
  return { located: gridId != null, gridId, villageId, townId, duplicateOf, acceptLimitMin };
}

/** 合并: marks a case as a duplicate of another (all reporters get the other case's answer). */
export async function mergeCase(
  models: Models,
  caseId: number,
  intoCaseId: number,
  now: number,
  sql?: TxSql,
): Promise<void> {
  const cases = rowsOf<CaseAttributes>(models.Case);
  const c = await cases.get(caseId, sql);
  if (!c) throw new NotFoundError('CASE_NOT_FOUND', `No case with id ${caseId}`);
  await updateCase(
    models,
    c,
    { status: 'merged', duplicateOfId: intoCaseId, closedAt: c.closedAt ?? now },
    sql,
  );
}
