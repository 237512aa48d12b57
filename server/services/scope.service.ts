import type { Role } from '../../db/models/user-role.model.ts';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import type { Models } from '../../db/models/index.ts';
import { type WriteSql, rowsOf } from '../../db/row-store.ts';
import { directSql } from '../../db/sequelize-sql.ts';
import type { Principal } from './auth.service.ts';

/** A WHERE fragment on `cases c` and its parameters. */
export interface SqlScope {
  where: string;
  params: unknown[];
}

/** True when the principal holds one of the roles. */
export function hasRole(p: Principal, ...roles: Role[]): boolean {
  return roles.some((r) => p.roles.includes(r));
}

/**
 * Which cases a user may see (属地管理), as the branches of an OR, each a WHERE fragment on `cases c` that an
 * index ending in (accepted_at, id) serves (migration 0008), or null when the user sees every case: the city
 * centre and auditors and leaders at the city. A town centre sees its town's cases; a village station its
 * village's and the ones it handles; a department or joint team the ones it handles; a grid worker those in
 * their grids; everyone the cases they filed and every case a task of which was offered to their unit.
 */
export function caseScopeBranches(p: Principal): SqlScope[] | null {
  const unit = p.orgUnit;
  if (unit.level === 'city' && unit.kind === 'centre') return null;
  if (hasRole(p, 'auditor', 'leader') && unit.level === 'city') return null;
  const branches: SqlScope[] = [];
  if (unit.kind === 'centre' && unit.level === 'town') {
    branches.push({ where: 'c.town_id = ?', params: [unit.id] });
  } else if (unit.kind === 'station') {
    branches.push({ where: 'c.village_id = ?', params: [unit.id] });
    branches.push({ where: 'c.handling_unit_id = ?', params: [unit.id] });
  } else {
    branches.push({ where: 'c.handling_unit_id = ?', params: [unit.id] });
  }
  if (hasRole(p, 'grid_worker') && p.gridIds.length > 0) {
    branches.push({ where: `c.grid_id IN (${p.gridIds.map(() => '?').join(', ')})`, params: [...p.gridIds] });
  }
  branches.push({ where: 'c.created_by = ?', params: [p.userId] });
  branches.push({ where: OFFERED_TO_UNIT, params: [unit.id] });
  return branches;
}

/** "A task of the case was offered to my unit": `case_party`, kept by the task-projection exporter. */
export const OFFERED_TO_UNIT = 'c.id IN (SELECT cp.case_id FROM case_party cp WHERE cp.unit_id = ?)';

/**
 * Updates a case's row (only what changed from `current`) and, when its status changes, the copies of it
 * beside the units it was offered to (`case_party.status`, migration 0010: the search's "my unit's cases with
 * this status" reads them), on the same SQL. Every change of a case's status goes through here.
 */
export async function updateCase(
  models: Models,
  current: CaseAttributes,
  patch: Partial<CaseAttributes>,
  sql?: WriteSql,
): Promise<void> {
  await rowsOf<CaseAttributes>(models.Case).update(current.id, patch, current, sql);
  if (patch.status !== undefined && patch.status !== current.status) {
    await (sql ?? directSql(models.Case.sequelize!)).run(
      'UPDATE case_party SET status = ? WHERE case_id = ?',
      [patch.status, current.id],
    );
  }
}

/** The scope as one WHERE fragment on `cases c` (for a few rows: a case's detail, its attachments). */
export function caseScope(p: Principal): SqlScope {
  const branches = caseScopeBranches(p);
  if (!branches) return { where: '1 = 1', params: [] };
  return {
    where: `(${branches.map((b) => b.where).join(' OR ')})`,
    params: branches.flatMap((b) => b.params),
  };
}

/** True when the case (a row with its place and handler) is in the user's scope, checked without SQL. */
export function canSeeCase(
  p: Principal,
  c: {
    id: number;
    townId: number | null;
    villageId: number | null;
    gridId: number | null;
    handlingUnitId: number | null;
    createdBy: number | null;
  },
  offeredToMe: boolean,
): boolean {
  const unit = p.orgUnit;
  if (unit.level === 'city' && (unit.kind === 'centre' || hasRole(p, 'auditor', 'leader'))) return true;
  if (c.createdBy === p.userId || offeredToMe) return true;
  if (unit.kind === 'centre' && unit.level === 'town') return c.townId === unit.id;
  if (unit.kind === 'station' && (c.villageId === unit.id || c.handlingUnitId === unit.id)) return true;
  if (hasRole(p, 'grid_worker') && c.gridId != null && p.gridIds.includes(c.gridId)) return true;
  return c.handlingUnitId === unit.id;
}
