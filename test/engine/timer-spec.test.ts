import test from 'ava';
import type { IsoDuration, TimerCycle } from '../../engine/timer/timer-spec.ts';
import {
  TimerSpecError,
  addDuration,
  firstCycleDue,
  formatDuration,
  nextCycleDue,
  parseCycle,
  parseDuration,
  parseTimeDate,
} from '../../engine/timer/timer-spec.ts';

const zero: IsoDuration = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };
const at = (iso: string): Date => new Date(iso);

/** The first `count` firings of a cycle, as ISO strings. */
function firings(cycle: TimerCycle, now: Date, count: number): string[] {
  const result: string[] = [];
  let due = firstCycleDue(cycle, now);
  for (let i = 0; i < count; i++) {
    result.push(due.toISOString());
    due = nextCycleDue(cycle, due);
  }
  return result;
}

// durations ----------------------------------------------------------------------------------------------

test('parses ISO-8601 durations into their fields', (t) => {
  t.deepEqual(parseDuration('PT10M'), { ...zero, minutes: 10 });
  t.deepEqual(parseDuration('P1DT2H'), { ...zero, days: 1, hours: 2 });
  t.deepEqual(parseDuration('P2W'), { ...zero, weeks: 2 });
  t.deepEqual(parseDuration('PT0.5S'), { ...zero, seconds: 0.5 });
  t.deepEqual(parseDuration('-PT1H'), { ...zero, hours: 1, negative: true });
  t.deepEqual(parseDuration('P1Y2M3W4DT5H6M7,25S'), {
    years: 1,
    months: 2,
    weeks: 3,
    days: 4,
    hours: 5,
    minutes: 6,
    seconds: 7.25,
  });
  t.deepEqual(parseDuration(' pt1h '), { ...zero, hours: 1 });
});

test('rejects texts that are not durations', (t) => {
  for (const text of ['P', 'PT', '1H', 'P1H', 'PT1D', 'P1DT', '', 'PT1.5M', 'P-1D', 'PT1H2', 'R/PT1H']) {
    t.throws(() => parseDuration(text), { instanceOf: TimerSpecError }, text);
  }
});

test('formats durations back to ISO-8601', (t) => {
  for (const text of ['PT10M', 'P1DT2H', 'P2W', 'PT0.5S', '-PT1H', 'P1Y2M3W4DT5H6M7.25S']) {
    t.is(formatDuration(parseDuration(text)), text);
  }
  t.is(formatDuration(zero), 'PT0S');
  t.is(formatDuration({ ...zero, seconds: 0.1 + 0.2 }), 'PT0.3S');
});

test('adds durations calendar-aware in UTC', (t) => {
  t.is(
    addDuration(at('2026-01-31T00:00:00Z'), parseDuration('P1M')).toISOString(),
    '2026-02-28T00:00:00.000Z',
  );
  t.is(
    addDuration(at('2024-02-29T00:00:00Z'), parseDuration('P1Y')).toISOString(),
    '2025-02-28T00:00:00.000Z',
  );
  t.is(
    addDuration(at('2026-01-01T00:00:00Z'), parseDuration('P1W2D')).toISOString(),
    '2026-01-10T00:00:00.000Z',
  );
  t.is(
    addDuration(at('2026-03-31T12:00:00Z'), parseDuration('-P1M1DT1H')).toISOString(),
    '2026-02-27T11:00:00.000Z',
  );
  t.is(
    addDuration(at('2026-01-01T00:00:00Z'), parseDuration('PT1.5S')).toISOString(),
    '2026-01-01T00:00:01.500Z',
  );
  t.is(
    addDuration(at('2026-12-31T23:00:00Z'), parseDuration('PT2H')).toISOString(),
    '2027-01-01T01:00:00.000Z',
  );
});

// date-times ---------------------------------------------------------------------------------------------

test('parses timeDate with an offset, a zone id or neither (then UTC)', (t) => {
  t.is(parseTimeDate('2026-01-01T10:00:00Z').toISOString(), '2026-01-01T10:00:00.000Z');
  t.is(parseTimeDate('2026-01-01T10:00:00+08:00').toISOString(), '2026-01-01T02:00:00.000Z');
  t.is(parseTimeDate('2026-01-01T10:00:00.123-05:30').toISOString(), '2026-01-01T15:30:00.123Z');
  t.is(parseTimeDate('2026-01-01T10:00:00@Asia/Shanghai').toISOString(), '2026-01-01T02:00:00.000Z');
  t.is(parseTimeDate('2026-01-01T10:00:00[Asia/Shanghai]').toISOString(), '2026-01-01T02:00:00.000Z');
  t.is(parseTimeDate('2026-01-01T10:00:00+08:00[Asia/Shanghai]').toISOString(), '2026-01-01T02:00:00.000Z');
  t.is(parseTimeDate('2026-01-01T10:00Z').toISOString(), '2026-01-01T10:00:00.000Z');
  t.is(parseTimeDate('2026-01-01T10:00:00').toISOString(), '2026-01-01T10:00:00.000Z');
});

test('resolves wall times in a zone across daylight saving changes like java.time', (t) => {
  t.is(parseTimeDate('2026-07-01T10:00:00@Europe/Paris').toISOString(), '2026-07-01T08:00:00.000Z');
  // in the spring gap the time moves forward by the gap: 02:30 does not exist, 03:30+02:00 does
  t.is(parseTimeDate('2026-03-29T02:30:00@Europe/Paris').toISOString(), '2026-03-29T01:30:00.000Z');
  // in the autumn overlap the earlier offset wins
  t.is(parseTimeDate('2026-10-25T02:30:00@Europe/Paris').toISOString(), '2026-10-25T00:30:00.000Z');
});

test('rejects timeDate texts that are not date-times', (t) => {
  const bad = [
    '2026-01-01',
    '2026-02-30T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T10:00:00+19:00',
    '2026-01-01T10:00:00@Mars/Base',
    'tomorrow',
    'PT1H',
  ];
  for (const text of bad) t.throws(() => parseTimeDate(text), { instanceOf: TimerSpecError }, text);
});

// repeating cycles -------------------------------------------------------------------------------------

test('parses repeating cycles with a count, forever, and with a start', (t) => {
  t.deepEqual(parseCycle('R5/PT10S'), { kind: 'repeat', repetitions: 5, interval: { ...zero, seconds: 10 } });
  t.deepEqual(parseCycle('R/PT1H'), { kind: 'repeat', repetitions: -1, interval: { ...zero, hours: 1 } });
  t.deepEqual(parseCycle('R3/2026-01-01T00:00:00Z/P1D'), {
    kind: 'repeat',
    repetitions: 3,
    interval: { ...zero, days: 1 },
    start: at('2026-01-01T00:00:00Z'),
  });
});

test('rejects repeating cycles that cannot fire', (t) => {
  for (const text of [
    'R5',
    'R/P',
    'R/PT0S',
    'R/-PT1H',
    'Rx/PT1S',
    'R/2026-01-01T00:00:00Z/2026-01-02T00:00:00Z/P1D',
  ]) {
    t.throws(() => parseCycle(text), { instanceOf: TimerSpecError }, text);
  }
});

test('fires a repeating cycle an interval after now, then every interval', (t) => {
  const cycle = parseCycle('R5/PT10S');
  t.deepEqual(firings(cycle, at('2026-01-30T10:00:00Z'), 3), [
    '2026-01-30T10:00:10.000Z',
    '2026-01-30T10:00:20.000Z',
    '2026-01-30T10:00:30.000Z',
  ]);
});

test('fires a cycle with a future start at the start, and one with a past start an interval after now', (t) => {
  const now = at('2026-01-30T10:00:00Z');
  t.deepEqual(firings(parseCycle('R3/2026-02-01T00:00:00Z/P1D'), now, 2), [
    '2026-02-01T00:00:00.000Z',
    '2026-02-02T00:00:00.000Z',
  ]);
  t.is(
    firstCycleDue(parseCycle('R3/2026-01-01T00:00:00Z/P1D'), now).toISOString(),
    '2026-01-31T10:00:00.000Z',
  );
  t.is(
    firstCycleDue(parseCycle('R3/2026-01-30T10:00:00Z/P1D'), now).toISOString(),
    '2026-01-30T10:00:00.000Z',
  );
});

test('keeps month-end firings calendar-aware', (t) => {
  t.is(
    nextCycleDue(parseCycle('R/P1M'), at('2026-01-31T08:00:00Z')).toISOString(),
    '2026-02-28T08:00:00.000Z',
  );
});

// cron -------------------------------------------------------------------------------------------------

test('parses a six-field cron expression as a cron cycle', (t) => {
  t.deepEqual(parseCycle(' 0 0 9 * * MON-FRI '), { kind: 'cron', expression: '0 0 9 * * MON-FRI' });
});

test('fires a weekday cron on the next working days, skipping the weekend', (t) => {
  // 2026-01-30 is a Friday
  t.deepEqual(firings(parseCycle('0 0 9 * * MON-FRI'), at('2026-01-30T10:00:00Z'), 3), [
    '2026-02-02T09:00:00.000Z',
    '2026-02-03T09:00:00.000Z',
    '2026-02-04T09:00:00.000Z',
  ]);
});

test('fires a cron strictly after now, even when now matches', (t) => {
  t.is(
    firstCycleDue(parseCycle('0 0 9 * * *'), at('2026-01-30T09:00:00Z')).toISOString(),
    '2026-01-31T09:00:00.000Z',
  );
  t.is(
    firstCycleDue(parseCycle('0 0 9 * * *'), at('2026-01-30T08:59:59.500Z')).toISOString(),
    '2026-01-30T09:00:00.000Z',
  );
});

test('supports steps, lists, ranges and month names', (t) => {
  t.deepEqual(firings(parseCycle('0 */15 * * * *'), at('2026-01-30T10:07:00Z'), 3), [
    '2026-01-30T10:15:00.000Z',
    '2026-01-30T10:30:00.000Z',
    '2026-01-30T10:45:00.000Z',
  ]);
  t.deepEqual(firings(parseCycle('30 5/20 8,17 * * *'), at('2026-01-30T10:00:00Z'), 4), [
    '2026-01-30T17:05:30.000Z',
    '2026-01-30T17:25:30.000Z',
    '2026-01-30T17:45:30.000Z',
    '2026-01-31T08:05:30.000Z',
  ]);
  t.deepEqual(firings(parseCycle('0 0 0 1 jan-mar ?'), at('2026-01-30T10:00:00Z'), 3), [
    '2026-02-01T00:00:00.000Z',
    '2026-03-01T00:00:00.000Z',
    '2027-01-01T00:00:00.000Z',
  ]);
});

test('reads day-of-week numbers as Spring does: 0 and 7 are Sunday, * starts on Monday', (t) => {
  t.is(
    firstCycleDue(parseCycle('0 0 0 * * 0'), at('2026-01-30T10:00:00Z')).toISOString(),
    '2026-02-01T00:00:00.000Z',
  );
  t.is(
    firstCycleDue(parseCycle('0 0 0 * * 7'), at('2026-01-30T10:00:00Z')).toISOString(),
    '2026-02-01T00:00:00.000Z',
  );
  t.deepEqual(firings(parseCycle('0 0 0 * * SAT-SUN'), at('2026-01-30T10:00:00Z'), 3), [
    '2026-01-31T00:00:00.000Z',
    '2026-02-01T00:00:00.000Z',
    '2026-02-07T00:00:00.000Z',
  ]);
  // */2 = Monday, Wednesday, Friday, Sunday
  t.deepEqual(firings(parseCycle('0 0 12 * * */2'), at('2026-01-30T13:00:00Z'), 3), [
    '2026-02-01T12:00:00.000Z',
    '2026-02-02T12:00:00.000Z',
    '2026-02-04T12:00:00.000Z',
  ]);
});

test('needs both the day of month and the day of week to match', (t) => {
  // Friday the 13th
  t.deepEqual(firings(parseCycle('0 0 0 13 * FRI'), at('2026-01-01T00:00:00Z'), 2), [
    '2026-02-13T00:00:00.000Z',
    '2026-03-13T00:00:00.000Z',
  ]);
});

test('supports the Quartz last, nearest-weekday and nth-weekday day forms', (t) => {
  const now = at('2026-01-30T10:00:00Z');
  t.deepEqual(firings(parseCycle('0 0 0 L * *'), now, 3), [
    '2026-01-31T00:00:00.000Z',
    '2026-02-28T00:00:00.000Z',
    '2026-03-31T00:00:00.000Z',
  ]);
  t.is(firstCycleDue(parseCycle('0 0 0 L-2 * *'), now).toISOString(), '2026-02-26T00:00:00.000Z');
  // the last weekday of February 2026 is Friday the 27th
  t.is(firstCycleDue(parseCycle('0 0 0 LW * *'), now).toISOString(), '2026-02-27T00:00:00.000Z');
  // 2026-02-15 is a Sunday: the nearest weekday is Monday the 16th
  t.is(firstCycleDue(parseCycle('0 0 0 15W * *'), now).toISOString(), '2026-02-16T00:00:00.000Z');
  t.is(firstCycleDue(parseCycle('0 0 0 * * FRIL'), now).toISOString(), '2026-02-27T00:00:00.000Z');
  t.is(firstCycleDue(parseCycle('0 0 0 * * 5L'), now).toISOString(), '2026-02-27T00:00:00.000Z');
  t.is(firstCycleDue(parseCycle('0 0 0 * * FRI#2'), now).toISOString(), '2026-02-13T00:00:00.000Z');
});

test('supports the @daily style macros', (t) => {
  const now = at('2026-01-30T10:00:00Z');
  t.is(firstCycleDue(parseCycle('@daily'), now).toISOString(), '2026-01-31T00:00:00.000Z');
  t.is(firstCycleDue(parseCycle('@hourly'), now).toISOString(), '2026-01-30T11:00:00.000Z');
  t.is(firstCycleDue(parseCycle('@monthly'), now).toISOString(), '2026-02-01T00:00:00.000Z');
  t.is(firstCycleDue(parseCycle('@weekly'), now).toISOString(), '2026-02-01T00:00:00.000Z');
  t.is(firstCycleDue(parseCycle('@yearly'), now).toISOString(), '2027-01-01T00:00:00.000Z');
});

test('finds a rare but possible date such as 29 February on a Monday', (t) => {
  t.is(
    firstCycleDue(parseCycle('0 0 0 29 2 MON'), at('2026-01-01T00:00:00Z')).toISOString(),
    '2044-02-29T00:00:00.000Z',
  );
});

test('rejects malformed cron expressions with the field at fault', (t) => {
  const bad: Array<[string, RegExp]> = [
    ['0 0 9 * *', /6 fields/],
    ['0 0 9 * * * 2026', /6 fields/],
    ['0 0 25 * * *', /hour '25' has '25' outside 0-23/],
    ['60 * * * * *', /second '60'/],
    ['0 0 0 32 * *', /day of month '32'/],
    ['0 0 0 * 13 *', /month '13'/],
    ['0 0 0 * * 8', /day of week '8'/],
    ['0 0 0 * FOO *', /unknown value 'FOO'/],
    ['0 ? * * * *', /minute '\?'/],
    ['0 */0 * * * *', /invalid step/],
    ['0 30-10 * * * *', /inverted range/],
    ['0 0 0 ? * SUN-SAT', /inverted range/],
    ['0 0 0 1,,2 * *', /malformed/],
    ['0 0 0 30 2 *', /never matches/],
    ['0 0 0 * * FRI#6', /occurrence/],
  ];
  for (const [text, message] of bad) {
    t.throws(() => parseCycle(text), { instanceOf: TimerSpecError, message }, text);
  }
});
