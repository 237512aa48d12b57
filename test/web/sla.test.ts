import test from 'ava';
import { formatDuration, slaLevel, slaRemainingMs } from '../../web/src/lib/sla.ts';

// A task created at 08:00 and due at 18:00 (ten hours).
const created = '2026-11-27T00:00:00.000Z';
const due = '2026-11-27T10:00:00.000Z';
const at = (hours: number): number => Date.parse(created) + hours * 3_600_000;

test('a task is green until half its time is used', (t) => {
  t.is(slaLevel(created, due, at(0)), 'green');
  t.is(slaLevel(created, due, at(4.99)), 'green');
});

test('a task turns yellow at 50 % and orange at 80 % of its time', (t) => {
  t.is(slaLevel(created, due, at(5)), 'yellow');
  t.is(slaLevel(created, due, at(7.99)), 'yellow');
  t.is(slaLevel(created, due, at(8)), 'orange');
  t.is(slaLevel(created, due, at(9.99)), 'orange');
});

test('a task is red from its due time on', (t) => {
  t.is(slaLevel(created, due, at(10)), 'red');
  t.is(slaLevel(created, due, at(240)), 'red');
});

test('a task without a due date, or with dates that do not parse, has no SLA level', (t) => {
  t.is(slaLevel(created, null, at(1)), 'none');
  t.is(slaLevel(created, undefined, at(1)), 'none');
  t.is(slaLevel('not a date', due, at(1)), 'none');
});

test('a due date at or before the creation is red, not a division by zero', (t) => {
  t.is(slaLevel(due, due, Date.parse(due) - 1), 'red');
  t.is(slaLevel(due, created, Date.parse(created) - 60_000), 'red');
});

test('Date, number and ISO string instants give the same level', (t) => {
  t.is(slaLevel(new Date(created), Date.parse(due), new Date(at(8.5)).toISOString()), 'orange');
});

test('the remaining time is negative once overdue and null without a due date', (t) => {
  t.is(slaRemainingMs(due, at(9)), 3_600_000);
  t.is(slaRemainingMs(due, at(11)), -3_600_000);
  t.is(slaRemainingMs(null, at(11)), null);
});

test('a duration reads as its two largest parts', (t) => {
  const zh = { day: '天', hour: '小时', minute: '分', gap: '', sep: '' };
  const en = { day: 'd', hour: 'h', minute: 'm', gap: '', sep: ' ' };
  t.is(formatDuration(((2 * 24 + 3) * 60 + 15) * 60_000, zh), '2天3小时');
  t.is(formatDuration((3 * 60 + 15) * 60_000, zh), '3小时15分');
  t.is(formatDuration(45 * 60_000, en), '45m');
  t.is(formatDuration(-90 * 60_000, en), '1h 30m');
  t.is(formatDuration(20_000, zh), '0分');
  t.is(formatDuration(2 * 86_400_000, en), '2d');
});
