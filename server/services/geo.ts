/** A GeoJSON MultiPolygon's coordinates: polygons → rings → [lng, lat] positions (first ring outer, rest holes). */
export type MultiPolygonCoordinates = number[][][][];

/** True when the point lies inside a ring (ray casting; points on an edge count as inside for one side only). */
function inRing(lng: number, lat: number, ring: number[][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** True when a WGS84 point lies inside a MultiPolygon (inside an outer ring and outside its holes). */
export function pointInMultiPolygon(lng: number, lat: number, polygons: MultiPolygonCoordinates): boolean {
  for (const polygon of polygons) {
    if (polygon.length === 0 || !inRing(lng, lat, polygon[0])) continue;
    let inHole = false;
    for (let h = 1; h < polygon.length; h++) {
      if (inRing(lng, lat, polygon[h])) {
        inHole = true;
        break;
      }
    }
    if (!inHole) return true;
  }
  return false;
}

/** The bounding box of a MultiPolygon. */
export function bbox(polygons: MultiPolygonCoordinates): {
  minLng: number;
  minLat: number;
  maxLng: number;
  maxLat: number;
} {
  let minLng = Infinity;
  let minLat = Infinity;
  let maxLng = -Infinity;
  let maxLat = -Infinity;
  for (const polygon of polygons) {
    for (const [lng, lat] of polygon[0] ?? []) {
      if (lng < minLng) minLng = lng;
      if (lng > maxLng) maxLng = lng;
      if (lat < minLat) minLat = lat;
      if (lat > maxLat) maxLat = lat;
    }
  }
  return { minLng, minLat, maxLng, maxLat };
}
