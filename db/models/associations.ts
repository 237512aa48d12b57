import type { Models } from './index.ts';

/** Every association between the domain models, in one place. */
export function associate(m: Models): void {
  m.OrgUnit.belongsTo(m.OrgUnit, { as: 'parent', foreignKey: 'parentId' });
  m.OrgUnit.hasMany(m.OrgUnit, { as: 'children', foreignKey: 'parentId' });
  m.Grid.belongsTo(m.OrgUnit, { as: 'village', foreignKey: 'villageId' });
  m.User.belongsTo(m.OrgUnit, { as: 'orgUnit', foreignKey: 'orgUnitId' });
  m.User.hasMany(m.UserRole, { as: 'roles', foreignKey: 'userId' });
  m.User.hasMany(m.UserGrid, { as: 'grids', foreignKey: 'userId' });
  m.Case.belongsTo(m.Category, { as: 'category', foreignKey: 'categoryId' });
  m.Case.belongsTo(m.Grid, { as: 'grid', foreignKey: 'gridId' });
  m.Case.belongsTo(m.OrgUnit, { as: 'town', foreignKey: 'townId' });
  m.Case.belongsTo(m.OrgUnit, { as: 'village', foreignKey: 'villageId' });
  m.Case.hasMany(m.Attachment, { as: 'attachments', foreignKey: 'caseId' });
}
