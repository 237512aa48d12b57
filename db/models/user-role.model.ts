import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';

/** The roles of the platform. */
export const ROLES = [
  'dispatcher',
  'handler',
  'grid_worker',
  'supervisor',
  'admin',
  'auditor',
  'leader',
] as const;
/** One role. */
export type Role = (typeof ROLES)[number];

/** A role a user holds. */
export interface UserRoleAttributes {
  userId: number;
  role: Role;
}

/** Sequelize model of `user_role`. */
export type UserRoleModel = ModelStatic<Model<UserRoleAttributes, UserRoleAttributes>>;

/** Defines the user role model on a connection. */
export function defineUserRole(sequelize: Sequelize): UserRoleModel {
  return sequelize.define(
    'UserRole',
    {
      userId: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
      role: { type: DataTypes.STRING(16), allowNull: false, primaryKey: true },
    },
    { tableName: 'user_role', underscored: true, timestamps: false },
  ) as UserRoleModel;
}
