import type { QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * Drops two indexes of `audit_log` that no query reads: (case_id) and (entity_type, entity_id).
 *
 * The audit log is the most written table: one record per engine event, about 180 per case on the shortest
 * path, each inserted with the command that produced it. A case's trail is its chain `case:<id>`, read
 * through (chain, chain_seq), which stays, as does the primary key (seq). Every index is one more B-tree
 * insert per record: without these two an append costs about a quarter less (bench/README.md). A report
 * that needs another access path adds its index when it comes, in a migration of its own.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.removeIndex('audit_log', 'audit_log_case');
  await qi.removeIndex('audit_log', 'audit_log_entity');
}

/** Undoes it. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addIndex('audit_log', ['case_id'], { name: 'audit_log_case' });
  await qi.addIndex('audit_log', ['entity_type', 'entity_id'], { name: 'audit_log_entity' });
}
