import type { Exporter, HistoryEvent } from '../../engine/port.ts';
import type { CaseKeys } from './case-keys.ts';

/**
 * Keeps the `task` table (the inbox) in step with the engine's user tasks, in the same transaction: a task
 * row joined with its case's town, category, source and urgency, and its candidate groups, so every inbox
 * filter is plain indexed SQL.
 */
export function taskProjectionExporter(caseKeys: CaseKeys, dialect: 'sqlite' | 'mysql'): Exporter {
  return {
    name: 'task-projection',
    export: async (events, { sql }) => {
      const taskEvents = events.filter((e) => e.intent.startsWith('USER_TASK_'));
      if (taskEvents.length === 0) return;
      const cases = await caseKeys.resolve(taskEvents, sql);
      for (const e of taskEvents) await apply(e, cases.get(e.processInstanceKey) ?? null, sql, dialect);
    },
  };
}

type Sql = Parameters<Exporter['export']>[1]['sql'];

/** `task_candidate.due_order` of a task without a due date: after every date (migration 0009). */
export const NO_DUE = 8_640_000_000_000_000;

/** A task's place in "most urgent first": its due time, or NO_DUE. */
export const dueOrder = (dueAt: number | null): number => dueAt ?? NO_DUE;

/** Offers a task to its groups, in due order. */
async function insertCandidates(sql: Sql, key: number, groups: readonly string[], dueAt: number | null) {
  if (groups.length === 0) return;
  await sql.run(
    `INSERT INTO task_candidate (user_task_key, group_name, due_order) VALUES ${groups.map(() => '(?, ?, ?)').join(', ')}`,
    groups.flatMap((g) => [key, g, dueOrder(dueAt)]),
  );
}

async function apply(
  e: HistoryEvent,
  caseId: number | null,
  sql: Sql,
  dialect: 'sqlite' | 'mysql',
): Promise<void> {
  const p = e.payload as Record<string, unknown>;
  const key = Number(p.userTaskKey);
  const at = Date.parse(e.timestamp);
  switch (e.intent) {
    case 'USER_TASK_CREATED': {
      const dueAt = p.dueDate ? Date.parse(String(p.dueDate)) : null;
      // The case's columns come from the case row inside the statement (no read first: the exporters'
      // writes go out with the COMMIT, and a read would send them early). A task of no case gets nulls.
      await sql.run(
        `INSERT INTO task (user_task_key, case_id, process_instance_key, element_id, name, state, assignee, form_key, due_at, created_at,
           town_id, category_id, source, urgency, case_no)
         SELECT ?, ?, ?, ?, ?, 'CREATED', ?, ?, ?, ?, c.town_id, c.category_id, c.source, c.urgency, c.case_no
           FROM (SELECT 1 AS one) x LEFT JOIN cases c ON c.id = ?`,
        [
          key,
          caseId,
          Number(e.processInstanceKey),
          e.elementId ?? '',
          (p.name as string | null) ?? null,
          (p.assignee as string | null) ?? null,
          (p.formKey as string | null) ?? null,
          dueAt,
          at,
          caseId,
        ],
      );
      const groups = [...new Set((p.candidateGroups as string[] | undefined) ?? [])];
      await insertCandidates(sql, key, groups, dueAt);
      if (caseId != null) await addParties(sql, dialect, caseId, groups);
      return;
    }
    case 'USER_TASK_ASSIGNED':
      await sql.run('UPDATE task SET assignee = ? WHERE user_task_key = ?', [p.assignee ?? null, key]);
      return;
    case 'USER_TASK_UNASSIGNED':
      await sql.run('UPDATE task SET assignee = NULL WHERE user_task_key = ?', [key]);
      return;
    case 'USER_TASK_UPDATED': {
      const changes = (p.changes ?? {}) as Record<string, unknown>;
      if ('dueDate' in changes) {
        const dueAt = changes.dueDate ? Date.parse(String(changes.dueDate)) : null;
        await sql.run('UPDATE task SET due_at = ? WHERE user_task_key = ?', [dueAt, key]);
        await sql.run('UPDATE task_candidate SET due_order = ? WHERE user_task_key = ?', [
          dueOrder(dueAt),
          key,
        ]);
      }
      if (Array.isArray(changes.candidateGroups)) {
        await sql.run('DELETE FROM task_candidate WHERE user_task_key = ?', [key]);
        const groups = [...new Set(changes.candidateGroups as string[])];
        const [task] = await sql.all<{ due_at: number | string | null }>(
          'SELECT due_at FROM task WHERE user_task_key = ?',
          [key],
        );
        await insertCandidates(sql, key, groups, task?.due_at == null ? null : Number(task.due_at));
        if (caseId != null) await addParties(sql, dialect, caseId, groups);
      }
      return;
    }
    case 'USER_TASK_COMPLETED':
      await sql.run(
        "UPDATE task SET state = 'COMPLETED', completed_at = ?, action = ?, completed_by = ? WHERE user_task_key = ?",
        [at, (p.action as string | null) ?? null, e.actor ?? null, key],
      );
      await sql.run('UPDATE task_candidate SET open = 0 WHERE user_task_key = ?', [key]);
      return;
    case 'USER_TASK_CANCELED':
      await sql.run(
        "UPDATE task SET state = 'CANCELED', completed_at = ? WHERE user_task_key = ? AND state = 'CREATED'",
        [at, key],
      );
      await sql.run('UPDATE task_candidate SET open = 0 WHERE user_task_key = ?', [key]);
      return;
  }
}

/**
 * Records the units a task of the case is offered to (`unit:<id>:<role>` groups) in `case_party`, which the
 * case scope reads ("offered to my unit", migration 0008), with the case's acceptance time and status (0010),
 * taken from the case row in the statement. A unit already there stays as it is.
 */
async function addParties(
  sql: Sql,
  dialect: 'sqlite' | 'mysql',
  caseId: number,
  groups: readonly string[],
): Promise<void> {
  const units = [...new Set(groups.map((g) => /^unit:(\d+):/.exec(g)?.[1]).filter((u) => u != null))].map(
    Number,
  );
  if (units.length === 0) return;
  const unitRows = units.map((_, i) => (i === 0 ? 'SELECT ? AS unit_id' : 'SELECT ?')).join(' UNION ALL ');
  // SQLite reads "ON CONFLICT" after INSERT … SELECT only when the SELECT has a WHERE clause (it has).
  await sql.run(
    `INSERT INTO case_party (unit_id, case_id, accepted_at, status)
       SELECT u.unit_id, c.id, c.accepted_at, c.status FROM cases c CROSS JOIN (${unitRows}) u WHERE c.id = ?
       ${dialect === 'sqlite' ? 'ON CONFLICT DO NOTHING' : 'ON DUPLICATE KEY UPDATE case_id = case_party.case_id'}`,
    [...units, caseId],
  );
}
