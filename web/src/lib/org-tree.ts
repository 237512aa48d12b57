// Pure: which units of the organisation a dispatch may name, as a tree to pick from (test/web/org-tree.test.ts).
// 一级分拨 at the city centre sends a case to a town (park) centre for 二级分拨 or straight to a city
// department; 二级分拨 at a town sends it to one of the town's village (community) stations, departments or
// joint teams (docs/case-lifecycle.md). The server offers the same units as the task's options; the tree adds
// where each unit sits, so that a dispatcher finds it by its place as well as by its name.

/** A unit of `GET /api/org-units/tree` (server/schemas/reference.schema.ts `OrgUnitTreeNode`). */
export interface OrgTreeUnit {
  id: number;
  code: string;
  name: string;
  level: 'city' | 'town' | 'village';
  kind: 'centre' | 'station' | 'department' | 'joint_team';
  areaType?: string | null;
  parentId: number | null;
  sortOrder: number;
  active: boolean;
  children: OrgTreeUnit[];
}

/**
 * Who dispatches: the city centre (一级分拨), or a town centre (二级分拨; `townId` null when the case has no
 * town yet, and then any department or joint team may take it, as the server allows).
 */
export type DispatchScope = { level: 'city' } | { level: 'town'; townId: number | null };

/** What a dispatch hands the case to, as the process tells them apart (`dispatchUnitKind`). */
export type DispatchKind = 'town' | 'department';

/** A node of the picker (antd TreeSelect `treeData`): targets are selectable, the units above them are not. */
export interface OrgPickNode {
  title: string;
  value: number;
  key: string;
  selectable: boolean;
  children?: OrgPickNode[];
}

/** Narrowing of the targets: one kind only (the form's 分拨对象), or only the ids the server offers. */
export interface DispatchFilter {
  kind?: DispatchKind | null;
  allowed?: ReadonlySet<number> | null;
}

/** The kind of target a unit is for the process: a town centre takes 二级分拨, anything else handles. */
export function dispatchKindOf(unit: Pick<OrgTreeUnit, 'level' | 'kind'>): DispatchKind {
  return unit.level === 'town' && unit.kind === 'centre' ? 'town' : 'department';
}

/** True when a dispatch in this scope may name the unit. */
export function isDispatchTarget(
  unit: OrgTreeUnit,
  scope: DispatchScope,
  filter: DispatchFilter = {},
): boolean {
  if (!unit.active) return false;
  if (filter.allowed && !filter.allowed.has(unit.id)) return false;
  let target: boolean;
  if (scope.level === 'city') {
    target =
      (unit.level === 'town' && unit.kind === 'centre') ||
      (unit.level === 'city' && unit.kind === 'department');
  } else if (scope.townId == null) {
    target = unit.kind === 'department' || unit.kind === 'joint_team';
  } else {
    target =
      unit.parentId === scope.townId &&
      (unit.kind === 'station' || unit.kind === 'department' || unit.kind === 'joint_team');
  }
  return target && (!filter.kind || dispatchKindOf(unit) === filter.kind);
}

/**
 * The organisation cut down to what a dispatch in this scope may name: each target with the units above it
 * (shown, not selectable), everything else left out, in the tree's order. A single unselectable unit at the
 * top leading to a single unit is skipped (a town's dispatcher sees their town, not the city above it).
 */
export function dispatchTree(
  roots: readonly OrgTreeUnit[],
  scope: DispatchScope,
  filter: DispatchFilter = {},
): OrgPickNode[] {
  const prune = (unit: OrgTreeUnit): OrgPickNode | null => {
    const children = unit.children.map(prune).filter((n): n is OrgPickNode => n !== null);
    const selectable = isDispatchTarget(unit, scope, filter);
    if (!selectable && children.length === 0) return null;
    return {
      title: unit.name,
      value: unit.id,
      key: String(unit.id),
      selectable,
      ...(children.length > 0 ? { children } : {}),
    };
  };
  let nodes = roots.map(prune).filter((n): n is OrgPickNode => n !== null);
  while (nodes.length === 1 && !nodes[0].selectable && nodes[0].children?.length === 1)
    nodes = nodes[0].children;
  return nodes;
}

/** Every unit of the tree by id. */
export function unitsById(roots: readonly OrgTreeUnit[]): Map<number, OrgTreeUnit> {
  const byId = new Map<number, OrgTreeUnit>();
  const walk = (units: readonly OrgTreeUnit[]): void => {
    for (const u of units) {
      byId.set(u.id, u);
      walk(u.children);
    }
  };
  walk(roots);
  return byId;
}

/** The ids of the selectable nodes (the targets) of a picker tree. */
export function targetIds(nodes: readonly OrgPickNode[]): number[] {
  return nodes.flatMap((n) => [...(n.selectable ? [n.value] : []), ...targetIds(n.children ?? [])]);
}
