import type { Sequelize } from 'sequelize';
import { directSql } from '../../db/sequelize-sql.ts';

/** Statuses of a case that is no longer open. */
export const CLOSED_STATUSES = ['closed', 'voided', 'merged'];

/** Metres between two WGS84 points (haversine). */
export function distanceMetres(lng1: number, lat1: number, lng2: number, lat2: number): number {
  const r = 6_371_000;
  const toRad = (d: number): number => (d * Math.PI) / 180;
  const dLat = toRad(lat2 - lat1);
  const dLng = toRad(lng2 - lng1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(toRad(lat1)) * Math.cos(toRad(lat2)) * Math.sin(dLng / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}

/**
 * 合并: the open case this one duplicates — same 小类, within `radiusM`, reported within `windowHours` before it
 * — the nearest if several; null when there is none. A degree-box prefilter keeps it on the indexes.
 */
export async function findDuplicate(
  sequelize: Sequelize,
  subject: {
    id: number;
    categoryId: number | null;
    lng: number | null;
    lat: number | null;
    acceptedAt: number;
  },
  options: { radiusM: number; windowHours: number },
): Promise<number | null> {
  if (subject.categoryId == null || subject.lng == null || subject.lat == null || options.radiusM <= 0)
    return null;
  const dLat = options.radiusM / 111_000;
  const dLng = options.radiusM / (111_000 * Math.cos((subject.lat * Math.PI) / 180));
  const since = subject.acceptedAt - options.windowHours * 3_600_000;
  const candidates = await directSql(sequelize).all<{ id: number; lng: number; lat: number }>(
    `SELECT id, lng, lat FROM cases
      WHERE category_id = ? AND id <> ? AND accepted_at >= ? AND status NOT IN (${CLOSED_STATUSES.map(() => '?').join(', ')})
        AND lng BETWEEN ? AND ? AND lat BETWEEN ? AND ? AND id < ?`,
    [
      subject.categoryId,
      subject.id,
      since,
      ...CLOSED_STATUSES,
      subject.lng - dLng,
      subject.lng + dLng,
      subject.lat - dLat,
      subject.lat + dLat,
      subject.id,
    ],
  );
  let best: { id: number; d: number } | null = null;
  for (const c of candidates) {
    const d = distanceMetres(subject.lng, subject.lat, Number(c.lng), Number(c.lat));
    if (d <= options.radiusM && (!best || d < best.d)) best = { id: Number(c.id), d };
  }
  return best?.id ?? null;
}
