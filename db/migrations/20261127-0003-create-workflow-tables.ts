import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * What the case workflow writes besides the case: the notification outbox, the per-case assessment facts and
 * the task projection the inbox reads (user tasks joined with their case, kept in step by an engine exporter).
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  const sqlite = qi.sequelize.getDialect() === 'sqlite';
  const TEXT = { type: sqlite ? DataTypes.TEXT : DataTypes.TEXT('long'), allowNull: true };
  const TIME = { type: DataTypes.BIGINT, allowNull: true };

  /** Messages to send (SMS, app push): written in the transaction of what caused them, sent afterwards. */
  await qi.createTable('notification_outbox', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    /** Derived from the job key, so a job worked twice queues one message. */
    idempotency_key: { type: DataTypes.STRING(96), allowNull: false, unique: true },
    case_id: { type: DataTypes.INTEGER, allowNull: true },
    template: { type: DataTypes.STRING(32), allowNull: false },
    audience: { type: DataTypes.STRING(32), allowNull: false },
    /** sms | app */
    channel: { type: DataTypes.STRING(8), allowNull: false },
    /** JSON list of user ids or masked phone numbers. */
    recipients: TEXT,
    payload: TEXT,
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    sent_at: TIME,
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  });
  await qi.addIndex('notification_outbox', ['sent_at', 'id'], { name: 'outbox_pending' });

  /** 考核: the facts of one case, written when it ends; monthly results aggregate them. */
  await qi.createTable('case_assessment', {
    case_id: { type: DataTypes.INTEGER, primaryKey: true },
    town_id: { type: DataTypes.INTEGER, allowNull: true },
    handling_unit_id: { type: DataTypes.INTEGER, allowNull: true },
    category_id: { type: DataTypes.INTEGER, allowNull: true },
    dispatched_on_time: { type: DataTypes.BOOLEAN, allowNull: true },
    handled_on_time: { type: DataTypes.BOOLEAN, allowNull: true },
    closed_on_time: { type: DataTypes.BOOLEAN, allowNull: true },
    returned: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    reworked: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    extended: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    reopened: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    supervised: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    satisfaction: { type: DataTypes.STRING(16), allowNull: true },
    /** 一次办结: closed without rework or reopening. */
    first_time_resolved: { type: DataTypes.BOOLEAN, allowNull: true },
    outcome: { type: DataTypes.STRING(16), allowNull: false },
    assessed_at: { type: DataTypes.BIGINT, allowNull: false },
    month: { type: DataTypes.STRING(7), allowNull: false },
  });
  await qi.addIndex('case_assessment', ['month', 'town_id'], { name: 'assessment_month_town' });
  await qi.addIndex('case_assessment', ['month', 'handling_unit_id'], { name: 'assessment_month_unit' });

  /** The inbox's view of user tasks: plain indexed SQL for every filter. */
  await qi.createTable('task', {
    user_task_key: { type: DataTypes.BIGINT, primaryKey: true },
    case_id: { type: DataTypes.INTEGER, allowNull: true },
    process_instance_key: { type: DataTypes.BIGINT, allowNull: false },
    element_id: { type: DataTypes.STRING(128), allowNull: false },
    name: { type: DataTypes.STRING(128), allowNull: true },
    /** CREATED | COMPLETED | CANCELED */
    state: { type: DataTypes.STRING(16), allowNull: false },
    assignee: { type: DataTypes.STRING(64), allowNull: true },
    form_key: { type: DataTypes.STRING(255), allowNull: true },
    due_at: TIME,
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    completed_at: TIME,
    action: { type: DataTypes.STRING(64), allowNull: true },
    completed_by: { type: DataTypes.STRING(64), allowNull: true },
    town_id: { type: DataTypes.INTEGER, allowNull: true },
    category_id: { type: DataTypes.INTEGER, allowNull: true },
    source: { type: DataTypes.STRING(24), allowNull: true },
    urgency: { type: DataTypes.STRING(16), allowNull: true },
    case_no: { type: DataTypes.STRING(32), allowNull: true },
  });
  await qi.addIndex('task', ['state', 'assignee', 'due_at'], { name: 'task_assignee' });
  await qi.addIndex('task', ['state', 'town_id', 'due_at'], { name: 'task_town' });
  await qi.addIndex('task', ['case_id'], { name: 'task_case' });
  await qi.createTable('task_candidate', {
    user_task_key: { type: DataTypes.BIGINT, primaryKey: true },
    group_name: { type: DataTypes.STRING(64), primaryKey: true },
  });
  await qi.addIndex('task_candidate', ['group_name', 'user_task_key'], { name: 'task_candidate_group' });
}

/** Drops the workflow tables. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  for (const t of ['task_candidate', 'task', 'case_assessment', 'notification_outbox']) await qi.dropTable(t);
}
