import { DataTypes, type Model, type ModelStatic, type Optional, type Sequelize } from 'sequelize';

/** Levels of the organisation: 市, 镇/园区, 村/社区. */
export type OrgLevel = 'city' | 'town' | 'village';
/** What a unit is: a dispatch centre, a village station, a functional department, a joint enforcement team. */
export type OrgKind = 'centre' | 'station' | 'department' | 'joint_team';

/** An org unit: 市网格化服务管理中心, 镇(园区)中心, 村(社区)工作站, 职能部门, 联合执法队. */
export interface OrgUnitAttributes {
  id: number;
  code: string;
  name: string;
  level: OrgLevel;
  kind: OrgKind;
  /** town | park for town-level centres; village | community for stations. */
  areaType: string | null;
  /** The remit of a department (urban_management, ecology, …). */
  departmentKind: string | null;
  parentId: number | null;
  sortOrder: number;
  active: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}

/** Sequelize model of `org_unit`. */
export type OrgUnitModel = ModelStatic<
  Model<
    OrgUnitAttributes,
    Optional<OrgUnitAttributes, 'id' | 'areaType' | 'departmentKind' | 'parentId' | 'sortOrder' | 'active'>
  >
>;

/** Defines the org unit model on a connection. */
export function defineOrgUnit(sequelize: Sequelize): OrgUnitModel {
  return sequelize.define(
    'OrgUnit',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(128), allowNull: false },
      level: { type: DataTypes.STRING(16), allowNull: false },
      kind: { type: DataTypes.STRING(16), allowNull: false },
      areaType: { type: DataTypes.STRING(16), allowNull: true },
      departmentKind: { type: DataTypes.STRING(32), allowNull: true },
      parentId: { type: DataTypes.INTEGER, allowNull: true },
      sortOrder: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    },
    { tableName: 'org_unit', underscored: true },
  ) as OrgUnitModel;
}
