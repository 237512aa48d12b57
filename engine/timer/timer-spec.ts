/**
 * BPMN timer definitions as Zeebe reads them: ISO-8601 durations (timeDuration), date-times (timeDate) and
 * cycles (timeCycle: `R<n>/[start/]<duration>` or a Spring-style six-field cron expression).
 *
 * Plain `Date` arithmetic in UTC; named time zones are resolved through `Intl`. Cron expressions are matched
 * in UTC, as the engine clock is UTC.
 */

/** An ISO-8601 duration split into its fields; only `seconds` may be fractional. */
export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  negative?: boolean;
}

/** A parsed timeCycle: a repeating interval (`-1` repetitions = forever) or a cron expression. */
export type TimerCycle =
  | { kind: 'repeat'; repetitions: number /* -1 = infinite */; interval: IsoDuration; start?: Date }
  | { kind: 'cron'; expression: string };

/** A timer definition that cannot be read; thrown at deploy time so the model can be fixed. */
export class TimerSpecError extends Error {
  override readonly name = 'TimerSpecError';
}

// ---------------------------------------------------------------------------------------------------------
// durations

// Years, months, weeks, days, hours and minutes are integers; seconds may carry a fraction ('.' or ',').
const DURATION =
  /^([-+])?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;

/** Parses an ISO-8601 duration (`PT10M`, `P1DT2H`, `P2W`, `PT0.5S`, `-PT1H` …). Throws TimerSpecError. */
export function parseDuration(text: string): IsoDuration {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  // `P`, `PT` and `P1DT` match the pattern with no field, or with a dangling `T`: not durations.
  if (!match || match.slice(2).every((field) => field === undefined) || /T$/i.test(trimmed)) {
    throw new TimerSpecError(`'${text}' is not an ISO-8601 duration (expected e.g. PT10M, P1DT2H, P2W)`);
  }
  const int = (field: string | undefined): number => (field === undefined ? 0 : Number(field));
  const duration: IsoDuration = {
    years: int(match[2]),
    months: int(match[3]),
    weeks: int(match[4]),
    days: int(match[5]),
    hours: int(match[6]),
    minutes: int(match[7]),
    seconds: match[8] === undefined ? 0 : Number(match[8].replace(',', '.')),
  };
  if (Object.values(duration).some((value) => !Number.isSafeInteger(Math.floor(value)))) {
    throw new TimerSpecError(`'${text}' is out of range`);
  }
  if (match[1] === '-') duration.negative = true;
  return duration;
}

/** Formats a duration back to ISO-8601 (`PT0S` when every field is zero). */
export function formatDuration(d: IsoDuration): string {
  const date =
    (d.years ? `${d.years}Y` : '') +
    (d.months ? `${d.months}M` : '') +
    (d.weeks ? `${d.weeks}W` : '') +
    (d.days ? `${d.days}D` : '');
  const seconds = d.seconds ? `${Number(d.seconds.toFixed(9))}S` : '';
  const time = (d.hours ? `${d.hours}H` : '') + (d.minutes ? `${d.minutes}M` : '') + seconds;
  if (!date && !time) return 'PT0S';
  return `${d.negative ? '-' : ''}P${date}${time ? `T${time}` : ''}`;
}

/** Adds a duration to an instant, calendar-aware for years/months/days in UTC. */
export function addDuration(at: Date, d: IsoDuration): Date {
  const sign = d.negative ? -1 : 1;
  const result = new Date(at.getTime());
  const months = sign * (d.years * 12 + d.months);
  if (months) {
    // Like java.time: the day of month is kept, or clamped to the last day (Jan 31 + P1M = Feb 28).
    const day = result.getUTCDate();
    result.setUTCDate(1);
    result.setUTCMonth(result.getUTCMonth() + months);
    result.setUTCDate(Math.min(day, daysInMonth(result.getUTCFullYear(), result.getUTCMonth())));
  }
  const days = sign * (d.weeks * 7 + d.days);
  if (days) result.setUTCDate(result.getUTCDate() + days);
  const millis = Math.round((d.hours * 3600 + d.minutes * 60 + d.seconds) * 1000);
  return new Date(result.getTime() + sign * millis);
}

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

function isZeroOrNegative(d: IsoDuration): boolean {
  const zero = d.years + d.months + d.weeks + d.days + d.hours + d.minutes + d.seconds === 0;
  return zero || d.negative === true;
}

// ---------------------------------------------------------------------------------------------------------
// date-times

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?(?:\[([^\]]+)\]|@(.+))?$/;

/**
 * Parses a timeDate: an ISO-8601 date-time with offset (`Z`, `+08:00`), a zone id form
 * (`2026-01-01T10:00:00@Asia/Shanghai`, `2026-01-01T10:00:00[Asia/Shanghai]`) or both (`+08:00[Asia/Shanghai]`,
 * the offset wins). A local date-time without offset or zone is read as UTC. Throws TimerSpecError.
 */
export function parseTimeDate(text: string): Date {
  const match = DATE_TIME.exec(text.trim());
  if (!match) {
    throw new TimerSpecError(`'${text}' is not an ISO-8601 date-time (expected e.g. 2026-01-01T10:00:00Z)`);
  }
  const [, year, month, day, hour, minute, second = '0', fraction = '', offset, bracketZone, atZone] = match;
  const wall = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Math.round(Number(`0.${fraction || '0'}`) * 1000),
  );
  const check = new Date(wall);
  if (
    check.getUTCFullYear() !== Number(year) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    throw new TimerSpecError(`'${text}' is not a valid date-time`);
  }
  const zone = bracketZone ?? atZone;
  if (offset !== undefined) {
    if (zone !== undefined) assertZone(zone, text);
    return new Date(wall - offsetMinutes(offset, text) * 60_000);
  }
  if (zone !== undefined) return new Date(wallTimeToInstant(wall, zone, text));
  return new Date(wall);
}

function offsetMinutes(offset: string, text: string): number {
  if (offset === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 18 || minutes > 59) throw new TimerSpecError(`'${text}' has an invalid offset '${offset}'`);
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(zone: string, text: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(zone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new TimerSpecError(`'${text}' names an unknown time zone '${zone}'`);
    }
    zoneFormats.set(zone, format);
  }
  return format;
}

function assertZone(zone: string, text: string): void {
  zoneFormat(zone, text);
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function zoneOffset(instant: number, zone: string, text: string): number {
  const parts: Record<string, number> = {};
  for (const part of zoneFormat(zone, text).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant of a wall-clock time in a named zone, resolved like java.time's ZonedDateTime.ofLocal: in an
 * overlap (clocks going back) the earlier offset; in a gap (clocks going forward) the time moves later by the gap.
 */
function wallTimeToInstant(wall: number, zone: string, text: string): number {
  const day = 86_400_000;
  const before = zoneOffset(wall - day, zone, text);
  const after = zoneOffset(wall + day, zone, text);
  const fitsBefore = zoneOffset(wall - before, zone, text) === before;
  const fitsAfter = zoneOffset(wall - after, zone, text) === after;
  return !fitsBefore && fitsAfter ? wall - after : wall - before;
}

// ---------------------------------------------------------------------------------------------------------
// cycles

const REPEAT = /^R(\d*)\/(.+)$/;

/**
 * Parses a timeCycle: `R5/PT10S`, `R/PT1H` (infinite), `R3/2026-01-01T00:00:00Z/P1D` (with start), or a
 * Spring-style cron expression of 6 fields (`0 0 9 * * MON-FRI`; `*`, `?`, lists, ranges, steps, names, the
 * Quartz `L`, `W` and `#` day forms, and the `@daily`-style macros). Throws TimerSpecError.
 */
export function parseCycle(text: string): TimerCycle {
  const trimmed = text.trim();
  const repeat = REPEAT.exec(trimmed);
  if (!repeat) {
    compileCron(trimmed);
    return { kind: 'cron', expression: trimmed };
  }
  const [, count, rest] = repeat;
  const repetitions = count === '' ? -1 : Number(count);
  if (!Number.isSafeInteger(repetitions)) throw new TimerSpecError(`'${text}' has too many repetitions`);
  const parts = rest.split('/');
  if (parts.length > 2) throw new TimerSpecError(`'${text}' is not a timer cycle (R<n>/[start/]<duration>)`);
  const start = parts.length === 2 ? parseTimeDate(parts[0]) : undefined;
  const interval = parseDuration(parts[parts.length - 1]);
  if (isZeroOrNegative(interval)) throw new TimerSpecError(`'${text}' has an interval that is not positive`);
  return start ? { kind: 'repeat', repetitions, interval, start } : { kind: 'repeat', repetitions, interval };
}

/**
 * When a cycle's first firing is due, given now. For 'repeat' with a start not in the past, the start; else
 * now + interval. For cron, the next matching instant after now (UTC).
 */
export function firstCycleDue(cycle: TimerCycle, now: Date): Date {
  if (cycle.kind === 'cron') return nextCronMatch(compileCron(cycle.expression), now, cycle.expression);
  if (cycle.start && cycle.start.getTime() >= now.getTime()) return new Date(cycle.start.getTime());
  return addDuration(now, cycle.interval);
}

/** The next firing after the one just due at `previousDue` (repeat: previousDue + interval; cron: next match). */
export function nextCycleDue(cycle: TimerCycle, previousDue: Date): Date {
  if (cycle.kind === 'cron')
    return nextCronMatch(compileCron(cycle.expression), previousDue, cycle.expression);
  return addDuration(previousDue, cycle.interval);
}

// ---------------------------------------------------------------------------------------------------------
// cron (Spring's CronExpression: second minute hour day-of-month month day-of-week, fields ANDed)

type DayTest = (year: number, month0: number, day: number) => boolean;

interface Cron {
  seconds: boolean[];
  minutes: boolean[];
  hours: boolean[];
  months: boolean[]; // index 1..12
  dayOfMonth: DayTest;
  dayOfWeek: DayTest;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

// Parsed expressions are cached: timers are re-armed on every firing.
const cronCache = new Map<string, Cron>();
const CRON_CACHE_LIMIT = 500;

function compileCron(expression: string): Cron {
  const cached = cronCache.get(expression);
  if (cached) return cached;
  const source = MACROS[expression.toLowerCase()] ?? expression;
  const fields = source.split(/\s+/);
  if (fields.length !== 6) {
    throw new TimerSpecError(
      `'${expression}' is neither a timer cycle (R<n>/<duration>) nor a cron expression of 6 fields`,
    );
  }
  const failIn =
    (name: string, field: string): Fail =>
    (why) => {
      throw new TimerSpecError(`cron expression '${expression}': ${name} '${field}' ${why}`);
    };
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  const cron: Cron = {
    seconds: parseBits(second, { min: 0, max: 59 }, failIn('second', second)),
    minutes: parseBits(minute, { min: 0, max: 59 }, failIn('minute', minute)),
    hours: parseBits(hour, { min: 0, max: 23 }, failIn('hour', hour)),
    dayOfMonth: parseDayOfMonth(dayOfMonth, failIn('day of month', dayOfMonth)),
    months: parseBits(month, { min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 }, failIn('month', month)),
    dayOfWeek: parseDayOfWeek(dayOfWeek, failIn('day of week', dayOfWeek)),
  };
  // A valid-looking expression may still never match (`0 0 0 30 2 *`): refuse it at deploy time.
  nextCronMatch(cron, new Date(Date.UTC(2000, 0, 1)), expression);
  if (cronCache.size >= CRON_CACHE_LIMIT) cronCache.delete(cronCache.keys().next().value as string);
  cronCache.set(expression, cron);
  return cron;
}

type Fail = (why: string) => never;

function parseValue(text: string, names: string[], nameBase: number, fail: Fail): number {
  if (/^\d+$/.test(text)) return Number(text);
  const index = names.indexOf(text.toUpperCase());
  if (index < 0) fail(`has an unknown value '${text}'`);
  return index + nameBase;
}

interface FieldSpec {
  min: number;
  max: number;
  /** Names for values, the first worth `nameBase`. */
  names?: string[];
  nameBase?: number;
  /** Where `*` starts when it differs from `min` (day-of-week: 1, though 0 is accepted for Sunday). */
  starMin?: number;
  /** Day fields accept `?` for "any". */
  question?: boolean;
}

/** Parses `*`, `?` (day fields only), values, names, lists, ranges and steps into a bit set over min..max. */
function parseBits(field: string, spec: FieldSpec, fail: Fail): boolean[] {
  const { min, max, names = [], nameBase = 0, starMin = min, question = false } = spec;
  const bits = new Array<boolean>(max + 1).fill(false);
  for (const item of field.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') fail(`is malformed at '${item}'`);
    let from: number;
    let to: number;
    if (range === '*' || (range === '?' && question)) {
      if (range === '?' && item !== field) fail("may use '?' only alone");
      from = starMin;
      to = max;
    } else {
      const [first, last, more] = range.split('-');
      if (more !== undefined || first === '' || last === '') fail(`is malformed at '${item}'`);
      from = parseValue(first, names, nameBase, fail);
      // `5/15` means from 5 to the end of the range, every 15.
      to = last !== undefined ? parseValue(last, names, nameBase, fail) : stepText ? max : from;
    }
    if (from < min || to > max) fail(`has '${item}' outside ${min}-${max}`);
    if (from > to) fail(`has the inverted range '${item}'`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) fail(`has an invalid step in '${item}'`);
      step = Number(stepText);
    }
    for (let value = from; value <= to; value += step) bits[value] = true;
  }
  return bits;
}

function lastDayOf(year: number, month0: number): number {
  return daysInMonth(year, month0);
}

function weekday(year: number, month0: number, day: number): number {
  return new Date(Date.UTC(year, month0, day)).getUTCDay();
}

/** The weekday (Mon–Fri) nearest to `day` within the month, as Quartz's `W`. */
function nearestWeekday(year: number, month0: number, day: number): number {
  const last = lastDayOf(year, month0);
  const target = Math.min(day, last);
  const dow = weekday(year, month0, target);
  if (dow === 6) return target === 1 ? 3 : target - 1;
  if (dow === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function parseDayOfMonth(field: string, fail: Fail): DayTest {
  const tests: DayTest[] = [];
  const plain: string[] = [];
  for (const item of field.split(',')) {
    let match: RegExpExecArray | null;
    if (item.toUpperCase() === 'L') {
      tests.push((y, m, d) => d === lastDayOf(y, m));
    } else if ((match = /^L-(\d+)$/i.exec(item))) {
      const offset = Number(match[1]);
      if (offset > 30) fail(`has an offset out of range in '${item}'`);
      tests.push((y, m, d) => d === lastDayOf(y, m) - offset);
    } else if (item.toUpperCase() === 'LW') {
      tests.push((y, m, d) => d === nearestWeekday(y, m, lastDayOf(y, m)));
    } else if ((match = /^(\d+)W$/i.exec(item))) {
      const target = Number(match[1]);
      if (target < 1 || target > 31) fail(`has '${item}' outside 1-31`);
      tests.push((y, m, d) => target <= lastDayOf(y, m) && d === nearestWeekday(y, m, target));
    } else {
      plain.push(item);
    }
  }
  if (plain.length) {
    const bits = parseBits(plain.join(','), { min: 1, max: 31, question: true }, fail);
    tests.push((_y, _m, d) => bits[d]);
  }
  return (y, m, d) => tests.some((test) => test(y, m, d));
}

function parseDayOfWeek(field: string, fail: Fail): DayTest {
  const tests: DayTest[] = [];
  const plain: string[] = [];
  const day = (text: string, item: string): number => {
    const value = parseValue(text, DAY_NAMES, 1, fail);
    if (value > 7) fail(`has '${item}' outside 0-7`);
    return value % 7;
  };
  for (const item of field.split(',')) {
    let match: RegExpExecArray | null;
    if ((match = /^(\w+)L$/i.exec(item)) && match[1].toUpperCase() !== 'L') {
      // `5L` / `FRIL`: the last such weekday of the month.
      const dow = day(match[1], item);
      tests.push((y, m, d) => weekday(y, m, d) === dow && d + 7 > lastDayOf(y, m));
    } else if ((match = /^(\w+)#(\d+)$/.exec(item))) {
      // `FRI#2`: the second Friday of the month.
      const dow = day(match[1], item);
      const nth = Number(match[2]);
      if (nth < 1 || nth > 5) fail(`has '${item}' with an occurrence outside 1-5`);
      tests.push((y, m, d) => weekday(y, m, d) === dow && Math.ceil(d / 7) === nth);
    } else {
      plain.push(item);
    }
  }
  if (plain.length) {
    const spec = { min: 0, max: 7, names: DAY_NAMES, nameBase: 1, starMin: 1, question: true };
    const bits = parseBits(plain.join(','), spec, fail);
    // Spring follows cron numbering: 0 and 7 are both Sunday (and `SUN` is 7, so `MON-SUN` is a range).
    if (bits[0]) bits[7] = true;
    tests.push((y, m, d) => bits[weekday(y, m, d) || 7]);
  }
  return (y, m, d) => tests.some((test) => test(y, m, d));
}

// Far enough for any satisfiable expression (Feb 29 on a given weekday recurs within 28 years).
const CRON_HORIZON_YEARS = 100;

/** The first instant strictly after `after`, on a whole second, that matches every field (UTC). */
function nextCronMatch(cron: Cron, after: Date, expression: string): Date {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = t.getUTCFullYear() + CRON_HORIZON_YEARS;
  while (t.getUTCFullYear() <= limit) {
    const year = t.getUTCFullYear();
    const month0 = t.getUTCMonth();
    const day = t.getUTCDate();
    if (!cron.months[month0 + 1]) {
      t.setUTCMonth(month0 + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!cron.dayOfMonth(year, month0, day) || !cron.dayOfWeek(year, month0, day)) {
      t.setUTCDate(day + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!cron.hours[t.getUTCHours()]) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!cron.minutes[t.getUTCMinutes()]) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else if (!cron.seconds[t.getUTCSeconds()]) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
    } else {
      return t;
    }
  }
  throw new TimerSpecError(`cron expression '${expression}' never matches`);
}
