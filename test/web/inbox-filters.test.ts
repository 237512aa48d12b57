import test from 'ava';
import {
  DEFAULT_INBOX_FILTERS,
  type InboxFilters,
  filtersFromSearch,
  inboxApiQuery,
  searchFromFilters,
  withFilters,
} from '../../web/src/lib/inbox-filters.ts';

test('an inbox opened without a query shows every task sorted by due date', (t) => {
  t.deepEqual(filtersFromSearch(''), { ...DEFAULT_INBOX_FILTERS });
  t.is(searchFromFilters({ ...DEFAULT_INBOX_FILTERS }), '');
});

test('every filter survives the trip through the URL', (t) => {
  const f: InboxFilters = {
    view: 'groups',
    townId: 15,
    categoryId: 20,
    source: 'hotline_12345',
    overdue: true,
    dueSoon: true,
    sort: 'created',
    page: 3,
    pageSize: 100,
  };
  const search = searchFromFilters(f);
  t.is(
    search,
    '?view=groups&town=15&category=20&source=hotline_12345&overdue=1&dueSoon=1&sort=created&page=3&pageSize=100',
  );
  t.deepEqual(filtersFromSearch(search), f);
  t.deepEqual(filtersFromSearch(new URLSearchParams(search.slice(1))), f);
});

test('malformed or unknown values in a hand-edited link fall back to the defaults', (t) => {
  const f = filtersFromSearch(
    '?view=everyone&town=-3&category=abc&source=fax&overdue=yes&sort=random&page=0&pageSize=7',
  );
  t.deepEqual(f, { ...DEFAULT_INBOX_FILTERS });
});

test('the same filters always give the same URL, whatever order the query had', (t) => {
  const a = searchFromFilters(filtersFromSearch('?overdue=1&town=4'));
  const b = searchFromFilters(filtersFromSearch('?town=4&overdue=true'));
  t.is(a, b);
  t.is(a, '?town=4&overdue=1');
});

test('changing a filter goes back to page 1, changing the page does not', (t) => {
  const f = filtersFromSearch('?town=4&page=5');
  t.is(withFilters(f, { overdue: true }).page, 1);
  t.is(withFilters(f, { page: 6 }).page, 6);
});

test('clearing a filter removes it from the URL', (t) => {
  const f = withFilters(filtersFromSearch('?town=4&category=9'), { townId: undefined });
  t.false('townId' in f);
  t.is(searchFromFilters(f), '?category=9');
});

test('the API query names the server parameters and turns "due soon" into a window in hours', (t) => {
  const q = new URLSearchParams(inboxApiQuery(filtersFromSearch('?view=mine&town=4&dueSoon=1&overdue=1')));
  t.is(q.get('view'), 'mine');
  t.is(q.get('townId'), '4');
  t.is(q.get('overdue'), 'true');
  t.is(q.get('dueWithinHours'), '4');
  t.is(q.get('sort'), 'due');
  t.is(q.get('pageSize'), '50');
  t.is(q.get('town'), null);
});
