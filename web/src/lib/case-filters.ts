// Pure: the case search's filters (案件查询) and their place in the URL query (test/web/case-filters.test.ts).
import { CASE_SOURCES } from './inbox-filters.ts';

/** Case statuses, in lifecycle order (server/services/case-stage.service.ts). */
export const CASE_STATUSES = [
  'new',
  'accepted',
  'registered',
  'dispatched',
  'handling',
  'returned',
  'parked',
  'handled',
  'verified',
  'closed',
  'voided',
  'merged',
] as const;

/** Statuses of a case that is still being worked on (a duplicate can only be of one of these). */
export const OPEN_CASE_STATUSES: readonly string[] = CASE_STATUSES.filter(
  (s) => !['closed', 'voided', 'merged'].includes(s),
);

/** The case search filters; dates are calendar days (YYYY-MM-DD, China time), both ends included. */
export interface CaseFilters {
  status?: (typeof CASE_STATUSES)[number];
  townId?: number;
  categoryId?: number;
  source?: (typeof CASE_SOURCES)[number];
  q?: string;
  from?: string;
  to?: string;
  page: number;
  pageSize: number;
}

/** The filters of a search opened without a query. */
export const DEFAULT_CASE_FILTERS: Readonly<CaseFilters> = Object.freeze({ page: 1, pageSize: 20 });

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const positiveInt = (v: string | null): number | undefined =>
  v != null && /^\d{1,9}$/.test(v) && Number(v) > 0 ? Number(v) : undefined;

const day = (v: string | null): string | undefined =>
  v != null && DAY.test(v) && Number.isFinite(Date.parse(`${v}T00:00:00Z`)) ? v : undefined;

/** Reads the filters from the URL query; malformed values are dropped. */
export function caseFiltersFromSearch(search: string | URLSearchParams): CaseFilters {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const f: CaseFilters = {
    page: positiveInt(q.get('page')) ?? DEFAULT_CASE_FILTERS.page,
    pageSize: Math.min(positiveInt(q.get('pageSize')) ?? DEFAULT_CASE_FILTERS.pageSize, 200),
  };
  const status = CASE_STATUSES.find((s) => s === q.get('status'));
  if (status) f.status = status;
  const source = CASE_SOURCES.find((s) => s === q.get('source'));
  if (source) f.source = source;
  const townId = positiveInt(q.get('town'));
  if (townId) f.townId = townId;
  const categoryId = positiveInt(q.get('category'));
  if (categoryId) f.categoryId = categoryId;
  const text = q.get('q')?.trim();
  if (text) f.q = text.slice(0, 100);
  const from = day(q.get('from'));
  if (from) f.from = from;
  const to = day(q.get('to'));
  if (to) f.to = to;
  return f;
}

/** Writes the filters as a URL query in a fixed order, leaving out defaults ('' or `?…`). */
export function searchFromCaseFilters(f: CaseFilters): string {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  if (f.townId != null) q.set('town', String(f.townId));
  if (f.categoryId != null) q.set('category', String(f.categoryId));
  if (f.source) q.set('source', f.source);
  if (f.q) q.set('q', f.q);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.page !== DEFAULT_CASE_FILTERS.page) q.set('page', String(f.page));
  if (f.pageSize !== DEFAULT_CASE_FILTERS.pageSize) q.set('pageSize', String(f.pageSize));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** The start of a China-time calendar day as an ISO instant (UTC, as the API's `z.iso.datetime()` takes it). */
export function chinaDayStart(dayText: string): string {
  return new Date(`${dayText}T00:00:00+08:00`).toISOString();
}

/** The instant a China-time day ends (the next day's start): the API's `to` is exclusive. */
export function chinaDayEnd(dayText: string): string {
  return new Date(Date.parse(`${dayText}T00:00:00+08:00`) + 86_400_000).toISOString();
}

/** The query of `GET /api/cases` (server/http/routes/case.routes.ts CaseSearchSchema), with another page if given. */
export function casesApiQuery(f: CaseFilters, page = f.page, pageSize = f.pageSize): string {
  const q = new URLSearchParams({ page: String(page), pageSize: String(pageSize) });
  if (f.status) q.set('status', f.status);
  if (f.townId != null) q.set('townId', String(f.townId));
  if (f.categoryId != null) q.set('categoryId', String(f.categoryId));
  if (f.source) q.set('source', f.source);
  if (f.q) q.set('q', f.q);
  if (f.from) q.set('from', chinaDayStart(f.from));
  if (f.to) q.set('to', chinaDayEnd(f.to));
  return q.toString();
}
