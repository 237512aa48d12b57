/** The time source every component receives; tests inject a ManualClock to run days of timers instantly. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests and replays. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 5, 1, 0, 0)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }
  /** Current time in ms since the epoch. */
  now(): number {
    return this.current;
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }
  /** Sets the clock to an instant (never backwards in a sane test, but allowed). */
  set(at: Date | number): void {
    this.current = typeof at === 'number' ? at : at.getTime();
  }
}
