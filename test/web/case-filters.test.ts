import test from 'ava';
import {
  type CaseFilters,
  caseFiltersFromSearch,
  casesApiQuery,
  chinaDayEnd,
  chinaDayStart,
  searchFromCaseFilters,
} from '../../web/src/lib/case-filters.ts';

test('case search filters survive the trip through the URL', (t) => {
  const f: CaseFilters = {
    status: 'closed',
    townId: 15,
    categoryId: 20,
    source: 'grid_report',
    q: '垃圾',
    from: '2026-11-01',
    to: '2026-11-27',
    page: 2,
    pageSize: 50,
  };
  t.deepEqual(caseFiltersFromSearch(searchFromCaseFilters(f)), f);
});

test('bad dates, statuses and page sizes are dropped or capped', (t) => {
  const f = caseFiltersFromSearch('?status=lost&from=2026-13-45&to=yesterday&pageSize=5000&q=%20%20');
  t.deepEqual(f, { page: 1, pageSize: 200 });
});

test('calendar days are China-time days, and the end day is included', (t) => {
  t.is(chinaDayStart('2026-11-27'), '2026-11-26T16:00:00.000Z');
  t.is(chinaDayEnd('2026-11-27'), '2026-11-27T16:00:00.000Z');
  const q = new URLSearchParams(
    casesApiQuery({ from: '2026-11-27', to: '2026-11-27', page: 1, pageSize: 20 }),
  );
  t.is(q.get('from'), '2026-11-26T16:00:00.000Z');
  t.is(q.get('to'), '2026-11-27T16:00:00.000Z');
});

test('the API query can ask for another page of the same filters (for the CSV export)', (t) => {
  const q = new URLSearchParams(casesApiQuery({ status: 'handling', page: 1, pageSize: 20 }, 3, 200));
  t.is(q.get('page'), '3');
  t.is(q.get('pageSize'), '200');
  t.is(q.get('status'), 'handling');
});
