import { DataTypes, type Model, type ModelStatic, type Optional, type Sequelize } from 'sequelize';

/** A person who signs in: staff of a unit, with roles; the phone is shown masked everywhere. */
export interface UserAttributes {
  id: number;
  username: string;
  displayName: string;
  phone: string | null;
  orgUnitId: number;
  /** argon2id hash; never leaves the server. */
  passwordHash: string;
  active: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}

/** Sequelize model of `app_user`. */
export type UserModel = ModelStatic<
  Model<UserAttributes, Optional<UserAttributes, 'id' | 'phone' | 'active'>>
>;

/** Defines the user model on a connection. */
export function defineUser(sequelize: Sequelize): UserModel {
  return sequelize.define(
    'User',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      username: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      displayName: { type: DataTypes.STRING(128), allowNull: false },
      phone: { type: DataTypes.STRING(32), allowNull: true },
      orgUnitId: { type: DataTypes.INTEGER, allowNull: false },
      passwordHash: { type: DataTypes.STRING(255), allowNull: false },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    },
    { tableName: 'app_user', underscored: true },
  ) as UserModel;
}
