import test from 'ava';
import { homeFor, menuFor, prefersMobile } from '../../web/src/lib/menu.ts';

test('a city dispatcher gets the inbox, intake and case search', (t) => {
  t.deepEqual(menuFor(['dispatcher']), ['tasks', 'intake', 'cases']);
  t.is(homeFor(['dispatcher']), 'tasks');
});

test('a grid worker gets the inbox, the report page and case search, on the phone layout', (t) => {
  t.deepEqual(menuFor(['grid_worker']), ['tasks', 'report', 'cases']);
  t.true(prefersMobile(['grid_worker']));
  t.false(prefersMobile(['grid_worker', 'dispatcher']));
});

test('handlers and supervisors get the inbox but not intake', (t) => {
  t.deepEqual(menuFor(['handler']), ['tasks', 'cases']);
  t.deepEqual(menuFor(['supervisor']), ['tasks', 'cases']);
});

test('auditors and leaders, who have no tasks, land on case search', (t) => {
  t.deepEqual(menuFor(['auditor']), ['cases', 'processes', 'incidents']);
  t.is(homeFor(['leader']), 'cases');
  t.deepEqual(menuFor([]), []);
  t.is(homeFor([]), null);
});

test('administrators and auditors get 流程管理 and 异常; no one else does', (t) => {
  t.deepEqual(menuFor(['admin']), ['cases', 'processes', 'incidents']);
  t.deepEqual(menuFor(['auditor']).slice(1), ['processes', 'incidents']);
  t.false(menuFor(['dispatcher', 'handler', 'leader']).includes('processes'));
});
