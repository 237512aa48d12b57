import type { QueryInterface } from 'sequelize';
import { DataTypes } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * `task_candidate.due_order`: the task's due time (ms), or NO_DUE when it has none, so that "most urgent first"
 * is the order of an index.
 *
 * The inbox's default page (sort by due) read every open task offered to the user's groups, sorted them and
 * counted them: the city dispatcher's group holds ~10 000 at a year of cases, and on MariaDB that page took
 * p95 155 ms in the service (`npm run bench:cases`, part 2). With the index (group_name, open, due_order,
 * user_task_key) each group's open tasks come in due order and the page stops at its last row
 * (server/services/task.service.ts); the count stops at INBOX_COUNT_CAP.
 *
 * It replaces `task_candidate_open` (0007), whose columns are its prefix. The task-projection exporter keeps
 * due_order with the task's due date.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addColumn('task_candidate', 'due_order', {
    type: DataTypes.BIGINT,
    allowNull: false,
    defaultValue: NO_DUE,
  });
  await qi.sequelize.query(
    `UPDATE task_candidate SET due_order = COALESCE(
       (SELECT t.due_at FROM task t WHERE t.user_task_key = task_candidate.user_task_key), ${NO_DUE})
     WHERE open = 1`,
  );
  await qi.addIndex('task_candidate', ['group_name', 'open', 'due_order', 'user_task_key'], {
    name: 'task_candidate_due',
  });
  await qi.removeIndex('task_candidate', 'task_candidate_open');
}

/** Undoes it. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addIndex('task_candidate', ['group_name', 'open', 'user_task_key'], {
    name: 'task_candidate_open',
  });
  await qi.removeIndex('task_candidate', 'task_candidate_due');
  await qi.removeColumn('task_candidate', 'due_order');
}

/**
 * The due order of a task without a due date: after every date (the largest time a JS Date holds, in ms).
 * The task-projection exporter writes the same value (`dueOrder`).
 */
const NO_DUE = 8_640_000_000_000_000;
