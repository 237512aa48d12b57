import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * What the outbox sender (server/services/outbox-dispatcher.ts) records per message: its state, when it may be
 * tried next, who holds it while it is being sent, the gateway's message id and the last error.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  /** pending | sent | failed | skipped (nobody to send it to). */
  await qi.addColumn('notification_outbox', 'status', {
    type: DataTypes.STRING(16),
    allowNull: false,
    defaultValue: 'pending',
  });
  /** Not before this time (ms): 0 for a new message, the back-off after a failure, the lease while claimed. */
  await qi.addColumn('notification_outbox', 'next_attempt_at', {
    type: DataTypes.BIGINT,
    allowNull: false,
    defaultValue: 0,
  });
  /** The sender pass holding the message while it sends it; cleared when the attempt is recorded. */
  await qi.addColumn('notification_outbox', 'claim_token', { type: DataTypes.STRING(36), allowNull: true });
  /** The id the SMS gateway or push service gave the message. */
  await qi.addColumn('notification_outbox', 'message_id', { type: DataTypes.STRING(128), allowNull: true });
  /** Why the last attempt failed (phone numbers masked). */
  await qi.addColumn('notification_outbox', 'last_error', { type: DataTypes.STRING(512), allowNull: true });
  // Rows written before this migration that already carry a send time were sent.
  await qi.sequelize.query("UPDATE notification_outbox SET status = 'sent' WHERE sent_at IS NOT NULL");
  await qi.addIndex('notification_outbox', ['status', 'next_attempt_at'], { name: 'outbox_due' });
}

/** Drops the delivery columns. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.removeIndex('notification_outbox', 'outbox_due');
  for (const c of ['last_error', 'message_id', 'claim_token', 'next_attempt_at', 'status']) {
    await qi.removeColumn('notification_outbox', c);
  }
  // SQLite removes a column by copying the table, which loses its indexes: put back the one 0003 made.
  const indexes = (await qi.showIndex('notification_outbox')) as { name: string }[];
  if (!indexes.some((i) => i.name === 'outbox_pending')) {
    await qi.addIndex('notification_outbox', ['sent_at', 'id'], { name: 'outbox_pending' });
  }
}
