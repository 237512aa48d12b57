/**
 * Deadlines of the time limits (时限). Limits are in working minutes; until the working-time calendar
 * (Chinese holidays and 调休 make-up days) lands, a working minute is a wall-clock minute. Every deadline in
 * the system is computed here, so the calendar replaces this one function.
 */
export function addWorkingMinutes(start: number, minutes: number): number {
  return start + Math.round(minutes) * 60_000;
}

/** Working minutes between two instants (the inverse of addWorkingMinutes). */
export function workingMinutesBetween(from: number, to: number): number {
  return Math.round((to - from) / 60_000);
}

/** The yellow warning point of a limit: half of it (督办 warns at 50 %). */
export function warningAt(start: number, minutes: number): number {
  return addWorkingMinutes(start, minutes / 2);
}
