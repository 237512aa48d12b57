import { DataTypes, type Model, type ModelStatic, type Optional, type Sequelize } from 'sequelize';

/** A category (分类): 大类 or 小类, with its remit, urgency and the time limit of every stage. */
export interface CategoryAttributes {
  id: number;
  /** 2 digits for a 大类, 5 for a 小类 (GB/T 47678.5 style; the codes are illustrative). */
  code: string;
  name: string;
  root: 'event' | 'component' | 'social';
  level: 'major' | 'minor';
  parentCode: string | null;
  departmentKind: string | null;
  urgency: 'normal' | 'urgent' | 'emergency';
  /** 立案条件 */
  registerCondition: string | null;
  /** 结案条件 */
  closeCondition: string | null;
  /** Time limits in working minutes. */
  limitAcceptMin: number;
  limitDispatchMin: number;
  limitHandleMin: number;
  limitVerifyMin: number;
  limitCloseMin: number;
  version: number;
  active: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}

/** Sequelize model of `category`. */
export type CategoryModel = ModelStatic<
  Model<
    CategoryAttributes,
    Optional<
      CategoryAttributes,
      'id' | 'parentCode' | 'departmentKind' | 'registerCondition' | 'closeCondition' | 'version' | 'active'
    >
  >
>;

/** Defines the category model on a connection. */
export function defineCategory(sequelize: Sequelize): CategoryModel {
  return sequelize.define(
    'Category',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(128), allowNull: false },
      root: { type: DataTypes.STRING(16), allowNull: false },
      level: { type: DataTypes.STRING(8), allowNull: false },
      parentCode: { type: DataTypes.STRING(32), allowNull: true },
      departmentKind: { type: DataTypes.STRING(32), allowNull: true },
      urgency: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
      registerCondition: { type: DataTypes.TEXT, allowNull: true },
      closeCondition: { type: DataTypes.TEXT, allowNull: true },
      limitAcceptMin: { type: DataTypes.INTEGER, allowNull: false },
      limitDispatchMin: { type: DataTypes.INTEGER, allowNull: false },
      limitHandleMin: { type: DataTypes.INTEGER, allowNull: false },
      limitVerifyMin: { type: DataTypes.INTEGER, allowNull: false },
      limitCloseMin: { type: DataTypes.INTEGER, allowNull: false },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    },
    { tableName: 'category', underscored: true },
  ) as CategoryModel;
}
