// Pure: distances and the duplicate suggestions of the intake form (test/web/geo.test.ts).
import { OPEN_CASE_STATUSES } from './case-filters.ts';

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance in metres between two WGS84 points (haversine). */
export function distanceM(a: { lng: number; lat: number }, b: { lng: number; lat: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** What a duplicate check needs of a case. */
export interface CaseLike {
  id: number;
  status: string;
  lng: number | null;
  lat: number | null;
  acceptedAt: string | null;
}

/** How near and how recent an open case must be to be suggested as a duplicate (the server merges at 250 m / 72 h). */
export interface DuplicateRule {
  radiusM: number;
  windowHours: number;
}

/** The intake form's default: a bit wider than the server's own rule, since the operator decides. */
export const DUPLICATE_RULE: DuplicateRule = { radiusM: 500, windowHours: 72 };

/**
 * The open cases within the radius of the point and the time window before `now`, nearest first, each with its
 * distance: what the hotline operator sees before filing a call that may be a repeat.
 */
export function duplicateCandidates<T extends CaseLike>(
  cases: readonly T[],
  point: { lng: number; lat: number },
  now: number,
  rule: DuplicateRule = DUPLICATE_RULE,
): (T & { distanceM: number })[] {
  const since = now - rule.windowHours * 3_600_000;
  return cases
    .filter((c) => OPEN_CASE_STATUSES.includes(c.status) && c.lng != null && c.lat != null)
    .filter((c) => c.acceptedAt == null || Date.parse(c.acceptedAt) >= since)
    .map((c) => ({ ...c, distanceM: distanceM(point, { lng: c.lng!, lat: c.lat! }) }))
    .filter((c) => c.distanceM <= rule.radiusM)
    .sort((a, b) => a.distanceM - b.distanceM);
}
