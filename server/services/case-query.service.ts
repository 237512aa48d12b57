import type { Sequelize } from 'sequelize';
import { maskPhone } from '../../common/mask.ts';
import { directSql } from '../../db/sequelize-sql.ts';
import { NotFoundError } from '../../common/errors.ts';
import type { Principal } from './auth.service.ts';
import type { CaseView, TimelineEntry } from '../schemas/views.ts';
import { OFFERED_TO_UNIT, type SqlScope, caseScope, caseScopeBranches } from './scope.service.ts';

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

/** Counts stop here: beyond it the API says "more than 10 000" (`totalCapped`) instead of counting on. */
export const COUNT_CAP = 10_000;

const NEWEST = 'ORDER BY c.accepted_at DESC, c.id DESC';
const STATUS_FILTER = 'c.status = ?';

/**
 * Searches the cases in the user's scope, newest first. Each branch of the scope (scope.service.ts) gives its
 * newest `page × pageSize` matches in the order of its index, and the page is cut from their union: every
 * branch reads a few index entries, where one OR of all of them read every case (migration 0008). The total
 * is counted to COUNT_CAP.
 */
export async function searchCases(
  sequelize: Sequelize,
  p: Principal,
  q: CaseQuery,
): Promise<{ items: CaseView[]; total: number; totalCapped: boolean }> {
  const filters: string[] = [];
  const filterParams: unknown[] = [];
  const add = (clause: string, ...values: unknown[]): void => {
    filters.push(clause);
    filterParams.push(...values);
  };
  if (q.status) add(STATUS_FILTER, q.status);
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
    add(
      "(c.case_no = ? OR c.description LIKE ? ESCAPE '!')",
      q.q,
      `%${q.q.replace(/[%_!]/g, (m) => `!${m}`)}%`,
    );
  }
  const sql = directSql(sequelize);
  const offset = (q.page - 1) * q.pageSize;
  const branches = caseScopeBranches(p);
  if (!branches) {
    const where = filters.length > 0 ? filters.join(' AND ') : '1 = 1';
    const [rows, count] = await Promise.all([
      sql.all<Record<string, unknown>>(
        `SELECT ${COLUMNS} FROM ${FROM} WHERE ${where} ${NEWEST} LIMIT ${q.pageSize} OFFSET ${offset}`,
        filterParams,
      ),
      sql.all<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM cases c WHERE ${where} LIMIT ${COUNT_CAP + 1}) capped`,
        filterParams,
      ),
    ]);
    return page(rows, Number(count[0].n));
  }
  const parts = branches.map((b) => branchSql(b, filters, sql.dialect));
  const paramsOf = (i: number): unknown[] => [...branches[i].params, ...filterParams];
  const params = branches.flatMap((_, i) => paramsOf(i));
  const newest = parts.map(
    (part, i) => `SELECT * FROM (${part.sql} ${part.order} LIMIT ${offset + q.pageSize}) b${i}`,
  );
  // From the merged keys to the rows, in that order (CROSS JOIN / STRAIGHT_JOIN: see task.service inbox).
  const join = sql.dialect === 'sqlite' ? 'CROSS JOIN' : 'STRAIGHT_JOIN';
  const rows = sql.all<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM (${newest.join(' UNION ')}) x ${join} cases c ON c.id = x.id
      LEFT JOIN category cat ON cat.id = c.category_id ${NEWEST} LIMIT ${q.pageSize} OFFSET ${offset}`,
    params,
  );
  rows.catch(() => undefined); // awaited below; a failing count must not leave it unhandled
  // The count: when the first branch (the unit's territory or what it handles) alone passes the cap, the
  // union cannot be smaller, and de-duplicating 10 000 ids of every branch is what would cost.
  const capped = parts.map((part, i) => `SELECT id FROM (${part.sql} LIMIT ${COUNT_CAP + 1}) k${i}`);
  const first = await sql.all<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM (${capped[0]}) capped`,
    paramsOf(0),
  );
  const n =
    Number(first[0].n) > COUNT_CAP || capped.length === 1
      ? Number(first[0].n)
      : Number(
          (
            await sql.all<{ n: number | string }>(
              `SELECT COUNT(*) AS n FROM (${capped.join(' UNION ')} LIMIT ${COUNT_CAP + 1}) capped`,
              params,
            )
          )[0].n,
        );
  return page(await rows, n);
}

function page(
  rows: Record<string, unknown>[],
  n: number,
): { items: CaseView[]; total: number; totalCapped: boolean } {
  return { items: rows.map(toView), total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
}

/** One branch of the scope with the filters: its matching ids, and the order its index gives them in. */
function branchSql(
  b: SqlScope,
  filters: readonly string[],
  dialect: 'sqlite' | 'mysql',
): { sql: string; order: string } {
  if (b.where !== OFFERED_TO_UNIT) {
    return {
      sql: `SELECT c.id, c.accepted_at FROM cases c WHERE ${[b.where, ...filters].join(' AND ')}`,
      order: NEWEST,
    };
  }
  if (filters.length === 0) {
    // Driven from the unit's range of case_party (unit_id, accepted_at, case_id), newest first.
    return {
      sql: 'SELECT c.id, c.accepted_at FROM case_party cp CROSS JOIN cases c ON c.id = cp.case_id WHERE cp.unit_id = ?',
      order: 'ORDER BY cp.accepted_at DESC, cp.case_id DESC',
    };
  }
  if (filters.includes(STATUS_FILTER)) {
    // With a status: the unit's range of (unit_id, status, accepted_at, case_id) (migration 0010), the other
    // filters checked on each case. The status is case_party's, written with the case's.
    const rest = filters.map((f) => (f === STATUS_FILTER ? 'cp.status = ?' : f));
    return {
      sql: `SELECT c.id, c.accepted_at FROM case_party cp ${dialect === 'sqlite' ? 'CROSS JOIN' : 'STRAIGHT_JOIN'} cases c ON c.id = cp.case_id WHERE cp.unit_id = ? AND ${rest.join(' AND ')}`,
      order: 'ORDER BY cp.accepted_at DESC, cp.case_id DESC',
    };
  }
  // With filters, from the cases the filters' indexes find, each checked against case_party's key: a town
  // was offered nearly all of its ~100 000 cases, and reading them all to find the handling ones is slower.
  return {
    sql: `SELECT c.id, c.accepted_at FROM cases c WHERE EXISTS (SELECT 1 FROM case_party cp WHERE cp.unit_id = ? AND cp.case_id = c.id) AND ${filters.join(' AND ')}`,
    order: NEWEST,
  };
}

/** A case in the user's scope with its timeline; a case outside the scope is "not found" (nothing leaks). */
export async function caseDetail(
  sequelize: Sequelize,
  p: Principal,
  id: number,
): Promise<{ case: CaseView; timeline: TimelineEntry[]; attachments: unknown[] }> {
  const scope = caseScope(p);
  const sql = directSql(sequelize);
  const rows = await sql.all<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE c.id = ? AND ${scope.where}`,
    [id, ...scope.params],
  );
  if (rows.length === 0) throw new NotFoundError('CASE_NOT_FOUND', `No case ${id} for you`);
  const view = toView(rows[0]);
  const tasks = await sql.all<{
    name: string | null;
    element_id: string;
    state: string;
    action: string | null;
    completed_by: string | null;
    created_at: number | string;
    completed_at: number | string | null;
  }>(
    'SELECT name, element_id, state, action, completed_by, created_at, completed_at FROM task WHERE case_id = ? ORDER BY created_at, user_task_key',
    [id],
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
  const files = await sql.all<{
    id: number;
    fileName: string;
    contentType: string;
    sizeBytes: number;
    createdAt: string | Date;
  }>(
    'SELECT id, file_name AS fileName, content_type AS contentType, size_bytes AS sizeBytes, created_at AS createdAt FROM attachment WHERE case_id = ? ORDER BY id',
    [id],
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
