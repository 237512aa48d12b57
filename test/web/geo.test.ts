import test from 'ava';
import { distanceM, duplicateCandidates } from '../../web/src/lib/geo.ts';

const here = { lng: 119.19292, lat: 32.19534 };
const now = Date.parse('2026-11-28T08:00:00Z');
const hoursAgo = (h: number): string => new Date(now - h * 3_600_000).toISOString();

test('distances are in metres (0.001° of latitude is about 111 m)', (t) => {
  t.is(distanceM(here, here), 0);
  const d = distanceM(here, { lng: here.lng, lat: here.lat + 0.001 });
  t.true(d > 110 && d < 112, String(d));
});

test('duplicate suggestions are open, near and recent cases, nearest first', (t) => {
  const cases = [
    { id: 1, status: 'handling', lng: here.lng + 0.003, lat: here.lat, acceptedAt: hoursAgo(2) },
    { id: 2, status: 'registered', lng: here.lng + 0.001, lat: here.lat, acceptedAt: hoursAgo(1) },
    { id: 3, status: 'closed', lng: here.lng, lat: here.lat, acceptedAt: hoursAgo(1) },
    { id: 4, status: 'handling', lng: here.lng + 0.02, lat: here.lat, acceptedAt: hoursAgo(1) },
    { id: 5, status: 'handling', lng: here.lng, lat: here.lat, acceptedAt: hoursAgo(100) },
    { id: 6, status: 'new', lng: null, lat: null, acceptedAt: hoursAgo(1) },
  ];
  t.deepEqual(
    duplicateCandidates(cases, here, now).map((c) => c.id),
    [2, 1],
  );
});
