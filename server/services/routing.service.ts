import type { Models } from '../../db/models/index.ts';
import { directSql } from '../../db/sequelize-sql.ts';
import { categoryById } from './category-cache.ts';

/** Where a rule sends a case, when it is certain. */
export interface Route {
  unitId: number;
  kind: 'town' | 'department';
}

/**
 * 自动分拨: a case is routed without a dispatcher only when the rule is certain. It is certain when the
 * category's remit belongs to exactly one city department and no town has a department of that remit
 * (utilities, police, transport: nobody else can take it). Everything else — remits shared between the
 * city and the towns, unlocated cases, cases without a category — goes to the city dispatcher.
 */
export async function autoRoute(
  models: Models,
  subject: { categoryId: number | null; townId: number | null },
): Promise<Route | null> {
  if (subject.categoryId == null || subject.townId == null) return null;
  const category = await categoryById(models, subject.categoryId);
  const kind = category?.departmentKind;
  if (!kind) return null;
  const departments = await directSql(models.OrgUnit.sequelize!).all<{ id: number | string; level: string }>(
    "SELECT id, level FROM org_unit WHERE department_kind = ? AND kind = 'department' AND active = ?",
    [kind, 1],
  );
  const city = departments.filter((d) => d.level === 'city');
  const town = departments.filter((d) => d.level === 'town');
  if (city.length === 1 && town.length === 0) return { unitId: Number(city[0].id), kind: 'department' };
  return null;
}
