import type { QueryInterface } from 'sequelize';
import { DataTypes } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * `case_party.status`: the case's status beside every unit it was offered to, so that a town centre's search
 * with a status filter ("my cases in handling") is a range of (unit_id, status, accepted_at, case_id).
 *
 * Before, that branch of the scope (0008) took the cases the status index finds city-wide, or the unit's
 * whole range of case_party, and checked each against the other: ~18 000 lookups for a town at 200 000 cases
 * on MariaDB, p95 70–106 ms. The case services write the status to case_party in the same transaction as
 * the case (scope.service.ts `updateCase`); the task-projection exporter copies it when it adds a unit.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addColumn('case_party', 'status', { type: DataTypes.STRING(16), allowNull: true });
  await qi.sequelize.query(
    'UPDATE case_party SET status = (SELECT c.status FROM cases c WHERE c.id = case_party.case_id)',
  );
  await qi.addIndex('case_party', ['unit_id', 'status', 'accepted_at', 'case_id'], {
    name: 'case_party_status',
  });
  await qi.addIndex('case_party', ['case_id'], { name: 'case_party_case' });
}

/** Undoes it. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.removeIndex('case_party', 'case_party_case');
  await qi.removeIndex('case_party', 'case_party_status');
  await qi.removeColumn('case_party', 'status');
}
