import { DataTypes, type Model, type ModelStatic, type Optional, type Sequelize } from 'sequelize';

import { CASE_SOURCES, type CaseSource } from '../../common/case-vocabulary.ts';

export { CASE_SOURCES, type CaseSource };

/** A case (案件): what the whole loop of intake, dispatch, handling, verification and closing is about. */
export interface CaseAttributes {
  id: number;
  caseNo: string;
  source: CaseSource;
  sourceTicketId: string | null;
  reporterName: string | null;
  /** Stored in full for the call-back; masked in every response and log. */
  reporterPhone: string | null;
  description: string;
  address: string | null;
  lng: number | null;
  lat: number | null;
  gridId: number | null;
  villageId: number | null;
  townId: number | null;
  categoryId: number | null;
  urgency: 'normal' | 'urgent' | 'emergency';
  status: string;
  majorEmergency: boolean;
  processInstanceKey: string | null;
  duplicateOfId: number | null;
  handlingUnitId: number | null;
  satisfaction: 'satisfied' | 'fairly' | 'unsatisfied' | null;
  acceptedAt: number | null;
  registeredAt: number | null;
  dispatchedAt: number | null;
  handledAt: number | null;
  verifiedAt: number | null;
  closedAt: number | null;
  voidedAt: number | null;
  handleDueAt: number | null;
  dueAt: number | null;
  createdBy: number | null;
  createdAt?: Date;
  updatedAt?: Date;
}

type CaseOptional =
  | 'id'
  | 'sourceTicketId'
  | 'reporterName'
  | 'reporterPhone'
  | 'address'
  | 'lng'
  | 'lat'
  | 'gridId'
  | 'villageId'
  | 'townId'
  | 'categoryId'
  | 'urgency'
  | 'majorEmergency'
  | 'processInstanceKey'
  | 'duplicateOfId'
  | 'handlingUnitId'
  | 'satisfaction'
  | 'acceptedAt'
  | 'registeredAt'
  | 'dispatchedAt'
  | 'handledAt'
  | 'verifiedAt'
  | 'closedAt'
  | 'voidedAt'
  | 'handleDueAt'
  | 'dueAt'
  | 'createdBy';

/** Sequelize model of `cases`. */
export type CaseModel = ModelStatic<Model<CaseAttributes, Optional<CaseAttributes, CaseOptional>>>;

/** A fresh definition each time: Sequelize writes the column name into the object it is given. */
const time = () => ({ type: DataTypes.BIGINT, allowNull: true });

/** Defines the case model on a connection. */
export function defineCase(sequelize: Sequelize): CaseModel {
  return sequelize.define(
    'Case',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      caseNo: { type: DataTypes.STRING(32), allowNull: false, unique: true },
      source: { type: DataTypes.STRING(24), allowNull: false },
      sourceTicketId: { type: DataTypes.STRING(64), allowNull: true },
      reporterName: { type: DataTypes.STRING(64), allowNull: true },
      reporterPhone: { type: DataTypes.STRING(32), allowNull: true },
      description: { type: DataTypes.TEXT, allowNull: false },
      address: { type: DataTypes.STRING(255), allowNull: true },
      lng: { type: DataTypes.DOUBLE, allowNull: true },
      lat: { type: DataTypes.DOUBLE, allowNull: true },
      gridId: { type: DataTypes.INTEGER, allowNull: true },
      villageId: { type: DataTypes.INTEGER, allowNull: true },
      townId: { type: DataTypes.INTEGER, allowNull: true },
      categoryId: { type: DataTypes.INTEGER, allowNull: true },
      urgency: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
      status: { type: DataTypes.STRING(24), allowNull: false },
      majorEmergency: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      processInstanceKey: { type: DataTypes.BIGINT, allowNull: true },
      duplicateOfId: { type: DataTypes.INTEGER, allowNull: true },
      handlingUnitId: { type: DataTypes.INTEGER, allowNull: true },
      satisfaction: { type: DataTypes.STRING(16), allowNull: true },
      acceptedAt: time(),
      registeredAt: time(),
      dispatchedAt: time(),
      handledAt: time(),
      verifiedAt: time(),
      closedAt: time(),
      voidedAt: time(),
      handleDueAt: time(),
      dueAt: time(),
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
    },
    { tableName: 'cases', underscored: true },
  ) as CaseModel;
}
