import type { Role } from '../../db/models/user-role.model.ts';
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
 * Which cases a user may see (属地管理): the city centre and auditors and leaders at the city see every case;
 * a town centre its town's; a department or joint team the cases it handles or was offered; a village station
 * its village's and the ones it handles; a grid worker those in their grids and their own reports.
 */
export function caseScope(p: Principal): SqlScope {
  const unit = p.orgUnit;
  if (unit.level === 'city' && unit.kind === 'centre') return { where: '1 = 1', params: [] };
  if (hasRole(p, 'auditor', 'leader') && unit.level === 'city') return { where: '1 = 1', params: [] };
  const offered =
    'EXISTS (SELECT 1 FROM task t JOIN task_candidate tc ON tc.user_task_key = t.user_task_key WHERE t.case_id = c.id AND tc.group_name IN (' +
    p.groups.map(() => '?').join(', ') +
    '))';
  const parts: string[] = [];
  const params: unknown[] = [];
  if (unit.kind === 'centre' && unit.level === 'town') {
    parts.push('c.town_id = ?');
    params.push(unit.id);
  } else if (unit.kind === 'station') {
    parts.push('c.village_id = ?', 'c.handling_unit_id = ?');
    params.push(unit.id, unit.id);
  } else {
    parts.push('c.handling_unit_id = ?');
    params.push(unit.id);
  }
  if (hasRole(p, 'grid_worker') && p.gridIds.length > 0) {
    parts.push(`c.grid_id IN (${p.gridIds.map(() => '?').join(', ')})`);
    params.push(...p.gridIds);
  }
  parts.push('c.created_by = ?');
  params.push(p.userId);
  if (p.groups.length > 0) {
    parts.push(offered);
    params.push(...p.groups);
  }
  return { where: `(${parts.join(' OR ')})`, params };
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
