import test from 'ava';
import {
  type OrgPickNode,
  type OrgTreeUnit,
  dispatchKindOf,
  dispatchTree,
  isDispatchTarget,
  targetIds,
  unitsById,
} from '../../web/src/lib/org-tree.ts';

// A small city shaped like the demo seed: the city centre over its departments and two towns, each town over
// its stations (villages, communities), its departments and its joint team.
let nextOrder = 0;
const unit = (
  id: number,
  name: string,
  level: OrgTreeUnit['level'],
  kind: OrgTreeUnit['kind'],
  parentId: number | null,
  children: OrgTreeUnit[] = [],
  active = true,
): OrgTreeUnit => ({
  id,
  code: String(id),
  name,
  level,
  kind,
  parentId,
  sortOrder: nextOrder++,
  active,
  children,
});

const CITY: OrgTreeUnit[] = [
  unit(1, '仪征市网格化服务管理中心', 'city', 'centre', null, [
    unit(2, '市城管局', 'city', 'department', 1),
    unit(3, '市生态环境局', 'city', 'department', 1),
    unit(4, '市撤并办', 'city', 'department', 1, [], false),
    unit(10, '真州镇', 'town', 'centre', 1, [
      unit(11, '胥浦社区', 'village', 'station', 10),
      unit(12, '大庆社区', 'village', 'station', 10),
      unit(13, '真州镇综合执法局', 'town', 'department', 10),
      unit(14, '真州镇联合执法队', 'town', 'joint_team', 10),
    ]),
    unit(20, '新集镇', 'town', 'centre', 1, [
      unit(21, '八里村', 'village', 'station', 20),
      unit(22, '新集镇综合执法局', 'town', 'department', 20),
    ]),
  ]),
];

const titles = (nodes: readonly OrgPickNode[]): unknown =>
  nodes.map((n) => (n.children ? { [n.title]: titles(n.children) } : n.title));

test('一级分拨 offers the towns and the city departments, under the city centre, and nothing below a town', (t) => {
  // when the city centre dispatches
  const tree = dispatchTree(CITY, { level: 'city' });

  // then the tree is the city centre (not selectable) over its active departments and its towns
  t.deepEqual(titles(tree), [{ 仪征市网格化服务管理中心: ['市城管局', '市生态环境局', '真州镇', '新集镇'] }]);
  t.false(tree[0].selectable);
  t.deepEqual(targetIds(tree), [2, 3, 10, 20]);
});

test('二级分拨 offers the town’s stations, departments and joint team, with the town on top and no other town', (t) => {
  // when 真州镇 dispatches
  const tree = dispatchTree(CITY, { level: 'town', townId: 10 });

  // then the city above is skipped, the town is shown but not selectable, and only its own units are offered
  t.deepEqual(titles(tree), [{ 真州镇: ['胥浦社区', '大庆社区', '真州镇综合执法局', '真州镇联合执法队'] }]);
  t.false(tree[0].selectable);
  t.deepEqual(targetIds(tree), [11, 12, 13, 14]);
});

test('a case without a town may go to any department or joint team, as the server offers', (t) => {
  const tree = dispatchTree(CITY, { level: 'town', townId: null });
  t.deepEqual(targetIds(tree), [2, 3, 13, 14, 22]);
  t.false(targetIds(tree).includes(11), 'no village station without its town');
});

test('the chosen 分拨对象 narrows the city’s targets to town centres or to departments', (t) => {
  t.deepEqual(targetIds(dispatchTree(CITY, { level: 'city' }, { kind: 'town' })), [10, 20]);
  t.deepEqual(targetIds(dispatchTree(CITY, { level: 'city' }, { kind: 'department' })), [2, 3]);
  t.deepEqual(targetIds(dispatchTree(CITY, { level: 'city' }, { kind: null })), [2, 3, 10, 20]);
});

test('only the units the server offers the task stay selectable', (t) => {
  // given options for 真州镇 without its joint team
  const tree = dispatchTree(CITY, { level: 'town', townId: 10 }, { allowed: new Set([11, 12, 13]) });
  t.deepEqual(targetIds(tree), [11, 12, 13]);
  // and options that name nothing in the tree leave nothing to pick
  t.deepEqual(dispatchTree(CITY, { level: 'city' }, { allowed: new Set([999]) }), []);
});

test('inactive units are never offered', (t) => {
  const byId = unitsById(CITY);
  t.false(isDispatchTarget(byId.get(4)!, { level: 'city' }));
  t.true(isDispatchTarget(byId.get(2)!, { level: 'city' }));
});

test('a town centre takes 二级分拨, anything else handles the case itself', (t) => {
  const byId = unitsById(CITY);
  t.is(dispatchKindOf(byId.get(10)!), 'town');
  t.is(dispatchKindOf(byId.get(2)!), 'department');
  t.is(dispatchKindOf(byId.get(14)!), 'department');
  t.is(byId.size, 12);
});
