import type { QueryInterface } from 'sequelize';
import { DataTypes } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * The inbox finds the tasks offered to a user's groups through the *open* tasks' candidate groups.
 *
 * Before, it took every open task (50 000 in `npm run bench:cases`) and probed each one's candidates: 150–200 ms
 * per inbox page at a year of cases. Now `task_candidate.open` (1 while the task is open; the task-projection
 * exporter clears it when the task completes or is cancelled) and the index (group_name, open, user_task_key)
 * give a group's open tasks directly: a town dispatcher reads their few hundred, not the city's 50 000.
 *
 * The case scope's "offered to my groups" check (server/services/scope.service.ts) goes case → its tasks → the
 * candidate's primary key and must not be driven from this index (0006 says why); it names its group column
 * so that no planner can.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addColumn('task_candidate', 'open', {
    type: DataTypes.SMALLINT,
    allowNull: false,
    defaultValue: 1,
  });
  await qi.sequelize.query(
    "UPDATE task_candidate SET open = 0 WHERE user_task_key IN (SELECT user_task_key FROM task WHERE state <> 'CREATED')",
  );
  await qi.addIndex('task_candidate', ['group_name', 'open', 'user_task_key'], {
    name: 'task_candidate_open',
  });
}

/** Undoes it. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.removeIndex('task_candidate', 'task_candidate_open');
  await qi.removeColumn('task_candidate', 'open');
}
