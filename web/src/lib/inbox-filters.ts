// Pure: the task inbox's filters and their place in the URL query, so a dispatcher's view survives a reload,
// a bookmark and the back button. No DOM, no React (test/web/inbox-filters.test.ts).
import { CASE_SOURCES } from '../../../common/case-vocabulary.ts';

/** Whose tasks: held by me, offered to my groups and unclaimed, or both. */
export const INBOX_VIEWS = ['all', 'mine', 'groups'] as const;
/** Inbox sort orders the API offers. */
export const INBOX_SORTS = ['due', 'created'] as const;
export { CASE_SOURCES };
/** Page sizes the inbox table offers. */
export const PAGE_SIZES = [20, 50, 100, 200] as const;
/** "Due soon" means due within this many hours. */
export const DUE_SOON_HOURS = 4;

/** The inbox filters as the page uses them. */
export interface InboxFilters {
  view: (typeof INBOX_VIEWS)[number];
  townId?: number;
  categoryId?: number;
  source?: (typeof CASE_SOURCES)[number];
  overdue: boolean;
  dueSoon: boolean;
  sort: (typeof INBOX_SORTS)[number];
  page: number;
  pageSize: number;
}

/** The filters of an inbox opened without a query. */
export const DEFAULT_INBOX_FILTERS: Readonly<InboxFilters> = Object.freeze({
  view: 'all',
  overdue: false,
  dueSoon: false,
  sort: 'due',
  page: 1,
  pageSize: 50,
});

const positiveInt = (v: string | null): number | undefined => {
  if (v == null || !/^\d{1,9}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
};

const oneOf = <T extends string>(list: readonly T[], v: string | null): T | undefined =>
  list.find((x) => x === v);

const flag = (v: string | null): boolean => v === '1' || v === 'true';

/**
 * Reads the filters from a URL query (`?view=mine&town=15&overdue=1`). Whatever is missing or malformed falls
 * back to the default, so a hand-edited or stale link still opens an inbox.
 */
export function filtersFromSearch(search: string | URLSearchParams): InboxFilters {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const d = DEFAULT_INBOX_FILTERS;
  const pageSize = positiveInt(q.get('pageSize'));
  const f: InboxFilters = {
    view: oneOf(INBOX_VIEWS, q.get('view')) ?? d.view,
    overdue: flag(q.get('overdue')),
    dueSoon: flag(q.get('dueSoon')),
    sort: oneOf(INBOX_SORTS, q.get('sort')) ?? d.sort,
    page: positiveInt(q.get('page')) ?? d.page,
    pageSize: PAGE_SIZES.find((s) => s === pageSize) ?? d.pageSize,
  };
  const townId = positiveInt(q.get('town'));
  if (townId !== undefined) f.townId = townId;
  const categoryId = positiveInt(q.get('category'));
  if (categoryId !== undefined) f.categoryId = categoryId;
  const source = oneOf(CASE_SOURCES, q.get('source'));
  if (source !== undefined) f.source = source;
  return f;
}

/**
 * Writes the filters as a URL query, in a fixed order and leaving out defaults, so equal filters give equal
 * URLs (`filtersFromSearch(searchFromFilters(f))` is `f`). Returns '' for the defaults, else `?…`.
 */
export function searchFromFilters(f: InboxFilters): string {
  const d = DEFAULT_INBOX_FILTERS;
  const q = new URLSearchParams();
  if (f.view !== d.view) q.set('view', f.view);
  if (f.townId != null) q.set('town', String(f.townId));
  if (f.categoryId != null) q.set('category', String(f.categoryId));
  if (f.source) q.set('source', f.source);
  if (f.overdue) q.set('overdue', '1');
  if (f.dueSoon) q.set('dueSoon', '1');
  if (f.sort !== d.sort) q.set('sort', f.sort);
  if (f.page !== d.page) q.set('page', String(f.page));
  if (f.pageSize !== d.pageSize) q.set('pageSize', String(f.pageSize));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/**
 * Changes some filters; any change other than the page itself goes back to page 1 (the old page may not exist
 * under the new filters).
 */
export function withFilters(f: InboxFilters, change: Partial<InboxFilters>): InboxFilters {
  const next: InboxFilters = { ...f, ...change };
  for (const k of Object.keys(change) as (keyof InboxFilters)[]) if (change[k] === undefined) delete next[k];
  if (!('page' in change)) next.page = 1;
  return next;
}

/** The query of `GET /api/tasks` for the filters (server/http/routes/task.routes.ts InboxSchema). */
export function inboxApiQuery(f: InboxFilters): string {
  const q = new URLSearchParams({
    view: f.view,
    sort: f.sort,
    page: String(f.page),
    pageSize: String(f.pageSize),
  });
  if (f.townId != null) q.set('townId', String(f.townId));
  if (f.categoryId != null) q.set('categoryId', String(f.categoryId));
  if (f.source) q.set('source', f.source);
  if (f.overdue) q.set('overdue', 'true');
  if (f.dueSoon) q.set('dueWithinHours', String(DUE_SOON_HOURS));
  return q.toString();
}
