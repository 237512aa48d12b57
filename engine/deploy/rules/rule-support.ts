import type { EnterFn, LeaveFn, Reporter, RuleDefinition } from 'bpmnlint/lib/types.js';

/** The part of a bpmn-moddle element the gridflow rules read (bpmnlint hands rules untyped moddle nodes). */
export interface ModdleNode {
  readonly $type: string;
  readonly $parent?: ModdleNode;
  readonly id?: string;
  $instanceOf(type: string): boolean;
  get(name: string): unknown;
}

/** A gridflow rule check: called for every node of the tree, reports through bpmnlint's reporter. */
export type NodeCheck = (node: ModdleNode, reporter: Reporter) => void;

/** True when the node is of the type or a subtype (`bpmn:SubProcess` matches a transaction). */
export function is(node: ModdleNode | undefined, type: string): boolean {
  return node != null && typeof node.$instanceOf === 'function' && node.$instanceOf(type);
}

/** The node's `zeebe:*` (and other) extension elements, in document order. */
export function extensionElementsOf(node: ModdleNode): ModdleNode[] {
  const container = node.get('extensionElements') as ModdleNode | undefined;
  return (container?.get('values') as ModdleNode[] | undefined) ?? [];
}

/** The first extension element of the given type, if the node has one. */
export function findExtensionElement(node: ModdleNode, type: string): ModdleNode | undefined {
  return extensionElementsOf(node).find((element) => is(element, type));
}

/** The event definitions of an event (empty for a none event). */
export function eventDefinitionsOf(node: ModdleNode): ModdleNode[] {
  return (node.get('eventDefinitions') as ModdleNode[] | undefined) ?? [];
}

/**
 * Turns a check into a bpmnlint rule that skips non-executable processes, like the Camunda rules do:
 * a collaboration's "external" pools are documentation, only executable processes are deployed and run.
 */
export function executableOnlyRule(check: NodeCheck): RuleDefinition {
  return skipNonExecutableProcesses({ check });
}

/** Makes an existing bpmnlint rule (e.g. a core rule) skip the contents of non-executable processes. */
export function skipNonExecutableProcesses(rule: RuleDefinition): RuleDefinition {
  const { enter, leave } = checkHooks(rule);
  const skip = (node: ModdleNode) => is(node, 'bpmn:Process') && node.get('isExecutable') !== true;
  return {
    ...rule,
    check: {
      enter: (node: ModdleNode, reporter: Reporter) => (skip(node) ? false : enter?.(node, reporter)),
      leave: (node: ModdleNode, reporter: Reporter) => {
        if (!skip(node)) leave?.(node, reporter);
      },
    },
  };
}

/** A rule's enter and leave functions, whichever of bpmnlint's `check` shapes it uses. */
export function checkHooks(rule: RuleDefinition): { enter?: EnterFn; leave?: LeaveFn } {
  const { check } = rule;
  if (typeof check === 'function') {
    return { enter: check };
  }
  return {
    enter: 'enter' in check ? check.enter : undefined,
    leave: 'leave' in check ? check.leave : undefined,
  };
}

/** " (listener job types: a, b)" for a zeebe:executionListeners / zeebe:taskListeners element, so the administrator knows which ones are meant. */
export function listenerTypesNote(listeners: ModdleNode): string {
  const types = ((listeners.get('listeners') as ModdleNode[] | undefined) ?? [])
    .map((listener) => listener.get('type'))
    .filter((type): type is string => typeof type === 'string' && type !== '');
  return types.length > 0 ? ` (listener job types: ${types.join(', ')})` : '';
}
