import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

const KEY = { type: DataTypes.BIGINT, allowNull: false };
const OPT_KEY = { type: DataTypes.BIGINT, allowNull: true };
const TIME = { type: DataTypes.BIGINT, allowNull: false };
const OPT_TIME = { type: DataTypes.BIGINT, allowNull: true };
const ID = { type: DataTypes.STRING(255), allowNull: false };
const OPT_ID = { type: DataTypes.STRING(255), allowNull: true };
const STATE = { type: DataTypes.STRING(24), allowNull: false };

/** The embedded engine's state: runtime rows (deleted as instances move on) and the append-only history. */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  // LONGTEXT on MySQL (a variable document can exceed 64 KB); SQLite has one TEXT.
  const TEXT = {
    type: qi.sequelize.getDialect() === 'sqlite' ? DataTypes.TEXT : DataTypes.TEXT('long'),
    allowNull: true,
  };
  await qi.createTable('engine_sequence', {
    name: { type: DataTypes.STRING(64), primaryKey: true },
    next_value: KEY,
  });
  await qi.bulkInsert('engine_sequence', [{ name: 'key', next_value: 1 }]);

  await qi.createTable('engine_process_definition', {
    process_definition_key: { ...KEY, primaryKey: true },
    bpmn_process_id: ID,
    version: { type: DataTypes.INTEGER, allowNull: false },
    name: OPT_ID,
    resource_name: ID,
    checksum: { type: DataTypes.STRING(64), allowNull: false },
    deployment_key: KEY,
    xml: TEXT,
    deployed_at: TIME,
  });
  await qi.addIndex('engine_process_definition', ['bpmn_process_id', 'version'], {
    unique: true,
    name: 'engine_process_definition_id_version',
  });

  await qi.createTable('engine_form', {
    form_key: { ...KEY, primaryKey: true },
    form_id: ID,
    version: { type: DataTypes.INTEGER, allowNull: false },
    resource_name: ID,
    checksum: { type: DataTypes.STRING(64), allowNull: false },
    deployment_key: KEY,
    schema_json: TEXT,
    deployed_at: TIME,
  });
  await qi.addIndex('engine_form', ['form_id', 'version'], { unique: true, name: 'engine_form_id_version' });

  await qi.createTable('engine_process_instance', {
    process_instance_key: { ...KEY, primaryKey: true },
    /** The root of a call-activity tree: commands lock this row, so a tree is changed by one command at a time. */
    root_process_instance_key: KEY,
    process_definition_key: KEY,
    bpmn_process_id: ID,
    version: { type: DataTypes.INTEGER, allowNull: false },
    state: STATE,
    parent_process_instance_key: OPT_KEY,
    parent_element_instance_key: OPT_KEY,
    /** The correlation key of the message that started it: one active instance per key (Zeebe). */
    message_correlation_key: OPT_ID,
    incident_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    lock_version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    started_at: TIME,
    ended_at: OPT_TIME,
  });
  await qi.addIndex('engine_process_instance', ['bpmn_process_id', 'state'], {
    name: 'engine_pi_process_state',
  });
  await qi.addIndex('engine_process_instance', ['root_process_instance_key'], { name: 'engine_pi_root' });

  await qi.createTable('engine_element_instance', {
    element_instance_key: { ...KEY, primaryKey: true },
    process_instance_key: KEY,
    flow_scope_key: OPT_KEY,
    element_id: ID,
    element_type: { type: DataTypes.STRING(32), allowNull: false },
    state: STATE,
    /** JSON: loop counter, multi-instance counters, tokens waiting at joins, called instance key… */
    data: TEXT,
    created_at: TIME,
  });
  await qi.addIndex('engine_element_instance', ['process_instance_key'], { name: 'engine_ei_instance' });

  await qi.createTable('engine_variable', {
    scope_key: { ...KEY, primaryKey: true },
    name: { type: DataTypes.STRING(255), allowNull: false, primaryKey: true },
    process_instance_key: KEY,
    value: TEXT,
  });
  await qi.addIndex('engine_variable', ['process_instance_key'], { name: 'engine_variable_instance' });

  await qi.createTable('engine_job', {
    job_key: { ...KEY, primaryKey: true },
    type: ID,
    state: STATE,
    process_instance_key: KEY,
    element_instance_key: KEY,
    element_id: ID,
    bpmn_process_id: ID,
    process_definition_key: KEY,
    version: { type: DataTypes.INTEGER, allowNull: false },
    retries: { type: DataTypes.INTEGER, allowNull: false },
    worker: OPT_ID,
    deadline: OPT_TIME,
    activation_key: OPT_KEY,
    backoff_until: OPT_TIME,
    custom_headers: TEXT,
    error_message: TEXT,
    created_at: TIME,
  });
  await qi.addIndex('engine_job', ['type', 'state', 'job_key'], { name: 'engine_job_activatable' });
  await qi.addIndex('engine_job', ['state', 'deadline'], { name: 'engine_job_deadline' });
  await qi.addIndex('engine_job', ['state', 'backoff_until'], { name: 'engine_job_backoff' });
  await qi.addIndex('engine_job', ['element_instance_key'], { name: 'engine_job_element' });

  await qi.createTable('engine_user_task', {
    user_task_key: { ...KEY, primaryKey: true },
    element_instance_key: KEY,
    process_instance_key: KEY,
    process_definition_key: KEY,
    bpmn_process_id: ID,
    element_id: ID,
    name: OPT_ID,
    state: STATE,
    assignee: OPT_ID,
    candidate_groups: TEXT,
    candidate_users: TEXT,
    due_date: OPT_TIME,
    follow_up_date: OPT_TIME,
    priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 50 },
    form_key: OPT_ID,
    external_form_reference: { type: DataTypes.STRING(1024), allowNull: true },
    custom_headers: TEXT,
    action: { type: DataTypes.STRING(64), allowNull: true },
    completed_by: OPT_ID,
    created_at: TIME,
    completed_at: OPT_TIME,
  });
  await qi.addIndex('engine_user_task', ['state', 'assignee'], { name: 'engine_user_task_state_assignee' });
  await qi.addIndex('engine_user_task', ['process_instance_key'], { name: 'engine_user_task_instance' });
  await qi.addIndex('engine_user_task', ['element_instance_key'], { name: 'engine_user_task_element' });

  await qi.createTable('engine_user_task_candidate', {
    user_task_key: { ...KEY, primaryKey: true },
    kind: { type: DataTypes.STRING(8), allowNull: false, primaryKey: true },
    value: { type: DataTypes.STRING(255), allowNull: false, primaryKey: true },
  });
  await qi.addIndex('engine_user_task_candidate', ['kind', 'value', 'user_task_key'], {
    name: 'engine_candidate_lookup',
  });

  await qi.createTable('engine_timer', {
    timer_key: { ...KEY, primaryKey: true },
    process_instance_key: OPT_KEY,
    element_instance_key: OPT_KEY,
    process_definition_key: KEY,
    /** The timer event element (catch, boundary, start). */
    element_id: ID,
    due_at: TIME,
    /** Remaining repetitions of a cycle; -1 repeats for ever, 1 fires once. */
    repetitions: { type: DataTypes.INTEGER, allowNull: false },
    cycle: { type: DataTypes.STRING(255), allowNull: true },
    created_at: TIME,
  });
  await qi.addIndex('engine_timer', ['due_at'], { name: 'engine_timer_due' });
  await qi.addIndex('engine_timer', ['element_instance_key'], { name: 'engine_timer_element' });
  await qi.addIndex('engine_timer', ['process_definition_key'], { name: 'engine_timer_definition' });

  await qi.createTable('engine_message_subscription', {
    subscription_key: { ...KEY, primaryKey: true },
    process_instance_key: KEY,
    /** The element instance that owns it: the catch event, the activity of a boundary, the scope of an event sub-process, the event-based gateway. */
    element_instance_key: KEY,
    element_id: ID,
    message_name: ID,
    correlation_key: ID,
    interrupting: { type: DataTypes.BOOLEAN, allowNull: false },
    created_at: TIME,
  });
  await qi.addIndex('engine_message_subscription', ['message_name', 'correlation_key'], {
    name: 'engine_msub_lookup',
  });
  await qi.addIndex('engine_message_subscription', ['element_instance_key'], { name: 'engine_msub_element' });

  await qi.createTable('engine_start_subscription', {
    subscription_key: { ...KEY, primaryKey: true },
    kind: { type: DataTypes.STRING(8), allowNull: false },
    name: ID,
    process_definition_key: KEY,
    bpmn_process_id: ID,
    element_id: ID,
  });
  await qi.addIndex('engine_start_subscription', ['kind', 'name'], { name: 'engine_start_sub_lookup' });

  await qi.createTable('engine_signal_subscription', {
    subscription_key: { ...KEY, primaryKey: true },
    process_instance_key: KEY,
    element_instance_key: KEY,
    element_id: ID,
    signal_name: ID,
    interrupting: { type: DataTypes.BOOLEAN, allowNull: false },
  });
  await qi.addIndex('engine_signal_subscription', ['signal_name'], { name: 'engine_ssub_lookup' });
  await qi.addIndex('engine_signal_subscription', ['element_instance_key'], { name: 'engine_ssub_element' });

  await qi.createTable('engine_message', {
    message_key: { ...KEY, primaryKey: true },
    name: ID,
    correlation_key: ID,
    message_id: OPT_ID,
    variables: TEXT,
    published_at: TIME,
    expires_at: TIME,
  });
  await qi.addIndex('engine_message', ['name', 'correlation_key'], { name: 'engine_message_lookup' });
  await qi.addIndex('engine_message', ['expires_at'], { name: 'engine_message_expiry' });
  await qi.addIndex('engine_message', ['name', 'correlation_key', 'message_id'], {
    unique: true,
    name: 'engine_message_id',
  });

  await qi.createTable('engine_message_correlation', {
    message_key: { ...KEY, primaryKey: true },
    /** `pi:<process instance key>` or `bp:<bpmn process id>` for message start events. */
    target: { type: DataTypes.STRING(300), allowNull: false, primaryKey: true },
  });

  await qi.createTable('engine_incident', {
    incident_key: { ...KEY, primaryKey: true },
    process_instance_key: KEY,
    process_definition_key: KEY,
    bpmn_process_id: ID,
    element_instance_key: KEY,
    element_id: ID,
    job_key: OPT_KEY,
    type: { type: DataTypes.STRING(32), allowNull: false },
    message: TEXT,
    state: STATE,
    created_at: TIME,
    resolved_at: OPT_TIME,
  });
  await qi.addIndex('engine_incident', ['state'], { name: 'engine_incident_state' });
  await qi.addIndex('engine_incident', ['process_instance_key'], { name: 'engine_incident_instance' });

  await qi.createTable('engine_history_event', {
    position: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    process_instance_key: KEY,
    process_definition_key: KEY,
    element_instance_key: OPT_KEY,
    element_id: OPT_ID,
    element_type: { type: DataTypes.STRING(32), allowNull: true },
    intent: { type: DataTypes.STRING(40), allowNull: false },
    actor: OPT_ID,
    time: TIME,
    payload: TEXT,
  });
  await qi.addIndex('engine_history_event', ['process_instance_key', 'position'], {
    name: 'engine_history_instance',
  });
}

/** Drops the engine's tables. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  for (const t of [
    'engine_history_event',
    'engine_incident',
    'engine_message_correlation',
    'engine_message',
    'engine_signal_subscription',
    'engine_start_subscription',
    'engine_message_subscription',
    'engine_timer',
    'engine_user_task_candidate',
    'engine_user_task',
    'engine_job',
    'engine_variable',
    'engine_element_instance',
    'engine_process_instance',
    'engine_form',
    'engine_process_definition',
    'engine_sequence',
  ]) {
    await qi.dropTable(t);
  }
}
