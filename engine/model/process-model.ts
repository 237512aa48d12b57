/**
 * The executable model of a deployed process: what the token loop reads. Built once per deployed definition
 * from the moddle tree (see parse-process.ts) and cached by definition key.
 */

/** Zeebe's BpmnElementType names: they appear in history events and the port, exactly as Camunda 8 spells them. */
export type ElementType =
  | 'PROCESS'
  | 'SUB_PROCESS'
  | 'EVENT_SUB_PROCESS'
  | 'CALL_ACTIVITY'
  | 'MULTI_INSTANCE_BODY'
  | 'START_EVENT'
  | 'INTERMEDIATE_CATCH_EVENT'
  | 'INTERMEDIATE_THROW_EVENT'
  | 'BOUNDARY_EVENT'
  | 'END_EVENT'
  | 'SERVICE_TASK'
  | 'SEND_TASK'
  | 'SCRIPT_TASK'
  | 'BUSINESS_RULE_TASK'
  | 'USER_TASK'
  | 'RECEIVE_TASK'
  | 'MANUAL_TASK'
  | 'TASK'
  | 'EXCLUSIVE_GATEWAY'
  | 'PARALLEL_GATEWAY'
  | 'INCLUSIVE_GATEWAY'
  | 'EVENT_BASED_GATEWAY'
  | 'SEQUENCE_FLOW';

/** What an element does when it is activated: the token loop dispatches on this, not on the BPMN type. */
export type Behavior =
  | 'process'
  | 'subProcess'
  | 'eventSubProcess'
  | 'callActivity'
  | 'job'
  | 'userTask'
  | 'script'
  | 'receive'
  | 'passThrough'
  | 'catchEvent'
  | 'boundary'
  | 'exclusiveGateway'
  | 'parallelGateway'
  | 'inclusiveGateway'
  | 'eventBasedGateway'
  | 'startEvent'
  | 'endEvent'
  | 'throwEvent';

/** The kind of event definition an event carries (`none` when it has none). */
export type EventKind = 'none' | 'timer' | 'message' | 'signal' | 'error' | 'escalation' | 'terminate';

/** A value from the BPMN: static text, or a FEEL expression when it starts with `=`. */
export type Expr = string;

/** A timer event definition; the value is ISO 8601 text or a FEEL expression. */
export interface TimerDef {
  type: 'date' | 'duration' | 'cycle';
  value: Expr;
}

/** The event definition of an event element. */
export interface EventDef {
  kind: EventKind;
  timer?: TimerDef;
  /** Message name (static or FEEL) and the subscription's correlation key expression. */
  messageName?: Expr;
  correlationKey?: Expr;
  signalName?: Expr;
  /** Error or escalation code; undefined on a catch event means "catch all". */
  code?: Expr;
}

/** One `zeebe:input` or `zeebe:output`. */
export interface Mapping {
  source: Expr;
  target: string;
}

/** A job-based task (service, send, business rule, script with a task definition, message throw). */
export interface JobDef {
  type: Expr;
  retries: Expr;
  headers: Record<string, string>;
}

/** `zeebe:userTask` with its assignment, schedule, priority and form. */
export interface UserTaskDef {
  assignee?: Expr;
  candidateGroups?: Expr;
  candidateUsers?: Expr;
  dueDate?: Expr;
  followUpDate?: Expr;
  priority?: Expr;
  formKey?: string;
  formId?: string;
  externalReference?: Expr;
  headers: Record<string, string>;
}

/** `zeebe:calledElement`. */
export interface CalledElementDef {
  processId: Expr;
  propagateAllChildVariables: boolean;
  propagateAllParentVariables: boolean;
}

/** `bpmn:multiInstanceLoopCharacteristics` with `zeebe:loopCharacteristics`. */
export interface MultiInstanceDef {
  sequential: boolean;
  inputCollection: Expr;
  inputElement?: string;
  outputCollection?: string;
  outputElement?: Expr;
  completionCondition?: Expr;
}

/** A sequence flow. */
export interface SequenceFlow {
  id: string;
  sourceId: string;
  targetId: string;
  /** FEEL condition (with leading `=`), only meaningful on gateway outgoing flows. */
  condition?: Expr;
}

/** Any flow node, or a process, as the engine executes it. */
export interface FlowNode {
  id: string;
  name?: string;
  elementType: ElementType;
  behavior: Behavior;
  /** The containing scope: a process, sub-process or event sub-process; undefined for the process itself. */
  scopeId?: string;
  incoming: SequenceFlow[];
  outgoing: SequenceFlow[];
  defaultFlowId?: string;
  event?: EventDef;
  inputs: Mapping[];
  outputs: Mapping[];
  job?: JobDef;
  userTask?: UserTaskDef;
  script?: { expression: Expr; resultVariable: string };
  calledElement?: CalledElementDef;
  multiInstance?: MultiInstanceDef;
  /** Boundary events attached to this activity, in document order. */
  boundaryEvents: string[];
  /** For a boundary event: the activity it sits on. */
  attachedToId?: string;
  /** Boundary events: cancelActivity; event sub-process start events: isInterrupting. */
  interrupting: boolean;
  /** For scopes (process, sub-process, event sub-process): their direct children. */
  childIds: string[];
  /** For scopes: the none start event (or for an event sub-process, its single start event). */
  startEventId?: string;
  /** For scopes: the start events of their event sub-processes. */
  eventSubProcessStartIds: string[];
  /** For an event-based gateway: the catch events (or receive tasks) its flows lead to. */
  eventGatewayTargets: string[];
  /** For joins: the number of incoming flows (parallel/inclusive join when > 1). */
  isJoin: boolean;
}

/** One executable process of a deployed definition. */
export interface ProcessModel {
  bpmnProcessId: string;
  name?: string;
  elements: Map<string, FlowNode>;
  flows: Map<string, SequenceFlow>;
  /** The process element itself (behavior 'process'). */
  root: FlowNode;
  /** Start events on the process level with a trigger (message, timer, signal). */
  triggeredStartIds: string[];
  /** Embedded forms (`zeebe:userTaskForm`) by id, for form keys `camunda-forms:bpmn:<id>`. */
  embeddedForms: Map<string, string>;
  /**
   * For inclusive joins: the set of element ids inside the same scope from which the join can still be
   * reached; a join fires when no active token in its scope can reach it any more.
   */
  reachableFrom: Map<string, Set<string>>;
}

/** Looks an element up or throws: a definition that passed deploy never has dangling references. */
export function elementOf(model: ProcessModel, id: string): FlowNode {
  const el = model.elements.get(id);
  if (!el) throw new Error(`Element ${id} is not in process ${model.bpmnProcessId}`);
  return el;
}
