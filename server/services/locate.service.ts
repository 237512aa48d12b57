import type { Sequelize } from 'sequelize';
import { directSql } from '../../db/sequelize-sql.ts';
import { type MultiPolygonCoordinates, pointInMultiPolygon } from './geo.ts';

/** Where a point is: its grid, village and town (属地). */
export interface Location {
  gridId: number;
  gridCode: string;
  villageId: number;
  townId: number;
}

/**
 * Locates a WGS84 point to its grid by point-in-polygon. The grid table's bounding-box columns are the spatial
 * index (an indexed range query finds the few candidates), the exact test runs on their polygons. Grids valid
 * on the given day only. Returns null outside every grid: such a case goes to the city centre for manual
 * location, it is not rejected.
 */
export async function locatePoint(
  sequelize: Sequelize,
  lng: number,
  lat: number,
  day: string = new Date().toISOString().slice(0, 10),
): Promise<Location | null> {
  const candidates = await directSql(sequelize).all<{
    id: number;
    code: string;
    geometry: string;
    village_id: number;
    town_id: number;
  }>(
    `SELECT g.id, g.code, g.geometry, g.village_id, v.parent_id AS town_id
       FROM grid g JOIN org_unit v ON v.id = g.village_id
      WHERE g.min_lng <= ? AND g.max_lng >= ? AND g.min_lat <= ? AND g.max_lat >= ?
        AND g.valid_from <= ? AND (g.valid_to IS NULL OR g.valid_to >= ?)`,
    [lng, lng, lat, lat, day, day],
  );
  for (const c of candidates) {
    const geometry = JSON.parse(c.geometry) as { coordinates: MultiPolygonCoordinates };
    if (pointInMultiPolygon(lng, lat, geometry.coordinates)) {
      return {
        gridId: Number(c.id),
        gridCode: c.code,
        villageId: Number(c.village_id),
        townId: Number(c.town_id),
      };
    }
  }
  return null;
}
