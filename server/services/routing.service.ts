import { Op } from 'sequelize';
import type { Models } from '../../db/models/index.ts';

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
  const category = await models.Category.findByPk(subject.categoryId);
  const kind = category?.get('departmentKind');
  if (!kind) return null;
  const departments = await models.OrgUnit.findAll({
    where: { departmentKind: kind, kind: { [Op.in]: ['department'] }, active: true },
  });
  const city = departments.filter((d) => d.get('level') === 'city');
  const town = departments.filter((d) => d.get('level') === 'town');
  if (city.length === 1 && town.length === 0)
    return { unitId: city[0].get('id') as number, kind: 'department' };
  return null;
}
