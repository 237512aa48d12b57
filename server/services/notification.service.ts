import { Op, type Sequelize } from 'sequelize';
import type { Models } from '../../db/models/index.ts';
import type { WriteSql } from '../../db/row-store.ts';
import { directSql } from '../../db/sequelize-sql.ts';

/** Who a notification goes to. */
export type Audience = 'supervisors' | 'leaders' | 'handlers' | 'reporter';

/** A notification to queue. */
export interface Notification {
  /** Makes queueing idempotent: a job worked twice queues one message (derive it from the job key). */
  idempotencyKey: string;
  caseId: number | null;
  template: string;
  audience: Audience;
  /** Where to look for the people: the case's town, its handling unit, the city centre. */
  scope: { cityCentreId: number; townId: number | null; handlerUnitId: number | null };
  payload: Record<string, unknown>;
  at: number;
}

/**
 * Queues a notification in the outbox (SMS for the reporter, app push for staff). Recipients are user ids or
 * `case:<id>:reporter`; the sender resolves phone numbers when it sends, so no number is copied around.
 */
export async function queueNotification(
  sequelize: Sequelize,
  models: Models,
  n: Notification,
  sql?: WriteSql,
): Promise<number> {
  const recipients = await recipientsOf(models, n);
  const sqlite = sequelize.getDialect() === 'sqlite';
  const text = `INSERT ${sqlite ? 'OR IGNORE' : 'IGNORE'} INTO notification_outbox (idempotency_key, case_id, template, audience, channel, recipients, payload, created_at, attempts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`;
  const params = [
    n.idempotencyKey,
    n.caseId,
    n.template,
    n.audience,
    n.audience === 'reporter' ? 'sms' : 'app',
    JSON.stringify(recipients),
    JSON.stringify(n.payload),
    n.at,
  ];
  // With `sql` (a job completion's transaction), the message is queued with the process moving on.
  if (sql) await sql.run(text, params);
  else await directSql(sequelize).run(text, params);
  return recipients.length;
}

async function recipientsOf(models: Models, n: Notification): Promise<string[]> {
  if (n.audience === 'reporter') return n.caseId == null ? [] : [`case:${n.caseId}:reporter`];
  const units: number[] = [];
  let role: string;
  if (n.audience === 'handlers') {
    if (n.scope.handlerUnitId != null) units.push(n.scope.handlerUnitId);
    role = 'handler';
  } else {
    units.push(n.scope.cityCentreId);
    if (n.scope.townId != null) units.push(n.scope.townId);
    role = n.audience === 'leaders' ? 'leader' : 'supervisor';
  }
  if (units.length === 0) return [];
  const users = await models.User.findAll({
    where: { orgUnitId: { [Op.in]: units }, active: true },
    include: [{ model: models.UserRole, as: 'roles', where: { role }, required: true }],
  });
  return users.map((u) => `user:${u.get('id')}`);
}
