import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import { TransientError, UserError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { maskPersonalData } from '../../common/mask.ts';

/** One person a message goes to, resolved when it is sent: phone numbers are never copied into the outbox. */
export interface NotificationRecipient {
  /** As the outbox names them: `user:<id>` or `case:<id>:reporter`. */
  ref: string;
  userId: number | null;
  phone: string | null;
}

/** What a channel adapter is handed: one outbox row with its recipients resolved. */
export interface OutboundMessage {
  outboxId: number;
  /** The same on every attempt of this message: a gateway that supports it can drop duplicates with it. */
  idempotencyKey: string;
  channel: string;
  template: string;
  caseId: number | null;
  /** Only the recipients this channel can reach (see `NotificationChannel.address`); never empty. */
  recipients: NotificationRecipient[];
  payload: Record<string, unknown>;
}

/**
 * The edge to an SMS gateway or a push service. `send` resolves with the service's id for the message, or
 * throws: a `UserError` (a number the gateway refuses, a template it does not know) fails the message at once,
 * anything else is retried with back-off.
 */
export interface NotificationChannel {
  /** What the channel addresses people by: recipients without it are left out of what it is handed. */
  readonly address: 'phone' | 'userId';
  send(msg: OutboundMessage): Promise<{ messageId: string }>;
}

/** Options of the outbox sender. */
export interface OutboxDispatcherOptions {
  sequelize: Sequelize;
  clock: Clock;
  log: Logger;
  /** By the outbox's `channel` column (`sms`, `app`). Rows of other channels are left for a sender that has them. */
  channels: Record<string, NotificationChannel>;
  /** How often `start()` polls (ms); 0 means `start()` does nothing. */
  pollIntervalMs: number;
  /** Attempts per message before it is marked failed. */
  maxAttempts: number;
  /** Back-off after the first failed attempt (ms); doubles with each further failure, up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs?: number;
  /** Rows claimed per pass. */
  batchSize?: number;
  /** Sends in flight at once within a pass. */
  concurrency?: number;
  /** A send that has not answered within this time counts as a failed attempt (ms). */
  sendTimeoutMs?: number;
}

/** What one pass did. */
export interface DispatchResult {
  claimed: number;
  sent: number;
  /** Failed attempts that will be tried again after their back-off. */
  retried: number;
  /** Messages given up on: out of attempts, or refused for good. */
  failed: number;
  /** Messages nobody could be found for (no such user, no phone number). */
  skipped: number;
}

interface OutboxRow {
  id: number;
  idempotency_key: string;
  case_id: number | null;
  template: string;
  channel: string;
  recipients: string | null;
  payload: string | null;
  attempts: number;
}

type Outcome = keyof Omit<DispatchResult, 'claimed'>;

/**
 * Sends what the workers queue in `notification_outbox` (SMS to reporters, app push to staff), after the
 * transaction that queued it has committed.
 *
 * A pass claims due rows in a short transaction (MySQL: `FOR UPDATE SKIP LOCKED`, so several processes share
 * the work; SQLite: the single writer serialises passes) by writing a claim token and a lease into
 * `next_attempt_at`, then sends outside any transaction and records each outcome only while it still holds
 * the claim. Delivery is at least once: a process that dies between the gateway's answer and the update
 * leaves the row to be sent again when its lease ends; the idempotency key goes with every attempt.
 */
export class OutboxDispatcher {
  private readonly sequelize: Sequelize;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly channels: Record<string, NotificationChannel>;
  private readonly pollIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly sendTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly mysql: boolean;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(options: OutboxDispatcherOptions) {
    this.sequelize = options.sequelize;
    this.clock = options.clock;
    this.log = options.log.child({ scope: 'outbox' });
    this.channels = options.channels;
    this.pollIntervalMs = options.pollIntervalMs;
    this.maxAttempts = options.maxAttempts;
    this.retryBaseMs = options.retryBaseMs;
    this.retryMaxMs = options.retryMaxMs ?? 3_600_000;
    this.batchSize = options.batchSize ?? 50;
    this.concurrency = options.concurrency ?? 4;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    // Long enough for a whole batch of sends that all time out, so no other pass takes a row still in flight.
    this.leaseMs = this.sendTimeoutMs * Math.ceil(this.batchSize / this.concurrency) + 60_000;
    this.mysql = this.sequelize.getDialect() !== 'sqlite';
  }

  /** Polls every `pollIntervalMs` until `stop()`; a full batch is followed at once by the next pass. */
  start(): void {
    if (this.pollIntervalMs <= 0 || !this.stopped) return;
    this.stopped = false;
    const tick = (): void => {
      this.timer = null;
      if (this.stopped) return;
      this.running = this.dispatchOnce()
        .then(
          (result) => (result.claimed >= this.batchSize ? 0 : this.pollIntervalMs),
          (err: unknown) => {
            this.log.warn({ error: describe(err) }, 'outbox pass failed');
            return this.pollIntervalMs;
          },
        )
        .then((delay) => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, delay);
        });
    };
    this.timer = setTimeout(tick, this.pollIntervalMs);
  }

  /** Stops polling and waits for a pass in progress to record its outcomes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass: claims up to a batch of due messages, sends them and records what happened to each. */
  async dispatchOnce(): Promise<DispatchResult> {
    const result: DispatchResult = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0 };
    const token = randomUUID();
    const rows = await this.claim(token);
    result.claimed = rows.length;
    if (rows.length === 0) return result;
    const people = await this.resolveRecipients(rows);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < rows.length) {
        const row = rows[next++];
        result[await this.deliver(row, token, people)]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, rows.length) }, lane));
    return result;
  }

  /** Marks up to a batch of due rows as this pass's and reads them. */
  private async claim(token: string): Promise<OutboxRow[]> {
    const channels = Object.keys(this.channels);
    if (channels.length === 0) return [];
    return this.sequelize.transaction(async (transaction) => {
      const now = this.clock.now();
      const due = await this.select<{ id: number }>(
        `SELECT id FROM notification_outbox
         WHERE status = 'pending' AND next_attempt_at <= ? AND channel IN (${marks(channels.length)})
         ORDER BY next_attempt_at, id LIMIT ?${this.mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
        [now, ...channels, this.batchSize],
        transaction,
      );
      if (due.length === 0) return [];
      const ids = due.map((r) => Number(r.id));
      await this.sequelize.query(
        `UPDATE notification_outbox SET claim_token = ?, next_attempt_at = ? WHERE id IN (${marks(ids.length)})`,
        { replacements: [token, now + this.leaseMs, ...ids], type: QueryTypes.UPDATE, transaction },
      );
      const rows = await this.select<OutboxRow>(
        `SELECT id, idempotency_key, case_id, template, channel, recipients, payload, attempts
         FROM notification_outbox WHERE claim_token = ? ORDER BY id`,
        [token],
        transaction,
      );
      return rows.map((r) => ({
        ...r,
        id: Number(r.id),
        case_id: r.case_id == null ? null : Number(r.case_id),
        attempts: Number(r.attempts),
      }));
    });
  }

  /** Looks up every recipient of a batch: users by id (active ones), reporters through their case. */
  private async resolveRecipients(rows: OutboxRow[]): Promise<Map<string, NotificationRecipient>> {
    const userIds = new Set<number>();
    const caseIds = new Set<number>();
    for (const row of rows) {
      let refs: string[];
      try {
        refs = parseRecipients(row.recipients);
      } catch {
        continue; // deliver() fails the row with the reason
      }
      for (const ref of refs) {
        const user = /^user:(\d+)$/.exec(ref);
        const reporter = /^case:(\d+):reporter$/.exec(ref);
        if (user) userIds.add(Number(user[1]));
        else if (reporter) caseIds.add(Number(reporter[1]));
      }
    }
    const people = new Map<string, NotificationRecipient>();
    if (userIds.size > 0) {
      const users = await this.select<{ id: number; phone: string | null }>(
        `SELECT id, phone FROM app_user WHERE active = 1 AND id IN (${marks(userIds.size)})`,
        [...userIds],
      );
      for (const u of users) {
        const id = Number(u.id);
        people.set(`user:${id}`, { ref: `user:${id}`, userId: id, phone: u.phone || null });
      }
    }
    if (caseIds.size > 0) {
      const cases = await this.select<{ id: number; reporter_phone: string | null }>(
        `SELECT id, reporter_phone FROM cases WHERE id IN (${marks(caseIds.size)})`,
        [...caseIds],
      );
      for (const c of cases) {
        const ref = `case:${Number(c.id)}:reporter`;
        people.set(ref, { ref, userId: null, phone: c.reporter_phone || null });
      }
    }
    return people;
  }

  /** Sends one claimed row and records the outcome. */
  private async deliver(
    row: OutboxRow,
    token: string,
    people: Map<string, NotificationRecipient>,
  ): Promise<Outcome> {
    const attempt = row.attempts + 1;
    const channel = this.channels[row.channel];
    const fields = { outboxId: row.id, channel: row.channel, template: row.template, caseId: row.case_id };
    let message: OutboundMessage;
    try {
      const recipients = parseRecipients(row.recipients)
        .map((ref) => people.get(ref))
        .filter((p): p is NotificationRecipient => p != null && p[channel.address] != null);
      if (recipients.length === 0) {
        await this.record(row.id, token, {
          status: 'skipped',
          attempts: row.attempts,
          last_error: `nobody among the recipients can be reached by ${channel.address}`,
        });
        this.log.info(fields, 'outbox message skipped: no reachable recipient');
        return 'skipped';
      }
      message = {
        outboxId: row.id,
        idempotencyKey: row.idempotency_key,
        channel: row.channel,
        template: row.template,
        caseId: row.case_id,
        recipients,
        payload: parsePayload(row.payload),
      };
    } catch (err) {
      // A row that cannot be read will not read better later.
      const error = describe(err);
      await this.record(row.id, token, { status: 'failed', attempts: attempt, last_error: error });
      this.log.error({ ...fields, error }, 'outbox message unreadable, not sent');
      return 'failed';
    }

    try {
      const { messageId } = await withTimeout(channel.send(message), this.sendTimeoutMs);
      await this.record(row.id, token, {
        status: 'sent',
        attempts: attempt,
        sent_at: this.clock.now(),
        message_id: String(messageId).slice(0, 128),
        last_error: null,
      });
      this.log.debug({ ...fields, attempt, messageId }, 'outbox message sent');
      return 'sent';
    } catch (err) {
      const error = describe(err);
      if (err instanceof UserError || attempt >= this.maxAttempts) {
        await this.record(row.id, token, { status: 'failed', attempts: attempt, last_error: error });
        this.log.error({ ...fields, attempt, error }, 'outbox message failed, giving up');
        return 'failed';
      }
      const retryAt = this.clock.now() + this.backOff(attempt);
      await this.record(row.id, token, {
        status: 'pending',
        attempts: attempt,
        next_attempt_at: retryAt,
        last_error: error,
      });
      this.log.warn({ ...fields, attempt, retryAt, error }, 'outbox message failed, will retry');
      return 'retried';
    }
  }

  /** The wait after the `attempt`-th failure: base, 2×base, 4×base… up to the cap. */
  private backOff(attempt: number): number {
    return Math.min(this.retryBaseMs * 2 ** (attempt - 1), this.retryMaxMs);
  }

  /** Writes an attempt's outcome and releases the claim, unless another pass has taken the row since. */
  private async record(
    id: number,
    token: string,
    set: Record<string, string | number | null>,
  ): Promise<void> {
    const columns = Object.keys(set);
    const [, changed] = (await this.sequelize.query(
      `UPDATE notification_outbox SET ${columns.map((c) => `${c} = ?`).join(', ')}, claim_token = NULL
       WHERE id = ? AND claim_token = ?`,
      { replacements: [...Object.values(set), id, token], type: QueryTypes.UPDATE },
    )) as [unknown, number];
    if (changed === 0) this.log.warn({ outboxId: id }, 'outbox claim lost before the outcome was recorded');
  }

  private select<T extends object>(
    sql: string,
    replacements: unknown[],
    transaction?: Transaction,
  ): Promise<T[]> {
    return this.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction });
  }
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

function parseRecipients(json: string | null): string[] {
  if (json == null || json === '') return [];
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new UserError('OUTBOX_ROW_INVALID', 'recipients is not a JSON list');
  return value.filter((v): v is string => typeof v === 'string');
}

function parsePayload(json: string | null): Record<string, unknown> {
  if (json == null || json === '') return {};
  const value: unknown = JSON.parse(json);
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError('OUTBOX_ROW_INVALID', 'payload is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/** An error as one line for the log and `last_error`, with any mobile number in it masked. */
function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return maskPersonalData(text).slice(0, 500);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TransientError('SEND_TIMEOUT', `no answer from the channel within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
