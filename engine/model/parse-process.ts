/* eslint-disable @typescript-eslint/no-explicit-any -- the moddle tree is untyped; this file is where it becomes typed */
import type {
  Behavior,
  ElementType,
  EventDef,
  FlowNode,
  Mapping,
  MultiInstanceDef,
  ProcessModel,
  SequenceFlow,
  UserTaskDef,
} from './process-model.ts';

type Moddle = any;

const GATEWAYS: Record<string, [ElementType, Behavior]> = {
  'bpmn:ExclusiveGateway': ['EXCLUSIVE_GATEWAY', 'exclusiveGateway'],
  'bpmn:ParallelGateway': ['PARALLEL_GATEWAY', 'parallelGateway'],
  'bpmn:InclusiveGateway': ['INCLUSIVE_GATEWAY', 'inclusiveGateway'],
  'bpmn:EventBasedGateway': ['EVENT_BASED_GATEWAY', 'eventBasedGateway'],
};

/**
 * Builds the executable models of every executable process in parsed BPMN definitions (a collaboration
 * contributes each of its executable pools). Deploy has already linted the definitions, so this only
 * reads; anything it cannot read it reports by throwing with the element id.
 */
export function parseProcesses(definitions: Moddle): ProcessModel[] {
  const processes = (definitions.rootElements ?? []).filter(
    (e: Moddle) => e.$type === 'bpmn:Process' && e.isExecutable !== false,
  );
  return processes.map((p: Moddle) => parseProcess(p));
}

function parseProcess(process: Moddle): ProcessModel {
  const elements = new Map<string, FlowNode>();
  const flows = new Map<string, SequenceFlow>();
  const embeddedForms = new Map<string, string>();
  for (const ext of extensions(process)) {
    if (ext.$type === 'zeebe:UserTaskForm' && ext.id) embeddedForms.set(ext.id, ext.body ?? '');
  }
  const root = node(process, 'PROCESS', 'process', undefined);
  elements.set(root.id, root);
  readScope(process, root, elements, flows);

  for (const el of elements.values()) {
    if (el.behavior === 'boundary' && el.attachedToId) {
      elements.get(el.attachedToId)?.boundaryEvents.push(el.id);
    }
    el.isJoin =
      el.incoming.length > 1 && (el.behavior === 'parallelGateway' || el.behavior === 'inclusiveGateway');
    if (el.behavior === 'eventBasedGateway') el.eventGatewayTargets = el.outgoing.map((f) => f.targetId);
  }
  const triggeredStartIds = root.childIds.filter((id) => {
    const el = elements.get(id)!;
    return el.behavior === 'startEvent' && el.event && el.event.kind !== 'none';
  });
  return {
    bpmnProcessId: process.id,
    name: process.name,
    elements,
    flows,
    root,
    triggeredStartIds,
    embeddedForms,
    reachableFrom: inclusiveJoinReachability(elements),
  };
}

function readScope(
  container: Moddle,
  scope: FlowNode,
  elements: Map<string, FlowNode>,
  flows: Map<string, SequenceFlow>,
): void {
  const flowElements: Moddle[] = container.flowElements ?? [];
  for (const fe of flowElements) {
    if (fe.$type !== 'bpmn:SequenceFlow') continue;
    const flow: SequenceFlow = {
      id: fe.id,
      sourceId: fe.sourceRef?.id,
      targetId: fe.targetRef?.id,
      condition: fe.conditionExpression?.body?.trim() || undefined,
    };
    flows.set(flow.id, flow);
  }
  for (const fe of flowElements) {
    if (fe.$type === 'bpmn:SequenceFlow') continue;
    const el = readFlowNode(fe, scope.id);
    if (!el) continue;
    elements.set(el.id, el);
    scope.childIds.push(el.id);
    if (el.behavior === 'subProcess' || el.behavior === 'eventSubProcess') {
      readScope(fe, el, elements, flows);
      if (el.behavior === 'eventSubProcess') {
        const start = el.childIds.map((id) => elements.get(id)!).find((c) => c.behavior === 'startEvent');
        if (start) {
          el.startEventId = start.id;
          scope.eventSubProcessStartIds.push(start.id);
          el.interrupting = start.interrupting;
        }
      }
    }
  }
  for (const flow of flows.values()) {
    const source = elements.get(flow.sourceId);
    const target = elements.get(flow.targetId);
    if (source && source.scopeId === scope.id && !source.outgoing.includes(flow)) source.outgoing.push(flow);
    if (target && target.scopeId === scope.id && !target.incoming.includes(flow)) target.incoming.push(flow);
  }
  // Outgoing flows in the document order of the source's `outgoing` list: exclusive gateways test in that order.
  for (const fe of flowElements) {
    const el = elements.get(fe.id);
    if (!el || !fe.outgoing?.length) continue;
    const order = (fe.outgoing as Moddle[]).map((f) => f.id);
    el.outgoing.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  }
  const noneStart = scope.childIds
    .map((id) => elements.get(id)!)
    .find((c) => c.behavior === 'startEvent' && (!c.event || c.event.kind === 'none'));
  if (noneStart && scope.behavior !== 'eventSubProcess') scope.startEventId = noneStart.id;
}

function readFlowNode(fe: Moddle, scopeId: string): FlowNode | undefined {
  const t: string = fe.$type;
  const hasJob = extensions(fe).some((e) => e.$type === 'zeebe:TaskDefinition');
  let el: FlowNode;
  if (GATEWAYS[t]) {
    const [type, behavior] = GATEWAYS[t];
    el = node(fe, type, behavior, scopeId);
    el.defaultFlowId = fe.default?.id;
  } else if (t === 'bpmn:SubProcess' || t === 'bpmn:Transaction') {
    el = fe.triggeredByEvent
      ? node(fe, 'EVENT_SUB_PROCESS', 'eventSubProcess', scopeId)
      : node(fe, 'SUB_PROCESS', 'subProcess', scopeId);
  } else if (t === 'bpmn:CallActivity') {
    el = node(fe, 'CALL_ACTIVITY', 'callActivity', scopeId);
    const ce = extension(fe, 'zeebe:CalledElement');
    el.calledElement = {
      processId: ce?.processId ?? ce?.processIdExpression ?? '',
      propagateAllChildVariables: ce?.propagateAllChildVariables !== false,
      propagateAllParentVariables: ce?.propagateAllParentVariables !== false,
    };
  } else if (t === 'bpmn:ServiceTask') {
    el = node(fe, 'SERVICE_TASK', 'job', scopeId);
  } else if (t === 'bpmn:SendTask') {
    el = node(fe, 'SEND_TASK', 'job', scopeId);
  } else if (t === 'bpmn:BusinessRuleTask') {
    el = node(fe, 'BUSINESS_RULE_TASK', 'job', scopeId);
  } else if (t === 'bpmn:ScriptTask') {
    const script = extension(fe, 'zeebe:Script');
    el = node(fe, 'SCRIPT_TASK', script && !hasJob ? 'script' : 'job', scopeId);
    if (script && !hasJob) {
      el.script = { expression: script.expression ?? '', resultVariable: script.resultVariable ?? '' };
    }
  } else if (t === 'bpmn:UserTask') {
    el = node(fe, 'USER_TASK', 'userTask', scopeId);
    el.userTask = readUserTask(fe);
  } else if (t === 'bpmn:ReceiveTask') {
    el = node(fe, 'RECEIVE_TASK', 'receive', scopeId);
    el.event = messageEvent(fe.messageRef);
  } else if (t === 'bpmn:ManualTask') {
    el = node(fe, 'MANUAL_TASK', 'passThrough', scopeId);
  } else if (t === 'bpmn:Task') {
    el = node(fe, 'TASK', 'passThrough', scopeId);
  } else if (t === 'bpmn:StartEvent') {
    el = node(fe, 'START_EVENT', 'startEvent', scopeId);
    el.event = readEvent(fe);
    el.interrupting = fe.isInterrupting !== false;
  } else if (t === 'bpmn:EndEvent') {
    el = node(fe, 'END_EVENT', hasJob ? 'job' : 'endEvent', scopeId);
    el.event = readEvent(fe);
  } else if (t === 'bpmn:IntermediateCatchEvent') {
    el = node(fe, 'INTERMEDIATE_CATCH_EVENT', 'catchEvent', scopeId);
    el.event = readEvent(fe);
  } else if (t === 'bpmn:IntermediateThrowEvent') {
    el = node(fe, 'INTERMEDIATE_THROW_EVENT', hasJob ? 'job' : 'throwEvent', scopeId);
    el.event = readEvent(fe);
  } else if (t === 'bpmn:BoundaryEvent') {
    el = node(fe, 'BOUNDARY_EVENT', 'boundary', scopeId);
    el.event = readEvent(fe);
    el.attachedToId = fe.attachedToRef?.id;
    // Error boundaries always interrupt, whatever the attribute says.
    el.interrupting = fe.cancelActivity !== false || el.event.kind === 'error';
  } else {
    // Data objects, text annotations, associations: not flow nodes.
    return undefined;
  }
  if (hasJob) {
    const td = extension(fe, 'zeebe:TaskDefinition');
    const headers = extension(fe, 'zeebe:TaskHeaders');
    el.job = { type: td.type ?? '', retries: td.retries ?? '3', headers: readHeaders(headers) };
  }
  const io = extension(fe, 'zeebe:IoMapping');
  if (io) {
    el.inputs = (io.inputParameters ?? []).map(mapping);
    el.outputs = (io.outputParameters ?? []).map(mapping);
  }
  const loop = fe.loopCharacteristics;
  if (loop?.$type === 'bpmn:MultiInstanceLoopCharacteristics') el.multiInstance = readMultiInstance(loop);
  return el;
}

function node(
  fe: Moddle,
  elementType: ElementType,
  behavior: Behavior,
  scopeId: string | undefined,
): FlowNode {
  return {
    id: fe.id,
    name: fe.name || undefined,
    elementType,
    behavior,
    scopeId,
    incoming: [],
    outgoing: [],
    inputs: [],
    outputs: [],
    boundaryEvents: [],
    interrupting: true,
    childIds: [],
    eventSubProcessStartIds: [],
    eventGatewayTargets: [],
    isJoin: false,
  };
}

function readEvent(fe: Moddle): EventDef {
  const def = (fe.eventDefinitions ?? [])[0];
  if (!def) return { kind: 'none' };
  switch (def.$type) {
    case 'bpmn:TimerEventDefinition': {
      if (def.timeDate)
        return { kind: 'timer', timer: { type: 'date', value: def.timeDate.body?.trim() ?? '' } };
      if (def.timeCycle)
        return { kind: 'timer', timer: { type: 'cycle', value: def.timeCycle.body?.trim() ?? '' } };
      return { kind: 'timer', timer: { type: 'duration', value: def.timeDuration?.body?.trim() ?? '' } };
    }
    case 'bpmn:MessageEventDefinition':
      return messageEvent(def.messageRef);
    case 'bpmn:SignalEventDefinition':
      return { kind: 'signal', signalName: def.signalRef?.name ?? '' };
    case 'bpmn:ErrorEventDefinition':
      return { kind: 'error', code: def.errorRef?.errorCode || undefined };
    case 'bpmn:EscalationEventDefinition':
      return { kind: 'escalation', code: def.escalationRef?.escalationCode || undefined };
    case 'bpmn:TerminateEventDefinition':
      return { kind: 'terminate' };
    default:
      throw new Error(`${fe.id}: event definition ${def.$type} is not supported`);
  }
}

function messageEvent(message: Moddle): EventDef {
  const sub = message ? extension(message, 'zeebe:Subscription') : undefined;
  return { kind: 'message', messageName: message?.name ?? '', correlationKey: sub?.correlationKey };
}

function readUserTask(fe: Moddle): UserTaskDef {
  const assignment = extension(fe, 'zeebe:AssignmentDefinition');
  const schedule = extension(fe, 'zeebe:TaskSchedule');
  const priority = extension(fe, 'zeebe:PriorityDefinition');
  const form = extension(fe, 'zeebe:FormDefinition');
  return {
    assignee: assignment?.assignee || undefined,
    candidateGroups: assignment?.candidateGroups || undefined,
    candidateUsers: assignment?.candidateUsers || undefined,
    dueDate: schedule?.dueDate || undefined,
    followUpDate: schedule?.followUpDate || undefined,
    priority: priority?.priority || undefined,
    formKey: form?.formKey || undefined,
    formId: form?.formId || undefined,
    externalReference: form?.externalReference || undefined,
    headers: readHeaders(extension(fe, 'zeebe:TaskHeaders')),
  };
}

function readMultiInstance(loop: Moddle): MultiInstanceDef {
  const zl = extension(loop, 'zeebe:LoopCharacteristics');
  return {
    sequential: loop.isSequential === true,
    inputCollection: zl?.inputCollection ?? '',
    inputElement: zl?.inputElement || undefined,
    outputCollection: zl?.outputCollection || undefined,
    outputElement: zl?.outputElement || undefined,
    completionCondition: loop.completionCondition?.body?.trim() || undefined,
  };
}

function readHeaders(headers: Moddle): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of headers?.values ?? []) if (h.key) out[h.key] = h.value ?? '';
  return out;
}

function mapping(p: Moddle): Mapping {
  return { source: p.source ?? '', target: p.target ?? '' };
}

function extensions(el: Moddle): Moddle[] {
  return el?.extensionElements?.values ?? [];
}

function extension(el: Moddle, type: string): Moddle | undefined {
  return extensions(el).find((e) => e.$type === type);
}

/** For every inclusive join: the elements of its scope from which a token can still arrive at it. */
function inclusiveJoinReachability(elements: Map<string, FlowNode>): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const join of elements.values()) {
    if (join.behavior !== 'inclusiveGateway' || !join.isJoin) continue;
    const seen = new Set<string>();
    const stack = join.incoming.map((f) => f.sourceId);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const el = elements.get(id);
      if (!el) continue;
      for (const f of el.incoming) stack.push(f.sourceId);
      // A token on an activity can leave it through a boundary event that leads here.
      if (el.behavior === 'boundary' && el.attachedToId) stack.push(el.attachedToId);
    }
    result.set(join.id, seen);
  }
  return result;
}
