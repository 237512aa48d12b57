// Pure: the SLA colour of a task or case stage, and how its remaining time reads. No DOM, no React, so
// test/web/sla.test.ts runs it in Node.

/** The SLA colours of the inbox: under half the time used, from half, from 80 %, past the limit; none without a limit. */
export type SlaLevel = 'green' | 'yellow' | 'orange' | 'red' | 'none';

/** The share of the time limit at which a task turns yellow (the 50 % warning of docs/case-lifecycle.md). */
export const SLA_WARN_SHARE = 0.5;
/** The share at which it turns orange. */
export const SLA_ALERT_SHARE = 0.8;

type Instant = string | number | Date;

const ms = (t: Instant): number =>
  t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);

/**
 * The SLA level of a task created at `createdAt` and due at `dueAt`, at `now`: red once due (or past it),
 * orange from 80 % of the time used, yellow from 50 %, green before; `none` when there is no due date or a
 * date does not parse.
 */
export function slaLevel(createdAt: Instant, dueAt: Instant | null | undefined, now: Instant): SlaLevel {
  if (dueAt == null) return 'none';
  const [start, due, at] = [ms(createdAt), ms(dueAt), ms(now)];
  if (![start, due, at].every(Number.isFinite)) return 'none';
  if (at >= due) return 'red';
  const total = due - start;
  if (total <= 0) return 'red';
  const used = (at - start) / total;
  if (used >= SLA_ALERT_SHARE) return 'orange';
  if (used >= SLA_WARN_SHARE) return 'yellow';
  return 'green';
}

/** Milliseconds left until `dueAt` at `now` (negative when overdue), or null without a due date. */
export function slaRemainingMs(dueAt: Instant | null | undefined, now: Instant): number | null {
  if (dueAt == null) return null;
  const left = ms(dueAt) - ms(now);
  return Number.isFinite(left) ? left : null;
}

/** Units for `formatDuration`: the words of one language. */
export interface DurationUnits {
  day: string;
  hour: string;
  minute: string;
  /** Put between the number and its unit ('' in Chinese, ' ' would read "2 h"). */
  gap: string;
  /** Put between parts. */
  sep: string;
}

/**
 * A duration as its two largest parts ("2天3小时", "45分"; "2d 3h" with English units); under a minute is
 * "0分". The sign is dropped: callers say "overdue" themselves.
 */
export function formatDuration(durationMs: number, u: DurationUnits): string {
  const minutes = Math.floor(Math.abs(durationMs) / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts: string[] = [];
  if (d > 0) parts.push(`${d}${u.gap}${u.day}`);
  if (h > 0 && parts.length < 2) parts.push(`${h}${u.gap}${u.hour}`);
  if ((m > 0 || parts.length === 0) && parts.length < 2 && d === 0) parts.push(`${m}${u.gap}${u.minute}`);
  return parts.join(u.sep);
}
