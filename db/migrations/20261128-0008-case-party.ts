import type { QueryInterface } from 'sequelize';
import { DataTypes } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * The case search at a year of cases, for every unit outside the city centre (`npm run bench:cases`, part 2).
 *
 * A unit's scope (server/services/scope.service.ts) is an OR: its territory (town, village, grids), the cases
 * it handles, the ones its users filed, the ones ever offered to it. The last was an EXISTS over the case's
 * tasks and their candidate groups, which no index can order: a town centre's newest 20 read every case
 * (2.6 s at 1 M). Now
 * - `case_party` (unit, case, accepted_at): every unit a task of the case was offered to, written by the
 *   task-projection exporter with the task; indexed (unit_id, accepted_at, case_id) so a unit's newest cases are
 *   a range of it;
 * - each branch of the scope has an index ending in (accepted_at, id), so the search takes each branch's newest
 *   rows in index order and merges them (server/services/case-query.service.ts).
 * Existing tasks are copied in: a candidate group `unit:<id>:<role>` names the unit.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.createTable('case_party', {
    unit_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    case_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    accepted_at: { type: DataTypes.BIGINT, allowNull: true },
  });
  await qi.addIndex('case_party', ['unit_id', 'accepted_at', 'case_id'], { name: 'case_party_recent' });
  const sqlite = qi.sequelize.getDialect() === 'sqlite';
  const unitOf = sqlite
    ? "CAST(substr(tc.group_name, 6, instr(substr(tc.group_name, 6), ':') - 1) AS INTEGER)"
    : "CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(tc.group_name, ':', 2), ':', -1) AS UNSIGNED)";
  await qi.sequelize.query(
    `INSERT INTO case_party (unit_id, case_id, accepted_at)
     SELECT DISTINCT ${unitOf}, t.case_id, c.accepted_at
       FROM task_candidate tc JOIN task t ON t.user_task_key = tc.user_task_key JOIN cases c ON c.id = t.case_id
      WHERE tc.group_name LIKE 'unit:%'`,
  );
  await qi.addIndex('cases', ['village_id', 'accepted_at', 'id'], { name: 'cases_village_accepted' });
  await qi.addIndex('cases', ['handling_unit_id', 'accepted_at', 'id'], { name: 'cases_handler_accepted' });
  await qi.addIndex('cases', ['grid_id', 'accepted_at', 'id'], { name: 'cases_grid_accepted' });
  await qi.addIndex('cases', ['created_by', 'accepted_at', 'id'], { name: 'cases_creator_accepted' });
  await qi.removeIndex('cases', 'cases_grid');
  await qi.removeIndex('cases', 'cases_created_by');
}

/** Undoes it. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addIndex('cases', ['created_by'], { name: 'cases_created_by' });
  await qi.addIndex('cases', ['grid_id'], { name: 'cases_grid' });
  for (const name of [
    'cases_creator_accepted',
    'cases_grid_accepted',
    'cases_handler_accepted',
    'cases_village_accepted',
  ]) {
    await qi.removeIndex('cases', name);
  }
  await qi.dropTable('case_party');
}
