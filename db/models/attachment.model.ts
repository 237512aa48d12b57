import { DataTypes, type Model, type ModelStatic, type Optional, type Sequelize } from 'sequelize';

/** A file attached to a case (photos before and after, documents); the bytes live under DATA_DIR. */
export interface AttachmentAttributes {
  id: number;
  caseId: number;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  /** Relative to DATA_DIR. */
  storagePath: string;
  uploadedBy: number | null;
  createdAt?: Date;
}

/** Sequelize model of `attachment`. */
export type AttachmentModel = ModelStatic<
  Model<AttachmentAttributes, Optional<AttachmentAttributes, 'id' | 'uploadedBy'>>
>;

/** Defines the attachment model on a connection. */
export function defineAttachment(sequelize: Sequelize): AttachmentModel {
  return sequelize.define(
    'Attachment',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      caseId: { type: DataTypes.INTEGER, allowNull: false },
      fileName: { type: DataTypes.STRING(255), allowNull: false },
      contentType: { type: DataTypes.STRING(100), allowNull: false },
      sizeBytes: { type: DataTypes.INTEGER, allowNull: false },
      sha256: { type: DataTypes.STRING(64), allowNull: false },
      storagePath: { type: DataTypes.STRING(255), allowNull: false },
      uploadedBy: { type: DataTypes.INTEGER, allowNull: true },
    },
    { tableName: 'attachment', underscored: true, updatedAt: false },
  ) as AttachmentModel;
}
