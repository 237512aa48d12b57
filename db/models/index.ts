import type { Sequelize } from 'sequelize';
import { associate } from './associations.ts';
import { type AttachmentModel, defineAttachment } from './attachment.model.ts';
import { type CaseModel, defineCase } from './case.model.ts';
import { type CategoryModel, defineCategory } from './category.model.ts';
import { type GridModel, defineGrid } from './grid.model.ts';
import { type OrgUnitModel, defineOrgUnit } from './org-unit.model.ts';
import { type UserGridModel, defineUserGrid } from './user-grid.model.ts';
import { type UserRoleModel, defineUserRole } from './user-role.model.ts';
import { type UserModel, defineUser } from './user.model.ts';

/** The domain models bound to one connection (models are per connection, never global). */
export interface Models {
  OrgUnit: OrgUnitModel;
  Grid: GridModel;
  User: UserModel;
  UserRole: UserRoleModel;
  UserGrid: UserGridModel;
  Category: CategoryModel;
  Case: CaseModel;
  Attachment: AttachmentModel;
}

/** Defines every domain model on a connection and wires their associations. */
export function defineModels(sequelize: Sequelize): Models {
  const models: Models = {
    OrgUnit: defineOrgUnit(sequelize),
    Grid: defineGrid(sequelize),
    User: defineUser(sequelize),
    UserRole: defineUserRole(sequelize),
    UserGrid: defineUserGrid(sequelize),
    Category: defineCategory(sequelize),
    Case: defineCase(sequelize),
    Attachment: defineAttachment(sequelize),
  };
  associate(models);
  return models;
}
