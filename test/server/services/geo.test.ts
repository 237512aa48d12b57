import test from 'ava';
import { bbox, pointInMultiPolygon } from '../../../server/services/geo.ts';

const square = (x0: number, y0: number, size: number): number[][] => [
  [x0, y0],
  [x0 + size, y0],
  [x0 + size, y0 + size],
  [x0, y0 + size],
  [x0, y0],
];

test('a point inside the outer ring and outside the hole is inside; in the hole it is not', (t) => {
  const polygon = [[square(119.1, 32.2, 0.1), square(119.14, 32.24, 0.02)]];
  t.true(pointInMultiPolygon(119.11, 32.21, polygon));
  t.false(pointInMultiPolygon(119.15, 32.25, polygon));
  t.false(pointInMultiPolygon(119.3, 32.25, polygon));
});

test('any polygon of a multipolygon contains its points', (t) => {
  const mp = [[square(119.0, 32.0, 0.01)], [square(119.2, 32.2, 0.01)]];
  t.true(pointInMultiPolygon(119.205, 32.205, mp));
  t.false(pointInMultiPolygon(119.1, 32.1, mp));
  const box = bbox(mp);
  t.deepEqual([box.minLng, box.minLat], [119.0, 32.0]);
  t.true(Math.abs(box.maxLng - 119.21) < 1e-9 && Math.abs(box.maxLat - 32.21) < 1e-9);
});
