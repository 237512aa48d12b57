// Pure: 流程回放 (history replay) of a process instance from its history events (test/web/replay.test.ts).
// Which events are steps, and what the diagram shows at each step: the elements that are active, completed or
// stopped by an incident, the sequence flows taken, who did what, and the variables as they were then.
// The event vocabulary is the engine's (engine/port.ts HistoryIntent, payloads from engine/embedded/).

/** A history event as `GET /api/cases/:id/history` returns it (engine/port.ts HistoryEvent). */
export interface ReplayEvent {
  position: number;
  processInstanceKey: string;
  processDefinitionKey?: string;
  elementInstanceKey?: string;
  elementId?: string;
  elementType?: string;
  intent: string;
  actor?: string;
  timestamp: string;
  payload: Record<string, unknown>;
}

/** What happened at a step (the page labels each kind). */
export type StepKind =
  | 'started'
  | 'activated'
  | 'completed'
  | 'terminated'
  | 'claimed'
  | 'unclaimed'
  | 'taskUpdated'
  | 'jobFailed'
  | 'jobTimedOut'
  | 'retriesUpdated'
  | 'incident'
  | 'incidentResolved'
  | 'errorThrown'
  | 'escalationThrown'
  | 'variablesSet'
  | 'ended'
  | 'canceled';

/** One step of the replay: an event worth stopping at, with who did what. */
export interface ReplayStep {
  /** Index in the events of the event this step is about. */
  index: number;
  /** The state at this step covers events 0…through (the step's event and what it set up at once). */
  through: number;
  kind: StepKind;
  position: number;
  timestamp: string;
  /** Who: the event's actor (a user name or a worker), else the job's worker; null for the engine itself. */
  actor: string | null;
  elementId: string | null;
  elementType: string | null;
  elementInstanceKey: string | null;
  /** The action a user task was completed with (立案, 派遣…). */
  action?: string;
  /** The assignee a user task was claimed by or offered to. */
  assignee?: string | null;
  /** The candidate groups a user task was offered to. */
  candidateGroups?: string[];
  /** The variables a user or a worker submitted, by name. */
  submitted?: string[];
  /** An incident's type or a BPMN error's code, and its message. */
  errorType?: string;
  errorMessage?: string;
  /** Retries left (a failed job) or set (an administrator's retry). */
  retries?: number;
}

/** An incident as it stood at a step. */
export interface ReplayIncident {
  incidentKey: string;
  elementId: string | null;
  errorType: string;
  errorMessage: string;
  createdAt: string;
  /** When it was resolved, if it was by this step. */
  resolvedAt: string | null;
}

/** Variables of one scope that was alive at a step. */
export interface ReplayScope {
  scopeKey: string;
  /** The element whose instance holds them (null for the process itself). */
  elementId: string | null;
  variables: Record<string, unknown>;
  /** Names set since the previous step. */
  changed: string[];
}

/** What the diagram and the panels show at one step. */
export interface ReplayState {
  step: ReplayStep | null;
  /** Elements with a live instance, sorted. */
  active: string[];
  /** Live instances per active element (more than one for a multi-instance task or parallel tokens). */
  activeCounts: Record<string, number>;
  /** Elements completed at least once and not active now. */
  completed: string[];
  /** Elements that were stopped (interrupted, cancelled) and neither completed nor active. */
  terminated: string[];
  /** Elements with an open incident. */
  incidents: string[];
  /** Every incident raised so far, resolved or not. */
  incidentList: ReplayIncident[];
  /** Sequence flows taken so far, and how often. */
  flows: string[];
  flowCounts: Record<string, number>;
  /** Sequence flows taken since the previous step. */
  newFlows: string[];
  /** The process's own variables. */
  variables: ReplayScope;
  /** Local variables of element instances alive at this step (input mappings, multi-instance elements). */
  localScopes: ReplayScope[];
  /** True once the instance completed or was terminated. */
  ended: boolean;
}

// Gateways that let a token through at once: their activation and completion are not steps (the flows they
// choose show at the next step). An event-based gateway waits, so it is a step.
const PASS_THROUGH = new Set(['EXCLUSIVE_GATEWAY', 'PARALLEL_GATEWAY', 'INCLUSIVE_GATEWAY']);
// A multi-instance body's inner instances are the steps; the body carries the same element id.
const SILENT_TYPES = new Set([...PASS_THROUGH, 'MULTI_INSTANCE_BODY', 'PROCESS']);
// What an activation sets up in the same command, on the same element instance.
const ATTACHED = new Set([
  'VARIABLE_CREATED',
  'VARIABLE_UPDATED',
  'JOB_CREATED',
  'TIMER_CREATED',
  'USER_TASK_CREATED',
]);
const VARIABLE = new Set(['VARIABLE_CREATED', 'VARIABLE_UPDATED']);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The scope a variable event belongs to (its payload says; older events fall back to the element instance). */
function scopeOf(e: ReplayEvent): string | undefined {
  return str(e.payload.scopeKey) ?? e.elementInstanceKey;
}

/** True when an activation is followed directly (variables aside) by the same instance's end: no wait. */
function instantaneous(events: readonly ReplayEvent[], i: number): boolean {
  const key = events[i].elementInstanceKey;
  for (let j = i + 1; j < events.length; j++) {
    const e = events[j];
    if (VARIABLE.has(e.intent)) continue;
    return (
      e.elementInstanceKey === key && (e.intent === 'ELEMENT_COMPLETED' || e.intent === 'ELEMENT_TERMINATED')
    );
  }
  return false;
}

/** The nearest earlier event of this intent on this element instance. */
function before(
  events: readonly ReplayEvent[],
  i: number,
  intent: string,
  key: string | undefined,
): ReplayEvent | undefined {
  for (let j = i - 1; j >= 0; j--) {
    const e = events[j];
    if (e.elementInstanceKey !== key) continue;
    if (e.intent === intent) return e;
    if (e.intent === 'ELEMENT_ACTIVATED') return undefined;
  }
  return undefined;
}

/** The kind of step an event is, or null when it is not one. */
function kindOf(events: readonly ReplayEvent[], i: number): StepKind | null {
  const e = events[i];
  const type = e.elementType ?? '';
  switch (e.intent) {
    case 'PROCESS_INSTANCE_CREATED':
      return 'started';
    case 'PROCESS_INSTANCE_COMPLETED':
      return 'ended';
    case 'PROCESS_INSTANCE_TERMINATED':
      return 'canceled';
    case 'ELEMENT_ACTIVATED':
      return SILENT_TYPES.has(type) || instantaneous(events, i) ? null : 'activated';
    case 'ELEMENT_COMPLETED':
      return SILENT_TYPES.has(type) ? null : 'completed';
    case 'ELEMENT_TERMINATED':
      return SILENT_TYPES.has(type) ? null : 'terminated';
    case 'USER_TASK_ASSIGNED':
      return 'claimed';
    case 'USER_TASK_UNASSIGNED':
      return 'unclaimed';
    case 'USER_TASK_UPDATED':
      return 'taskUpdated';
    case 'JOB_FAILED':
      return 'jobFailed';
    case 'JOB_TIMED_OUT':
      return 'jobTimedOut';
    case 'JOB_RETRIES_UPDATED':
      return 'retriesUpdated';
    case 'INCIDENT_CREATED':
      return 'incident';
    case 'INCIDENT_RESOLVED':
      return 'incidentResolved';
    // ERROR_THROWN covers both a worker's BPMN error (after its JOB_ERROR_THROWN) and an error end event.
    case 'ERROR_THROWN':
      return 'errorThrown';
    case 'ESCALATION_THROWN':
      return 'escalationThrown';
    case 'VARIABLE_CREATED':
    case 'VARIABLE_UPDATED': {
      // Variables someone set on their own (an administrator fixing data before a retry): a variable event
      // by another actor than the event before it. Variables a command sets follow that command's event.
      const prev = events[i - 1];
      return prev && !VARIABLE.has(prev.intent) && prev.actor !== e.actor ? 'variablesSet' : null;
    }
    default:
      return null;
  }
}

/** How far a step's state reaches: over what its event set up at once (variables, the job, the user task). */
function reach(events: readonly ReplayEvent[], i: number, kind: StepKind): number {
  const e = events[i];
  let j = i;
  if (kind === 'started') {
    const root = e.elementInstanceKey ?? e.processInstanceKey;
    while (j + 1 < events.length && VARIABLE.has(events[j + 1].intent) && scopeOf(events[j + 1]) === root)
      j++;
  } else if (kind === 'activated') {
    const key = e.elementInstanceKey;
    while (j + 1 < events.length) {
      const next = events[j + 1];
      const own = VARIABLE.has(next.intent) ? scopeOf(next) === key : next.elementInstanceKey === key;
      if (!own || !ATTACHED.has(next.intent)) break;
      j++;
    }
  } else if (kind === 'variablesSet') {
    while (j + 1 < events.length && VARIABLE.has(events[j + 1].intent) && events[j + 1].actor === e.actor)
      j++;
  }
  return j;
}

/** What a step says about who did what, read from its event and the events around it. */
function describe(events: readonly ReplayEvent[], i: number, through: number, kind: StepKind): ReplayStep {
  const e = events[i];
  const p = e.payload;
  const step: ReplayStep = {
    index: i,
    through,
    kind,
    position: e.position,
    timestamp: e.timestamp,
    actor: e.actor ?? null,
    elementId: e.elementId ?? null,
    elementType: e.elementType ?? null,
    elementInstanceKey: e.elementInstanceKey ?? null,
  };
  if (kind === 'started' || kind === 'ended' || kind === 'canceled') step.elementType = 'PROCESS';
  switch (kind) {
    case 'activated': {
      const created = events
        .slice(i + 1, through + 1)
        .find((x) => x.intent === 'USER_TASK_CREATED' && x.elementInstanceKey === e.elementInstanceKey);
      if (created) {
        step.assignee = str(created.payload.assignee) ?? null;
        const groups = created.payload.candidateGroups;
        step.candidateGroups = Array.isArray(groups) ? groups.filter((g) => typeof g === 'string') : [];
      }
      break;
    }
    case 'completed': {
      const task = before(events, i, 'USER_TASK_COMPLETED', e.elementInstanceKey);
      const job = before(events, i, 'JOB_COMPLETED', e.elementInstanceKey);
      const done = task ?? job;
      if (task) step.action = str(task.payload.action);
      if (done) {
        const vars = done.payload.variables;
        step.submitted = vars && typeof vars === 'object' ? Object.keys(vars).sort() : [];
        step.actor ??= done.actor ?? str(done.payload.worker) ?? null;
      }
      break;
    }
    case 'claimed':
    case 'unclaimed':
      step.assignee = str(p.assignee) ?? str(p.previousAssignee) ?? null;
      break;
    case 'jobFailed':
      step.retries = num(p.retries);
      step.errorMessage = str(p.errorMessage);
      step.actor ??= str(p.worker) ?? null;
      break;
    case 'jobTimedOut':
      step.actor ??= str(p.worker) ?? null;
      break;
    case 'retriesUpdated':
      step.retries = num(p.retries);
      break;
    case 'incident':
    case 'incidentResolved':
      step.errorType = str(p.errorType);
      step.errorMessage = str(p.errorMessage);
      break;
    case 'errorThrown':
      step.errorType = str(p.errorCode);
      step.errorMessage = str(p.errorMessage);
      break;
    case 'escalationThrown':
      step.errorType = str(p.escalationCode);
      break;
    case 'variablesSet':
      step.submitted = events
        .slice(i, through + 1)
        .map((x) => str(x.payload.name) ?? '')
        .filter(Boolean);
      break;
  }
  return step;
}

/**
 * The steps of a replay, in order: the instance starting and ending, each element reached (unless it passes at
 * once, like a start event or an exclusive gateway) and finished, claims, failed jobs, incidents and their
 * resolution, BPMN errors, escalations, and variables someone set by hand. The last step covers every event.
 */
export function replaySteps(events: readonly ReplayEvent[]): ReplayStep[] {
  const found: { index: number; kind: StepKind }[] = [];
  for (let i = 0; i < events.length; i++) {
    const kind = kindOf(events, i);
    if (kind) found.push({ index: i, kind });
  }
  return found.map(({ index, kind }, n) => {
    const next = found[n + 1];
    const through = next ? Math.min(reach(events, index, kind), next.index - 1) : events.length - 1;
    return describe(events, index, through, kind);
  });
}

interface Instance {
  elementId: string;
  elementType: string;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
}

/**
 * The state at step `stepIndex` (0-based) of `steps` (default: replaySteps(events)): everything the events up
 * to the step's `through` say. Variables are kept per scope as the engine keeps them: the process's own, and
 * each live element instance's local ones, which end with their instance.
 */
export function replayState(
  events: readonly ReplayEvent[],
  stepIndex: number,
  steps: readonly ReplayStep[] = replaySteps(events),
): ReplayState {
  const step = stepIndex >= 0 && stepIndex < steps.length ? steps[stepIndex] : null;
  const through = step ? step.through : -1;
  const since = step && stepIndex > 0 ? steps[stepIndex - 1].through + 1 : 0;
  const instances = new Map<string, Instance>();
  const everCompleted = new Set<string>();
  const everTerminated = new Set<string>();
  const flowCounts: Record<string, number> = {};
  const newFlows: string[] = [];
  const scopes = new Map<string, Map<string, unknown>>();
  const changed = new Map<string, Set<string>>();
  const incidents = new Map<string, ReplayIncident>();
  let rootKey: string | null = null;
  let ended = false;

  for (let i = 0; i <= through; i++) {
    const e = events[i];
    const p = e.payload;
    switch (e.intent) {
      case 'PROCESS_INSTANCE_CREATED':
        rootKey = e.elementInstanceKey ?? e.processInstanceKey;
        break;
      case 'PROCESS_INSTANCE_COMPLETED':
      case 'PROCESS_INSTANCE_TERMINATED':
        ended = true;
        break;
      case 'ELEMENT_ACTIVATED':
        if (e.elementInstanceKey && e.elementId)
          instances.set(e.elementInstanceKey, {
            elementId: e.elementId,
            elementType: e.elementType ?? '',
            state: 'ACTIVE',
          });
        break;
      case 'ELEMENT_COMPLETED':
      case 'ELEMENT_TERMINATED': {
        const inst = e.elementInstanceKey ? instances.get(e.elementInstanceKey) : undefined;
        const completed = e.intent === 'ELEMENT_COMPLETED';
        if (inst) inst.state = completed ? 'COMPLETED' : 'TERMINATED';
        if (e.elementId) (completed ? everCompleted : everTerminated).add(e.elementId);
        if (e.elementInstanceKey) scopes.delete(e.elementInstanceKey);
        break;
      }
      case 'SEQUENCE_FLOW_TAKEN':
        if (e.elementId) {
          flowCounts[e.elementId] = (flowCounts[e.elementId] ?? 0) + 1;
          if (i >= since && !newFlows.includes(e.elementId)) newFlows.push(e.elementId);
        }
        break;
      case 'VARIABLE_CREATED':
      case 'VARIABLE_UPDATED': {
        const scope = scopeOf(e);
        const name = str(p.name);
        if (!scope || !name) break;
        let vars = scopes.get(scope);
        if (!vars) scopes.set(scope, (vars = new Map()));
        vars.set(name, p.value ?? null);
        if (i >= since) {
          let names = changed.get(scope);
          if (!names) changed.set(scope, (names = new Set()));
          names.add(name);
        }
        break;
      }
      case 'INCIDENT_CREATED': {
        const key = str(p.incidentKey);
        if (key)
          incidents.set(key, {
            incidentKey: key,
            elementId: e.elementId ?? null,
            errorType: str(p.errorType) ?? 'UNKNOWN',
            errorMessage: str(p.errorMessage) ?? '',
            createdAt: e.timestamp,
            resolvedAt: null,
          });
        break;
      }
      case 'INCIDENT_RESOLVED': {
        const incident = incidents.get(str(p.incidentKey) ?? '');
        if (incident) incident.resolvedAt = e.timestamp;
        break;
      }
    }
  }

  const activeCounts: Record<string, number> = {};
  const bodies = new Set<string>();
  for (const inst of instances.values()) {
    if (inst.state !== 'ACTIVE') continue;
    if (inst.elementType === 'MULTI_INSTANCE_BODY') bodies.add(inst.elementId);
    else activeCounts[inst.elementId] = (activeCounts[inst.elementId] ?? 0) + 1;
  }
  // A sequential multi-instance body between two inner instances is still active.
  for (const id of bodies) activeCounts[id] ??= 1;
  const active = Object.keys(activeCounts).sort();
  const isActive = (id: string): boolean => id in activeCounts;
  const scopeView = (key: string, elementId: string | null): ReplayScope => ({
    scopeKey: key,
    elementId,
    variables: Object.fromEntries(scopes.get(key) ?? []),
    changed: [...(changed.get(key) ?? [])].sort(),
  });
  const localScopes: ReplayScope[] = [];
  for (const key of scopes.keys()) {
    if (key === rootKey) continue;
    const inst = instances.get(key);
    // Only live scopes hold variables; a scope the events never activated is shown under its key.
    if (inst && inst.state !== 'ACTIVE') continue;
    localScopes.push(scopeView(key, inst?.elementId ?? null));
  }
  const incidentList = [...incidents.values()];
  return {
    step,
    active,
    activeCounts,
    completed: [...everCompleted].filter((id) => !isActive(id)).sort(),
    terminated: [...everTerminated].filter((id) => !isActive(id) && !everCompleted.has(id)).sort(),
    incidents: [
      ...new Set(
        incidentList.filter((i) => i.resolvedAt == null && i.elementId).map((i) => i.elementId as string),
      ),
    ].sort(),
    incidentList,
    flows: Object.keys(flowCounts).sort(),
    flowCounts,
    newFlows,
    variables: scopeView(rootKey ?? '', null),
    localScopes,
    ended,
  };
}

/** A variable's value as one line of text: strings as they are, everything else as JSON. */
export function variableText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

/**
 * Whether a user may open the replay: it draws the process definition, which administrators, auditors, leaders
 * and the city centre's dispatchers and supervisors may read (server/services/process-admin.service.ts
 * canReadDefinitions). The server still checks.
 */
export function canReplay(user: {
  roles: readonly string[];
  orgUnit: { level: string; kind: string };
}): boolean {
  const has = (...roles: string[]): boolean => user.roles.some((r) => roles.includes(r));
  const cityCentre = user.orgUnit.level === 'city' && user.orgUnit.kind === 'centre';
  return has('admin', 'auditor', 'leader') || (cityCentre && has('dispatcher', 'supervisor'));
}

/** The CSS marker classes of each element at a state: what the diagram draws (see bpmn-viewer.tsx). */
export function replayMarkers(state: ReplayState): Record<string, string[]> {
  const markers: Record<string, string[]> = {};
  const add = (id: string, cls: string): void => {
    (markers[id] ??= []).push(cls);
  };
  for (const id of state.completed) add(id, 'replay-completed');
  for (const id of state.terminated) add(id, 'replay-terminated');
  for (const id of state.active) add(id, 'replay-active');
  for (const id of state.incidents) add(id, 'replay-incident');
  for (const id of state.flows) add(id, 'replay-flow');
  for (const id of state.newFlows) add(id, 'replay-flow-new');
  if (state.step?.elementId && state.step.elementType !== 'PROCESS')
    add(state.step.elementId, 'replay-current');
  return markers;
}
