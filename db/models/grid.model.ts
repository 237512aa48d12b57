import { DataTypes, type Model, type ModelStatic, type Optional, type Sequelize } from 'sequelize';

/** A grid (网格): one merged grid per area, a WGS84 MultiPolygon, with its bounding box for the spatial index. */
export interface GridAttributes {
  id: number;
  code: string;
  name: string;
  villageId: number;
  /** GeoJSON MultiPolygon text. */
  geometry: string;
  minLng: number;
  minLat: number;
  maxLng: number;
  maxLat: number;
  validFrom: string;
  validTo: string | null;
  createdAt?: Date;
  updatedAt?: Date;
}

/** Sequelize model of `grid`. */
export type GridModel = ModelStatic<Model<GridAttributes, Optional<GridAttributes, 'id' | 'validTo'>>>;

/** Defines the grid model on a connection. */
export function defineGrid(sequelize: Sequelize): GridModel {
  return sequelize.define(
    'Grid',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(128), allowNull: false },
      villageId: { type: DataTypes.INTEGER, allowNull: false },
      geometry: { type: DataTypes.TEXT, allowNull: false },
      minLng: { type: DataTypes.DOUBLE, allowNull: false },
      minLat: { type: DataTypes.DOUBLE, allowNull: false },
      maxLng: { type: DataTypes.DOUBLE, allowNull: false },
      maxLat: { type: DataTypes.DOUBLE, allowNull: false },
      validFrom: { type: DataTypes.DATEONLY, allowNull: false },
      validTo: { type: DataTypes.DATEONLY, allowNull: true },
    },
    { tableName: 'grid', underscored: true },
  ) as GridModel;
}
