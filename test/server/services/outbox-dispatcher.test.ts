import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { QueryTypes, type Sequelize } from 'sequelize';
import { ManualClock } from '../../../common/clock.ts';
import { UserError } from '../../../common/errors.ts';
import { type Logger, silentLogger } from '../../../common/logger.ts';
import { type Models, defineModels } from '../../../db/models/index.ts';
import { AppPushStub } from '../../../server/adapters/app-push.stub.ts';
import { SmsGatewayStub } from '../../../server/adapters/sms-gateway.stub.ts';
import { queueNotification } from '../../../server/services/notification.service.ts';
import {
  type NotificationChannel,
  type OutboundMessage,
  OutboxDispatcher,
  type OutboxDispatcherOptions,
} from '../../../server/services/outbox-dispatcher.ts';
import { type TestDatabase, openTestDatabase } from '../../helpers/database.ts';

// The outbox sender on a real database: rows are queued by the real notification service, sent through the
// stub channels (or a channel that fails on purpose), and their state read back from the table.

const REPORTER_PHONE = '13812345678';
const HANDLER_PHONE = '13987654321';
const HANDLER_UNIT = 77;
const SECOND = 1000;

interface World {
  db: TestDatabase;
  sequelize: Sequelize;
  models: Models;
  clock: ManualClock;
  caseId: number;
  handlerId: number;
}

interface OutboxRow {
  id: number;
  channel: string;
  status: string;
  attempts: number;
  sent_at: number | null;
  next_attempt_at: number;
  message_id: string | null;
  last_error: string | null;
  claim_token: string | null;
}

async function world(t: ExecutionContext): Promise<World> {
  const db = await openTestDatabase();
  t.teardown(() => db.close());
  const models = defineModels(db.sequelize);
  const handler = await models.User.create({
    username: 'handler.zhenzhou',
    displayName: '王处置',
    phone: HANDLER_PHONE,
    orgUnitId: HANDLER_UNIT,
    passwordHash: 'x',
  });
  await models.UserRole.create({ userId: handler.get('id') as number, role: 'handler' });
  const reported = await models.Case.create({
    caseNo: 'YZ20260105001',
    source: 'hotline_12345',
    reporterPhone: REPORTER_PHONE,
    description: `路灯不亮，回电 ${REPORTER_PHONE}`,
    status: 'dispatched',
  });
  return {
    db,
    sequelize: db.sequelize,
    models,
    clock: new ManualClock(),
    caseId: reported.get('id') as number,
    handlerId: handler.get('id') as number,
  };
}

/** Queues one SMS to the case's reporter and one app push to the handlers, as the case-notify worker does. */
async function queueBoth(w: World, key = 'job:1'): Promise<void> {
  const scope = { cityCentreId: 1, townId: null, handlerUnitId: HANDLER_UNIT };
  for (const audience of ['reporter', 'handlers'] as const) {
    await queueNotification(w.sequelize, w.models, {
      idempotencyKey: `${key}:${audience}`,
      caseId: w.caseId,
      template: 'overdue',
      audience,
      scope,
      payload: { caseNo: 'YZ20260105001', note: `回电 ${REPORTER_PHONE}` },
      at: w.clock.now(),
    });
  }
}

function dispatcher(
  w: World,
  channels: Record<string, NotificationChannel>,
  options: Partial<OutboxDispatcherOptions> = {},
): OutboxDispatcher {
  return new OutboxDispatcher({
    sequelize: w.sequelize,
    clock: w.clock,
    log: silentLogger,
    channels,
    pollIntervalMs: 0,
    maxAttempts: 3,
    retryBaseMs: 10 * SECOND,
    ...options,
  });
}

async function rows(sequelize: Sequelize): Promise<OutboxRow[]> {
  const found = await sequelize.query<OutboxRow>(
    `SELECT id, channel, status, attempts, sent_at, next_attempt_at, message_id, last_error, claim_token
     FROM notification_outbox ORDER BY id`,
    { type: QueryTypes.SELECT },
  );
  return found.map((r) => ({
    ...r,
    id: Number(r.id),
    attempts: Number(r.attempts),
    sent_at: r.sent_at == null ? null : Number(r.sent_at),
    next_attempt_at: Number(r.next_attempt_at),
  }));
}

/** A logger that keeps every line it writes, without the redaction safety net: masking must happen anyway. */
function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: 'trace' }, { write: (line: string) => lines.push(line) }), lines };
}

/** A channel whose service is down: every send throws, with the number in the error as gateways do. */
class DownChannel implements NotificationChannel {
  readonly address = 'phone';
  calls: OutboundMessage[] = [];
  constructor(private readonly error: () => Error = () => new Error('gateway timeout')) {}
  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    this.calls.push(message);
    throw this.error();
  }
}

test('sends the SMS to the reporter and the push to the handlers, and marks both sent', async (t) => {
  const w = await world(t);
  await queueBoth(w);
  const sms = new SmsGatewayStub({ log: silentLogger });
  const app = new AppPushStub({ log: silentLogger });

  const result = await dispatcher(w, { sms, app }).dispatchOnce();

  t.deepEqual(result, { claimed: 2, sent: 2, retried: 0, failed: 0, skipped: 0 });
  t.is(sms.sent.length, 1);
  t.deepEqual(sms.sent[0].message.recipients, [
    { ref: `case:${w.caseId}:reporter`, userId: null, phone: REPORTER_PHONE },
  ]);
  t.is(sms.sent[0].message.template, 'overdue');
  t.is(app.sent.length, 1);
  t.deepEqual(
    app.sent[0].message.recipients.map((r) => r.userId),
    [w.handlerId],
  );
  const [smsRow, appRow] = await rows(w.sequelize);
  t.like(smsRow, { channel: 'sms', status: 'sent', attempts: 1, sent_at: w.clock.now(), claim_token: null });
  t.is(smsRow.message_id, sms.sent[0].messageId);
  t.like(appRow, { channel: 'app', status: 'sent', attempts: 1, sent_at: w.clock.now() });
  t.is(appRow.message_id, app.sent[0].messageId);
});

test('a second pass sends nothing twice, even long after', async (t) => {
  const w = await world(t);
  await queueBoth(w);
  const sms = new SmsGatewayStub({ log: silentLogger });
  const app = new AppPushStub({ log: silentLogger });
  const sender = dispatcher(w, { sms, app });
  await sender.dispatchOnce();
  const before = await rows(w.sequelize);

  const again = await sender.dispatchOnce();
  w.clock.advance(24 * 3600 * SECOND);
  const dayLater = await sender.dispatchOnce();

  t.is(again.claimed, 0);
  t.is(dayLater.claimed, 0);
  t.is(sms.sent.length, 1);
  t.is(app.sent.length, 1);
  t.deepEqual(await rows(w.sequelize), before);
});

test('a failing channel is retried after its back-off and marked failed after the last attempt', async (t) => {
  const w = await world(t);
  await queueBoth(w);
  const down = new DownChannel(() => new Error(`gateway refused ${REPORTER_PHONE}: timeout`));
  const sender = dispatcher(w, { sms: down }, { maxAttempts: 3, retryBaseMs: 10 * SECOND });
  const start = w.clock.now();

  const first = await sender.dispatchOnce();
  const [afterFirst] = await rows(w.sequelize);
  w.clock.advance(10 * SECOND - 1);
  const tooEarly = await sender.dispatchOnce();
  w.clock.advance(1);
  const second = await sender.dispatchOnce();
  const [afterSecond] = await rows(w.sequelize);
  w.clock.advance(20 * SECOND);
  const third = await sender.dispatchOnce();
  w.clock.advance(3600 * SECOND);
  const afterLimit = await sender.dispatchOnce();
  const [smsRow, appRow] = await rows(w.sequelize);

  t.like(first, { claimed: 1, retried: 1 });
  t.like(afterFirst, { status: 'pending', attempts: 1, next_attempt_at: start + 10 * SECOND, sent_at: null });
  t.is(afterFirst.last_error, 'Error: gateway refused 138****5678: timeout');
  t.is(tooEarly.claimed, 0);
  t.like(second, { claimed: 1, retried: 1 });
  t.like(afterSecond, { status: 'pending', attempts: 2, next_attempt_at: start + 30 * SECOND });
  t.like(third, { claimed: 1, failed: 1 });
  t.is(afterLimit.claimed, 0);
  t.is(down.calls.length, 3);
  t.like(smsRow, { status: 'failed', attempts: 3, sent_at: null, message_id: null, claim_token: null });
  // The app push has no channel in this sender: left pending for one that has it.
  t.like(appRow, { channel: 'app', status: 'pending', attempts: 0 });
});

test('a refusal that will not change fails the message at the first attempt', async (t) => {
  const w = await world(t);
  await queueBoth(w);
  const refusing = new DownChannel(
    () => new UserError('SMS_NUMBER_INVALID', 'the gateway refuses this number'),
  );

  const result = await dispatcher(w, { sms: refusing }, { maxAttempts: 5 }).dispatchOnce();

  t.like(result, { claimed: 1, failed: 1, retried: 0 });
  const [smsRow] = await rows(w.sequelize);
  t.like(smsRow, { status: 'failed', attempts: 1 });
  t.is(smsRow.last_error, 'UserError: the gateway refuses this number');
});

test('phone numbers appear only masked in the log lines of sending and failing', async (t) => {
  const w = await world(t);
  await queueBoth(w);
  const { log, lines } = capturingLogger();
  const sms = new SmsGatewayStub({ log });
  const app = new AppPushStub({ log });
  await dispatcher(w, { sms, app }, { log }).dispatchOnce();
  await queueBoth(w, 'job:2');
  await dispatcher(
    w,
    { sms: new DownChannel(() => new Error(`no route to ${REPORTER_PHONE}`)) },
    { log },
  ).dispatchOnce();

  const text = lines.join('');
  t.true(lines.length >= 3);
  t.false(text.includes(REPORTER_PHONE));
  t.false(text.includes(HANDLER_PHONE));
  const accepted = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'sms accepted by the stub');
  t.deepEqual(accepted.to, ['138****5678']);
  t.is(accepted.params.note, '回电 138****5678');
  t.true(text.includes('no route to 138****5678'));
});

test('a message with nobody to reach is skipped, not retried', async (t) => {
  const w = await world(t);
  await w.models.Case.update({ reporterPhone: null }, { where: { id: w.caseId } });
  await queueBoth(w);
  const sms = new SmsGatewayStub({ log: silentLogger });

  const result = await dispatcher(w, { sms }).dispatchOnce();
  w.clock.advance(3600 * SECOND);
  const later = await dispatcher(w, { sms }).dispatchOnce();

  t.like(result, { claimed: 1, skipped: 1 });
  t.is(later.claimed, 0);
  t.is(sms.sent.length, 0);
  const [smsRow] = await rows(w.sequelize);
  t.like(smsRow, { status: 'skipped', attempts: 0, claim_token: null });
});

test('a message claimed by a sender that died is sent once its lease has run out', async (t) => {
  const w = await world(t);
  await queueBoth(w);
  const lease = 5 * 60 * SECOND;
  await w.sequelize.query(
    "UPDATE notification_outbox SET claim_token = 'dead-sender', next_attempt_at = ? WHERE channel = 'sms'",
    { replacements: [w.clock.now() + lease] },
  );
  const sms = new SmsGatewayStub({ log: silentLogger });
  const sender = dispatcher(w, { sms });

  const during = await sender.dispatchOnce();
  w.clock.advance(lease);
  const after = await sender.dispatchOnce();

  t.is(during.claimed, 0);
  t.like(after, { claimed: 1, sent: 1 });
  const [smsRow] = await rows(w.sequelize);
  t.like(smsRow, { status: 'sent', claim_token: null });
});

test('an outcome is not written over a claim that another sender has taken meanwhile', async (t) => {
  const w = await world(t);
  await queueBoth(w);
  // The send outlives the lease: another sender claims the row while the gateway is still answering.
  const slow: NotificationChannel = {
    address: 'phone',
    send: async () => {
      await w.sequelize.query(
        "UPDATE notification_outbox SET claim_token = 'other-sender' WHERE channel = 'sms'",
      );
      return { messageId: 'late-answer' };
    },
  };

  const result = await dispatcher(w, { sms: slow }).dispatchOnce();

  t.like(result, { claimed: 1, sent: 1 });
  const [smsRow] = await rows(w.sequelize);
  t.like(smsRow, { status: 'pending', attempts: 0, message_id: null, claim_token: 'other-sender' });
});

test('two senders on two connections share the outbox without sending any message twice', async (t) => {
  const w = await world(t);
  for (let i = 0; i < 15; i++) await queueBoth(w, `job:${i}`);
  const other = w.db.reopen();
  const smsA = new SmsGatewayStub({ log: silentLogger });
  const smsB = new SmsGatewayStub({ log: silentLogger });
  const appA = new AppPushStub({ log: silentLogger });
  const appB = new AppPushStub({ log: silentLogger });
  const a = dispatcher(w, { sms: smsA, app: appA }, { batchSize: 4 });
  const b = new OutboxDispatcher({
    sequelize: other,
    clock: w.clock,
    log: silentLogger,
    channels: { sms: smsB, app: appB },
    pollIntervalMs: 0,
    maxAttempts: 3,
    retryBaseMs: SECOND,
    batchSize: 4,
  });

  for (let pass = 0; pass < 10; pass++) await Promise.all([a.dispatchOnce(), b.dispatchOnce()]);

  const sent = [...smsA.sent, ...smsB.sent, ...appA.sent, ...appB.sent].map((d) => d.message.outboxId);
  t.is(sent.length, 30);
  t.is(new Set(sent).size, 30);
  t.true(smsA.sent.length + appA.sent.length > 0);
  t.true(smsB.sent.length + appB.sent.length > 0);
  t.true((await rows(w.sequelize)).every((r) => r.status === 'sent'));
});

test('started, it polls on its own and stops cleanly', async (t) => {
  const w = await world(t);
  const sms = new SmsGatewayStub({ log: silentLogger });
  const app = new AppPushStub({ log: silentLogger });
  const sender = dispatcher(w, { sms, app }, { pollIntervalMs: 20 });
  sender.start();
  t.teardown(() => sender.stop());

  await queueBoth(w);
  for (let i = 0; i < 200 && sms.sent.length + app.sent.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await sender.stop();
  await queueBoth(w, 'job:after-stop');
  await new Promise((r) => setTimeout(r, 100));

  t.is(sms.sent.length, 1);
  t.is(app.sent.length, 1);
  t.is((await rows(w.sequelize)).filter((r) => r.status === 'pending').length, 2);
});
