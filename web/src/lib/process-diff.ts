// Pure: what changed between two versions of a process, element by element (test/web/process-diff.test.ts).
// bpmn-js-differ (3.2.0) finds added, removed, renamed and moved elements, but reports its attribute changes
// with oldValue and newValue swapped, and does not look into what makes a Zeebe model run: task types,
// assignments, forms, timers, conditions, I/O mappings. This module reads those itself from both parsed
// definitions and merges them with the differ's result into one change per element.

/** A model element as bpmn-moddle reads it: its `$type`, maybe an id, its properties. */
export interface ModdleNode {
  $type: string;
  id?: string;
  [key: string]: unknown;
}

/** What bpmn-js-differ's `diff(old, new)` returns (3.2.0): elements by id. */
export interface DifferResult {
  _added: Record<string, ModdleNode>;
  _removed: Record<string, ModdleNode>;
  _changed: Record<
    string,
    { model: ModdleNode; attrs: Record<string, { oldValue: unknown; newValue: unknown }> }
  >;
  _layoutChanged: Record<string, ModdleNode>;
}

/** How an element changed between the old and the new version. */
export type ChangeKind = 'added' | 'removed' | 'changed' | 'layout-changed';

/** The kinds in the order the change table lists them. */
export const CHANGE_KINDS: readonly ChangeKind[] = ['changed', 'added', 'removed', 'layout-changed'];

/** One property of an element, before and after (null: not set). */
export interface PropertyChange {
  /** `name`, or an execution property such as `zeebe:taskDefinition.type` or `timer.timeDuration`. */
  property: string;
  oldValue: string | null;
  newValue: string | null;
}

/** One element that differs between two versions. */
export interface ElementChange {
  id: string;
  /** The element's BPMN type, e.g. `bpmn:ServiceTask`. */
  type: string;
  name: string | null;
  kind: ChangeKind;
  /** True when the element also moved or was resized (a `changed` element can have moved too). */
  layoutChanged: boolean;
  /** The properties that differ; for an added or removed element, the ones it has. */
  changes: PropertyChange[];
}

/** An element's execution properties, flattened to `property → value`. */
export interface ExecutionElement {
  id: string;
  type: string;
  name: string | null;
  props: Record<string, string>;
}

/** The execution properties of every element of a definitions tree, and which element owns nested ids. */
export interface ExecutionModel {
  elements: Map<string, ExecutionElement>;
  /** The id of a nested part (event definition, loop characteristics, condition) → the element it belongs to. */
  ownerOf: Map<string, string>;
}

const isNode = (v: unknown): v is ModdleNode =>
  typeof v === 'object' && v !== null && typeof (v as { $type?: unknown }).$type === 'string';

const nodes = (v: unknown): ModdleNode[] => (Array.isArray(v) ? v.filter(isNode) : []);

const ownKeys = (n: ModdleNode): string[] => Object.keys(n).filter((k) => !k.startsWith('$'));

/** `zeebe:TaskDefinition` → `zeebe:taskDefinition`, as the element is written in the XML. */
function xmlName(type: string): string {
  const [prefix, local] = type.includes(':') ? type.split(':') : ['', type];
  const name = local.charAt(0).toLowerCase() + local.slice(1);
  return prefix ? `${prefix}:${name}` : name;
}

const localName = (type: string): string => xmlName(type).replace(/^[^:]*:/, '');

/** The key an item of a list is known by: the target of a mapping, the key of a header, the name of a property. */
function itemKey(item: ModdleNode, index: number): string {
  for (const k of ['target', 'key', 'name', 'id']) {
    const v = item[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  const eventType = item.eventType;
  const type = item.type;
  if (typeof eventType === 'string') return typeof type === 'string' ? `${eventType}:${type}` : eventType;
  return String(index);
}

/** Flattens an extension element into `prefix.property` entries (lists keyed by their items' keys). */
function flatten(node: ModdleNode, prefix: string, out: Record<string, string>): void {
  for (const key of ownKeys(node)) {
    const v = node[key];
    if (v == null) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      out[`${prefix}.${key}`] = String(v);
    } else if (Array.isArray(v)) {
      const seen = new Set<string>();
      nodes(v).forEach((item, i) => {
        let k = itemKey(item, i);
        if (seen.has(k)) k = `${k}#${i}`;
        seen.add(k);
        flatten(item, `${prefix}.${key}[${k}]`, out);
      });
    } else if (isNode(v)) {
      flatten(v, `${prefix}.${key}`, out);
    }
  }
}

/** The body of a FEEL or formal expression (`bpmn:FormalExpression`), or null. */
function expression(v: unknown): string | null {
  if (!isNode(v)) return null;
  return typeof v.body === 'string' ? v.body : '';
}

/** The `name` (or code) of a referenced message, error, signal or escalation. */
function refName(v: unknown): string | null {
  if (!isNode(v)) return null;
  for (const k of ['name', 'errorCode', 'escalationCode', 'id']) if (typeof v[k] === 'string') return v[k];
  return '';
}

/** The zeebe:* extension elements of a node, flattened under their XML names. */
function zeebeExtensions(node: ModdleNode, prefix: string, out: Record<string, string>): void {
  const ext = node.extensionElements;
  if (!isNode(ext)) return;
  for (const v of nodes(ext.values)) {
    if (!v.$type.startsWith('zeebe:')) continue;
    flatten(v, `${prefix}${xmlName(v.$type)}`, out);
  }
}

/** What makes one element run: Zeebe extensions, event definitions (timers…), conditions, multi-instance. */
function executionProps(el: ModdleNode, own: (id: unknown) => void): Record<string, string> {
  const props: Record<string, string> = {};
  zeebeExtensions(el, '', props);
  const defs = nodes(el.eventDefinitions);
  if (defs.length) props.eventDefinition = defs.map((d) => localName(d.$type)).join(', ');
  for (const d of defs) {
    own(d.id);
    const kind = localName(d.$type).replace(/EventDefinition$/, '');
    for (const t of ['timeDate', 'timeDuration', 'timeCycle']) {
      const body = expression(d[t]);
      if (body != null) props[`timer.${t}`] = body;
    }
    for (const ref of ['messageRef', 'errorRef', 'signalRef', 'escalationRef']) {
      const name = refName(d[ref]);
      if (name != null) props[`${kind}.${ref}`] = name;
    }
    const condition = expression(d.condition);
    if (condition != null) props[`${kind}.condition`] = condition;
    zeebeExtensions(d, `${kind}.`, props);
  }
  const condition = expression(el.conditionExpression);
  if (condition != null) props.conditionExpression = condition;
  if (isNode(el.conditionExpression)) own(el.conditionExpression.id);
  const messageRef = refName(el.messageRef);
  if (messageRef != null) props.messageRef = messageRef;
  const loop = el.loopCharacteristics;
  if (isNode(loop)) {
    own(loop.id);
    props.multiInstance = loop.isSequential === true ? 'sequential' : 'parallel';
    const completion = expression(loop.completionCondition);
    if (completion != null) props['multiInstance.completionCondition'] = completion;
    zeebeExtensions(loop, 'multiInstance.', props);
  }
  return props;
}

/** The lists of a definitions tree that hold elements with ids of their own. */
const CHILD_LISTS = [
  'rootElements',
  'flowElements',
  'participants',
  'messageFlows',
  'laneSets',
  'lanes',
  'artifacts',
] as const;

/** Reads the execution properties of every element of a parsed `bpmn:Definitions`. */
export function executionModel(definitions: ModdleNode): ExecutionModel {
  const elements = new Map<string, ExecutionElement>();
  const ownerOf = new Map<string, string>();
  const visit = (el: ModdleNode): void => {
    if (typeof el.id === 'string' && el.$type !== 'bpmn:Definitions') {
      const id = el.id;
      const props = executionProps(el, (nested) => {
        if (typeof nested === 'string' && nested !== id) ownerOf.set(nested, id);
      });
      elements.set(id, {
        id,
        type: el.$type,
        name: typeof el.name === 'string' ? el.name : null,
        props,
      });
    }
    for (const list of CHILD_LISTS) for (const child of nodes(el[list])) visit(child);
  };
  visit(definitions);
  return { elements, ownerOf };
}

/** What the change table shows for a value the differ reports: text, a referenced element's id, or null. */
function shown(v: unknown): string | null {
  if (v == null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isNode(v)) return typeof v.id === 'string' ? v.id : expression(v);
  return null;
}

/** The property changes between two flattened property sets, in the order of their names. */
export function propertyChanges(
  before: Record<string, string>,
  after: Record<string, string>,
): PropertyChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => before[k] !== after[k])
    .map((k) => ({ property: k, oldValue: before[k] ?? null, newValue: after[k] ?? null }));
}

/**
 * Every element that differs between two versions: bpmn-js-differ's result (its swapped attribute values put
 * right) merged with the execution properties this module reads from both definitions. A nested part the
 * differ names (a timer's definition, a flow's condition) counts for the element that owns it. An element
 * whose properties changed is `changed` even when it also moved (`layoutChanged` then says so).
 */
export function diffProcesses(
  oldDefinitions: ModdleNode,
  newDefinitions: ModdleNode,
  differ: DifferResult,
): ElementChange[] {
  const before = executionModel(oldDefinitions);
  const after = executionModel(newDefinitions);
  const out = new Map<string, ElementChange>();

  const ownerIn = (model: ExecutionModel, id: string): string => model.ownerOf.get(id) ?? id;
  const describe = (id: string, fallback: ModdleNode): Pick<ElementChange, 'type' | 'name'> => {
    const e = after.elements.get(id) ?? before.elements.get(id);
    if (e) return { type: e.type, name: e.name };
    return { type: fallback.$type, name: typeof fallback.name === 'string' ? fallback.name : null };
  };
  const entry = (id: string, kind: ChangeKind, model: ModdleNode): ElementChange => {
    let e = out.get(id);
    if (!e) {
      e = { id, ...describe(id, model), kind, layoutChanged: false, changes: [] };
      out.set(id, e);
    } else if (e.kind === 'layout-changed' && kind === 'changed') {
      e.kind = 'changed';
    }
    return e;
  };
  const addChange = (e: ElementChange, c: PropertyChange): void => {
    if (c.oldValue === c.newValue) return;
    if (e.changes.some((x) => x.property === c.property)) return;
    e.changes.push(c);
  };

  for (const [id, model] of Object.entries(differ._added)) {
    const owner = ownerIn(after, id);
    if (owner !== id && before.elements.has(owner)) {
      entry(owner, 'changed', model);
      continue;
    }
    const e = entry(owner, 'added', model);
    const props = after.elements.get(owner)?.props ?? {};
    for (const c of propertyChanges({}, props)) addChange(e, c);
  }
  for (const [id, model] of Object.entries(differ._removed)) {
    const owner = ownerIn(before, id);
    if (owner !== id && after.elements.has(owner)) {
      entry(owner, 'changed', model);
      continue;
    }
    const e = entry(owner, 'removed', model);
    const props = before.elements.get(owner)?.props ?? {};
    for (const c of propertyChanges(props, {})) addChange(e, c);
  }
  for (const [id, { model, attrs }] of Object.entries(differ._changed)) {
    const e = entry(ownerIn(after, id), 'changed', model);
    // bpmn-js-differ 3.2.0 reports the new value as oldValue and the old one as newValue.
    for (const [attr, v] of Object.entries(attrs)) {
      addChange(e, { property: attr, oldValue: shown(v.newValue), newValue: shown(v.oldValue) });
    }
  }
  for (const [id, a] of after.elements) {
    const b = before.elements.get(id);
    if (!b) continue;
    const changes = propertyChanges(b.props, a.props);
    if (!changes.length) continue;
    const e = entry(id, 'changed', { $type: a.type, id, name: a.name });
    for (const c of changes) addChange(e, c);
  }
  for (const [id, model] of Object.entries(differ._layoutChanged)) {
    const owner = ownerIn(after, id);
    const existing = out.get(owner);
    if (existing) existing.layoutChanged = true;
    else entry(owner, 'layout-changed', model).layoutChanged = true;
  }

  const rank = (k: ChangeKind): number => CHANGE_KINDS.indexOf(k);
  return [...out.values()].sort((a, b) => rank(a.kind) - rank(b.kind) || a.id.localeCompare(b.id));
}

/** The marker class a change kind draws with (web/src/components/process-diagram.css). */
export const DIFF_MARKER_CLASS: Record<ChangeKind, string> = {
  added: 'gf-diff-added',
  removed: 'gf-diff-removed',
  changed: 'gf-diff-changed',
  'layout-changed': 'gf-diff-layout',
};

/**
 * The markers to draw on one side of a side-by-side diff: an added element exists only in the new diagram,
 * a removed one only in the old; changed and moved elements are marked on both.
 */
export function diffMarkers(
  changes: readonly ElementChange[],
  side: 'old' | 'new',
): { elementId: string; className: string }[] {
  return changes
    .filter((c) => (side === 'old' ? c.kind !== 'added' : c.kind !== 'removed'))
    .map((c) => ({ elementId: c.id, className: DIFF_MARKER_CLASS[c.kind] }));
}

/** How many elements changed in each way. */
export function diffCounts(changes: readonly ElementChange[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { added: 0, removed: 0, changed: 0, 'layout-changed': 0 };
  for (const c of changes) counts[c.kind] += 1;
  return counts;
}
