import type { QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

/**
 * Indexes for the case search and the scope check at a year of cases (`npm run bench:cases`, part 2:
 * 1 000 000 cases, their tasks, 50 000 open tasks).
 *
 * - The search lists newest first (`ORDER BY accepted_at DESC, id DESC LIMIT n`) and filters by town, by
 *   status and by accepted date. The indexes of 0002 end in `created_at`, so the database sorted every match
 *   (the whole table without a filter) to return 20 rows; these end in `accepted_at, id` and it reads 20
 *   entries in order. `created_by` serves the "cases I filed" branch of the scope of users outside the city
 *   centre. (SQLite's and InnoDB's secondary indexes carry the row id anyway; naming `id` makes both read
 *   the same.)
 * - `task_candidate_group` (group_name, user_task_key) goes. Nothing reads a group's candidates as a range;
 *   its only taker was SQLite's planner (no statistics) for the scope's "offered to my groups" subquery
 *   (server/services/scope.service.ts), which it then drove from the group, so that every case row read all
 *   the candidate rows of the group: quadratic (a town centre's case search did not finish at 100 000 cases,
 *   and every case detail read ~100 000 index entries). Without it the subquery goes case → its tasks
 *   (`task_case`) → the candidate's primary key, a few lookups per case.
 */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addIndex('cases', ['accepted_at', 'id'], { name: 'cases_accepted' });
  await qi.addIndex('cases', ['town_id', 'accepted_at', 'id'], { name: 'cases_town_accepted' });
  await qi.addIndex('cases', ['status', 'accepted_at', 'id'], { name: 'cases_status_accepted' });
  await qi.addIndex('cases', ['created_by'], { name: 'cases_created_by' });
  await qi.removeIndex('task_candidate', 'task_candidate_group');
}

/** Undoes it. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.addIndex('task_candidate', ['group_name', 'user_task_key'], { name: 'task_candidate_group' });
  for (const name of ['cases_created_by', 'cases_status_accepted', 'cases_town_accepted', 'cases_accepted']) {
    await qi.removeIndex('cases', name);
  }
}
