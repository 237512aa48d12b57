import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * The domain: organisation (org units, users, roles), territory (grids), categories with their time limits,
 * cases and their attachments, and the hash-chained audit log. See shared/domain/README.md.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  const sqlite = qi.sequelize.getDialect() === 'sqlite';
  const TEXT = { type: sqlite ? DataTypes.TEXT : DataTypes.TEXT('long'), allowNull: true };
  const ID = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true };
  const REF = { type: DataTypes.INTEGER, allowNull: true };
  const NAME = { type: DataTypes.STRING(128), allowNull: false };
  const CODE = { type: DataTypes.STRING(32), allowNull: false, unique: true };
  const TIME = { type: DataTypes.BIGINT, allowNull: true };
  const STAMPS = {
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  };

  /** 组织: the city centre, town and park centres, village and community stations, departments, joint teams. */
  await qi.createTable('org_unit', {
    id: ID,
    code: CODE,
    name: NAME,
    /** city | town | village */
    level: { type: DataTypes.STRING(16), allowNull: false },
    /** centre | station | department | joint_team */
    kind: { type: DataTypes.STRING(16), allowNull: false },
    /** For a town-level centre: town | park; for a station: village | community. */
    area_type: { type: DataTypes.STRING(16), allowNull: true },
    /** For departments: which remit (urban_management, ecology, emergency, market, housing, police, …). */
    department_kind: { type: DataTypes.STRING(32), allowNull: true },
    parent_id: REF,
    sort_order: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    ...STAMPS,
  });
  await qi.addIndex('org_unit', ['parent_id'], { name: 'org_unit_parent' });
  await qi.addIndex('org_unit', ['level', 'kind'], { name: 'org_unit_level_kind' });

  /** 网格: one merged grid per area, a MultiPolygon in WGS84 with its bounding box as the spatial index. */
  await qi.createTable('grid', {
    id: ID,
    code: CODE,
    name: NAME,
    village_id: { type: DataTypes.INTEGER, allowNull: false },
    /** GeoJSON MultiPolygon (WGS84 lng/lat). */
    geometry: { ...TEXT, allowNull: false },
    min_lng: { type: DataTypes.DOUBLE, allowNull: false },
    min_lat: { type: DataTypes.DOUBLE, allowNull: false },
    max_lng: { type: DataTypes.DOUBLE, allowNull: false },
    max_lat: { type: DataTypes.DOUBLE, allowNull: false },
    valid_from: { type: DataTypes.DATEONLY, allowNull: false },
    valid_to: { type: DataTypes.DATEONLY, allowNull: true },
    ...STAMPS,
  });
  await qi.addIndex('grid', ['village_id'], { name: 'grid_village' });
  await qi.addIndex('grid', ['min_lng', 'max_lng', 'min_lat', 'max_lat'], { name: 'grid_bbox' });

  await qi.createTable('app_user', {
    id: ID,
    username: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    display_name: NAME,
    /** Stored in full for calling; shown masked everywhere (API, UI, logs). */
    phone: { type: DataTypes.STRING(32), allowNull: true },
    org_unit_id: { type: DataTypes.INTEGER, allowNull: false },
    /** argon2id. */
    password_hash: { type: DataTypes.STRING(255), allowNull: false },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    ...STAMPS,
  });
  await qi.addIndex('app_user', ['org_unit_id'], { name: 'app_user_org' });

  await qi.createTable('user_role', {
    user_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    /** dispatcher | handler | grid_worker | supervisor | admin | auditor | leader */
    role: { type: DataTypes.STRING(16), allowNull: false, primaryKey: true },
  });
  await qi.addIndex('user_role', ['role'], { name: 'user_role_role' });

  /** The grids a grid worker patrols and verifies in. */
  await qi.createTable('user_grid', {
    user_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    grid_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
  });
  await qi.addIndex('user_grid', ['grid_id'], { name: 'user_grid_grid' });

  /** 分类: 大类 (2 digits) and 小类 (5 digits), with the remit and the time limit of each stage. */
  await qi.createTable('category', {
    id: ID,
    code: CODE,
    name: NAME,
    /** event | component | social */
    root: { type: DataTypes.STRING(16), allowNull: false },
    /** major (大类) | minor (小类) */
    level: { type: DataTypes.STRING(8), allowNull: false },
    parent_code: { type: DataTypes.STRING(32), allowNull: true },
    department_kind: { type: DataTypes.STRING(32), allowNull: true },
    /** normal | urgent | emergency */
    urgency: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
    /** 立案条件 */
    register_condition: TEXT,
    /** 结案条件 */
    close_condition: TEXT,
    /** Time limits in working minutes per stage. */
    limit_accept_min: { type: DataTypes.INTEGER, allowNull: false },
    limit_dispatch_min: { type: DataTypes.INTEGER, allowNull: false },
    limit_handle_min: { type: DataTypes.INTEGER, allowNull: false },
    limit_verify_min: { type: DataTypes.INTEGER, allowNull: false },
    limit_close_min: { type: DataTypes.INTEGER, allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    ...STAMPS,
  });
  await qi.addIndex('category', ['parent_code'], { name: 'category_parent' });

  /** 案件 */
  await qi.createTable('cases', {
    id: ID,
    case_no: { type: DataTypes.STRING(32), allowNull: false, unique: true },
    /** grid_report | hotline_12345 | police_110 | city_management | video_alert | web | leader */
    source: { type: DataTypes.STRING(24), allowNull: false },
    source_ticket_id: { type: DataTypes.STRING(64), allowNull: true },
    reporter_name: { type: DataTypes.STRING(64), allowNull: true },
    reporter_phone: { type: DataTypes.STRING(32), allowNull: true },
    description: { ...TEXT, allowNull: false },
    address: { type: DataTypes.STRING(255), allowNull: true },
    lng: { type: DataTypes.DOUBLE, allowNull: true },
    lat: { type: DataTypes.DOUBLE, allowNull: true },
    grid_id: REF,
    village_id: REF,
    town_id: REF,
    category_id: REF,
    urgency: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
    status: { type: DataTypes.STRING(24), allowNull: false },
    major_emergency: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    process_instance_key: { type: DataTypes.BIGINT, allowNull: true },
    duplicate_of_id: REF,
    handling_unit_id: REF,
    satisfaction: { type: DataTypes.STRING(16), allowNull: true },
    accepted_at: TIME,
    registered_at: TIME,
    dispatched_at: TIME,
    handled_at: TIME,
    verified_at: TIME,
    closed_at: TIME,
    voided_at: TIME,
    handle_due_at: TIME,
    due_at: TIME,
    created_by: { type: DataTypes.INTEGER, allowNull: true },
    ...STAMPS,
  });
  await qi.addIndex('cases', ['source', 'source_ticket_id'], { unique: true, name: 'cases_source_ticket' });
  await qi.addIndex('cases', ['town_id', 'status', 'created_at'], { name: 'cases_town_status' });
  await qi.addIndex('cases', ['status', 'created_at'], { name: 'cases_status_created' });
  await qi.addIndex('cases', ['category_id', 'created_at'], { name: 'cases_category' });
  await qi.addIndex('cases', ['grid_id'], { name: 'cases_grid' });
  await qi.addIndex('cases', ['process_instance_key'], { name: 'cases_process_instance' });

  await qi.createTable('attachment', {
    id: ID,
    case_id: { type: DataTypes.INTEGER, allowNull: false },
    file_name: { type: DataTypes.STRING(255), allowNull: false },
    content_type: { type: DataTypes.STRING(100), allowNull: false },
    size_bytes: { type: DataTypes.INTEGER, allowNull: false },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    /** Relative to DATA_DIR. */
    storage_path: { type: DataTypes.STRING(255), allowNull: false },
    uploaded_by: REF,
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('attachment', ['case_id'], { name: 'attachment_case' });

  /**
   * 审计: append-only. Records form one hash chain per subject (`case:<id>`, `system`): each record's hash
   * covers the previous record's hash in its chain, so chains of different cases append concurrently.
   */
  await qi.createTable('audit_log', {
    seq: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    chain: { type: DataTypes.STRING(64), allowNull: false },
    chain_seq: { type: DataTypes.INTEGER, allowNull: false },
    at: { type: DataTypes.BIGINT, allowNull: false },
    actor: { type: DataTypes.STRING(64), allowNull: false },
    action: { type: DataTypes.STRING(64), allowNull: false },
    entity_type: { type: DataTypes.STRING(32), allowNull: false },
    entity_id: { type: DataTypes.STRING(64), allowNull: true },
    case_id: REF,
    payload: TEXT,
    prev_hash: { type: DataTypes.STRING(64), allowNull: false },
    hash: { type: DataTypes.STRING(64), allowNull: false },
  });
  await qi.addIndex('audit_log', ['chain', 'chain_seq'], { unique: true, name: 'audit_log_chain' });
  /** The head of each chain: appends lock it, so two transactions never extend a chain from the same record;
   * verification compares it with the last record, so a removed tail shows too. */
  await qi.createTable('audit_chain', {
    chain: { type: DataTypes.STRING(64), primaryKey: true },
    last_seq: { type: DataTypes.INTEGER, allowNull: false },
    last_hash: { type: DataTypes.STRING(64), allowNull: false },
  });
  await qi.addIndex('audit_log', ['case_id'], { name: 'audit_log_case' });
  await qi.addIndex('audit_log', ['entity_type', 'entity_id'], { name: 'audit_log_entity' });
}

/** Drops the domain tables. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  for (const t of [
    'audit_chain',
    'audit_log',
    'attachment',
    'cases',
    'category',
    'user_grid',
    'user_role',
    'app_user',
    'grid',
    'org_unit',
  ]) {
    await qi.dropTable(t);
  }
}
