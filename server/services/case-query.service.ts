import { QueryTypes, type Sequelize } from 'sequelize';
import { maskPhone } from '../../common/mask.ts';
import { NotFoundError } from '../../common/errors.ts';
import type { Principal } from './auth.service.ts';
import type { CaseView, TimelineEntry } from '../schemas/views.ts';
import { caseScope } from './scope.service.ts';

export type { CaseView, TimelineEntry };

/** Case search filters (案件查询). */
export interface CaseQuery {
  status?: string;
  townId?: number;
  categoryId?: number;
  source?: string;
  /** Case number or words of the description. */
  q?: string;
  /** Accepted from/to (ISO). */
  from?: string;
  to?: string;
  page: number;
  pageSize: number;
}

const iso = (ms: unknown): string | null => (ms == null ? null : new Date(Number(ms)).toISOString());

function toView(r: Record<string, unknown>): CaseView {
  return {
    id: Number(r.id),
    caseNo: String(r.case_no),
    source: String(r.source),
    sourceTicketId: (r.source_ticket_id as string | null) ?? null,
    reporterName: (r.reporter_name as string | null) ?? null,
    reporterPhone: maskPhone(r.reporter_phone as string | null),
    description: String(r.description),
    address: (r.address as string | null) ?? null,
    lng: r.lng == null ? null : Number(r.lng),
    lat: r.lat == null ? null : Number(r.lat),
    gridId: r.grid_id == null ? null : Number(r.grid_id),
    villageId: r.village_id == null ? null : Number(r.village_id),
    townId: r.town_id == null ? null : Number(r.town_id),
    categoryId: r.category_id == null ? null : Number(r.category_id),
    categoryName: (r.category_name as string | null) ?? null,
    urgency: String(r.urgency),
    status: String(r.status),
    majorEmergency: Boolean(Number(r.major_emergency)),
    processInstanceKey: r.process_instance_key == null ? null : String(r.process_instance_key),
    duplicateOfId: r.duplicate_of_id == null ? null : Number(r.duplicate_of_id),
    handlingUnitId: r.handling_unit_id == null ? null : Number(r.handling_unit_id),
    satisfaction: (r.satisfaction as string | null) ?? null,
    acceptedAt: iso(r.accepted_at),
    registeredAt: iso(r.registered_at),
    dispatchedAt: iso(r.dispatched_at),
    handledAt: iso(r.handled_at),
    verifiedAt: iso(r.verified_at),
    closedAt: iso(r.closed_at),
    handleDueAt: iso(r.handle_due_at),
  };
}

const COLUMNS = 'c.*, cat.name AS category_name';
/** What caseNumber() makes: YZ, the day (8 digits), the id (6 digits or more). */
const CASE_NO = /^YZ\d{14,}$/i;
const FROM = 'cases c LEFT JOIN category cat ON cat.id = c.category_id';

/** Searches the cases in the user's scope, newest first. */
export async function searchCases(
  sequelize: Sequelize,
  p: Principal,
  q: CaseQuery,
): Promise<{ items: CaseView[]; total: number }> {
  const scope = caseScope(p);
  const where = [scope.where];
  const params = [...scope.params];
  const add = (clause: string, ...values: unknown[]): void => {
    where.push(clause);
    params.push(...values);
  };
  if (q.status) add('c.status = ?', q.status);
  if (q.townId != null) add('c.town_id = ?', q.townId);
  if (q.categoryId != null) add('c.category_id = ?', q.categoryId);
  if (q.source) add('c.source = ?', q.source);
  if (q.from) add('c.accepted_at >= ?', Date.parse(q.from));
  if (q.to) add('c.accepted_at < ?', Date.parse(q.to));
  if (q.q && CASE_NO.test(q.q)) {
    // A case number: the unique index finds it, where `description LIKE '%…%'` reads every case.
    add('c.case_no = ?', q.q.toUpperCase());
  } else if (q.q) {
    // '!' escapes LIKE's wildcards on both SQLite (no default escape) and MySQL.
    where.push("(c.case_no = ? OR c.description LIKE ? ESCAPE '!')");
    params.push(q.q, `%${q.q.replace(/[%_!]/g, (m) => `!${m}`)}%`);
  }
  const whereSql = where.join(' AND ');
  const [rows, count] = await Promise.all([
    sequelize.query<Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE ${whereSql} ORDER BY c.accepted_at DESC, c.id DESC LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`,
      { replacements: params, type: QueryTypes.SELECT },
    ),
    sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM cases c WHERE ${whereSql}`, {
      replacements: params,
      type: QueryTypes.SELECT,
    }),
  ]);
  return { items: rows.map(toView), total: Number(count[0].n) };
}

/** A case in the user's scope with its timeline; a case outside the scope is "not found" (nothing leaks). */
export async function caseDetail(
  sequelize: Sequelize,
  p: Principal,
  id: number,
): Promise<{ case: CaseView; timeline: TimelineEntry[]; attachments: unknown[] }> {
  const scope = caseScope(p);
  const rows = await sequelize.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE c.id = ? AND ${scope.where}`,
    {
      replacements: [id, ...scope.params],
      type: QueryTypes.SELECT,
    },
  );
  if (rows.length === 0) throw new NotFoundError('CASE_NOT_FOUND', `No case ${id} for you`);
  const view = toView(rows[0]);
  const tasks = await sequelize.query<{
    name: string | null;
    element_id: string;
    state: string;
    action: string | null;
    completed_by: string | null;
    created_at: number | string;
    completed_at: number | string | null;
  }>(
    'SELECT name, element_id, state, action, completed_by, created_at, completed_at FROM task WHERE case_id = ? ORDER BY created_at, user_task_key',
    { replacements: [id], type: QueryTypes.SELECT },
  );
  const timeline: TimelineEntry[] = [];
  if (view.acceptedAt)
    timeline.push({ at: view.acceptedAt, kind: 'case', title: '受理', action: view.source, actor: null });
  for (const t of tasks) {
    timeline.push({
      at: iso(t.completed_at ?? t.created_at)!,
      kind: 'task',
      title: t.name ?? t.element_id,
      action: t.action,
      actor: t.completed_by,
      state: t.state,
    });
  }
  if (view.closedAt)
    timeline.push({
      at: view.closedAt,
      kind: 'case',
      title: view.status === 'merged' ? '合并' : '结案',
      action: view.status,
      actor: null,
    });
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  const files = await sequelize.query<{
    id: number;
    fileName: string;
    contentType: string;
    sizeBytes: number;
    createdAt: string | Date;
  }>(
    'SELECT id, file_name AS fileName, content_type AS contentType, size_bytes AS sizeBytes, created_at AS createdAt FROM attachment WHERE case_id = ? ORDER BY id',
    { replacements: [id], type: QueryTypes.SELECT },
  );
  // SQLite hands back the timestamp as text, MySQL as a Date: both leave here as ISO 8601.
  const attachments = files.map((a) => ({
    ...a,
    sizeBytes: Number(a.sizeBytes),
    createdAt: new Date(a.createdAt).toISOString(),
    url: `/api/attachments/${a.id}`,
  }));
  return { case: view, timeline, attachments };
}
