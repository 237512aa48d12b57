import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';

/** A grid a grid worker covers. */
export interface UserGridAttributes {
  userId: number;
  gridId: number;
}

/** Sequelize model of `user_grid`. */
export type UserGridModel = ModelStatic<Model<UserGridAttributes, UserGridAttributes>>;

/** Defines the user-grid model on a connection. */
export function defineUserGrid(sequelize: Sequelize): UserGridModel {
  return sequelize.define(
    'UserGrid',
    {
      userId: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
      gridId: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    },
    { tableName: 'user_grid', underscored: true, timestamps: false },
  ) as UserGridModel;
}
