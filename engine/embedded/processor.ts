import { type FeelContext, FeelEvaluationError, evaluateFeel, isFeelExpression } from '../feel/feel.ts';
import type { FlowNode, Mapping, SequenceFlow, TimerDef } from '../model/process-model.ts';
import { elementOf } from '../model/process-model.ts';
import type { IncidentType, Variables } from '../port.ts';
import {
  TimerSpecError,
  addDuration,
  firstCycleDue,
  parseCycle,
  parseDuration,
  parseTimeDate,
} from '../timer/timer-spec.ts';
import type { CommandContext } from './command-context.ts';
import { InstanceState, isAlive } from './instance-state.ts';
import type { ElementInstanceRow, IncidentRow, JobRow, ProcessInstanceRow } from './rows.ts';
import { parseJson } from './rows.ts';
import { placeholders } from './sql.ts';

/** Thrown inside a step when Zeebe would raise an incident; the step catches it and records the incident. */
export class IncidentSignal extends Error {
  constructor(
    readonly type: IncidentType,
    message: string,
  ) {
    super(message);
  }
}

interface ActivateOptions {
  /** The event was triggered (message, timer, signal, error…): complete at once with these variables. */
  triggered?: { variables?: Variables; local?: Variables };
  /** Multi-instance inner instance: its index and, for parallel bodies, its input item. */
  loopIndex?: number;
  item?: unknown;
  hasItem?: boolean;
}

type Step =
  | {
      kind: 'activate';
      inst: InstanceState;
      elementId: string;
      flowScopeKey: number;
      epoch: number;
      opts: ActivateOptions;
    }
  | { kind: 'complete'; inst: InstanceState; eiKey: number; variables?: Variables; propagate?: boolean };

/** Where a thrown error or escalation is caught. */
interface CatchTarget {
  inst: InstanceState;
  /** The element instance the catch belongs to: an activity (boundary) or a scope (event sub-process). */
  owner: ElementInstanceRow;
  elementId: string;
  interrupting: boolean;
}

const SIMPLE_NAME = /^=?\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/;

/**
 * The token loop: advances every token of the instances a command touches until each rests at a wait state
 * (job, user task, timer, subscription, join) or its instance ends, with Zeebe's semantics for scopes,
 * variables, gateways, events, multi-instance and incidents. Works on the command's in-memory state;
 * CommandContext writes the result.
 */
export class Processor {
  private readonly queue: Step[] = [];
  private head = 0;
  /** Queued activations per scope element instance: a scope with pending tokens is not complete. */
  private readonly pending = new Map<number, number>();
  /** Scopes (instance key + scope key) with tokens waiting at inclusive joins. */
  private readonly inclusiveScopes = new Map<number, InstanceState>();
  private incidentsCache = new Map<number, IncidentRow[]>();

  constructor(private readonly ctx: CommandContext) {}

  // ---------------------------------------------------------------------------------------------------------
  // Entry points used by the commands

  /** Starts a new instance at its none start event, or at a given (triggered) start event. */
  startInstance(
    inst: InstanceState,
    variables: Variables,
    start?: { elementId: string; variables?: Variables },
  ): void {
    const root: ElementInstanceRow = {
      key: inst.row.key,
      processInstanceKey: inst.row.key,
      flowScopeKey: null,
      elementId: inst.model.root.id,
      elementType: 'PROCESS',
      state: 'ACTIVATED',
      data: {},
      createdAt: this.ctx.now,
    };
    inst.put(root, false);
    this.ctx.event(inst, root, 'PROCESS_INSTANCE_CREATED', {
      bpmnProcessId: inst.row.bpmnProcessId,
      version: inst.row.version,
      processDefinitionKey: String(inst.row.processDefinitionKey),
      parentProcessInstanceKey: keyOrNull(inst.row.parentProcessInstanceKey),
      parentElementInstanceKey: keyOrNull(inst.row.parentElementInstanceKey),
    });
    for (const [name, value] of Object.entries(variables)) this.setVar(inst, root.key, name, value);
    this.openEventSubProcessSubscriptions(inst, root, inst.model.root);
    const startId = start?.elementId ?? inst.model.root.startEventId;
    if (!startId) throw new Error(`Process ${inst.model.bpmnProcessId} has no none start event`);
    this.enqueueActivate(inst, startId, root.key, start ? { triggered: { variables: start.variables } } : {});
  }

  /** Completes a waiting element instance (job, user task, call activity) with variables. */
  complete(inst: InstanceState, ei: ElementInstanceRow, variables?: Variables, propagate = true): void {
    this.queue.push({ kind: 'complete', inst, eiKey: ei.key, variables, propagate });
  }

  /**
   * A subscription fired (message, timer, signal): triggers the catching element owned by `owner` with the
   * event's variables — completes a catch event, activates a boundary event or an event sub-process.
   */
  async trigger(
    inst: InstanceState,
    owner: ElementInstanceRow,
    elementId: string,
    variables: Variables | undefined,
  ): Promise<void> {
    const el = elementOf(inst.model, elementId);
    if (el.behavior === 'boundary') {
      if (owner.flowScopeKey == null) return;
      if (el.interrupting) await this.terminate(inst, owner);
      this.enqueueActivate(inst, el.id, owner.flowScopeKey, { triggered: { variables } });
      return;
    }
    if (
      el.behavior === 'startEvent' &&
      el.scopeId &&
      elementOf(inst.model, el.scopeId).behavior === 'eventSubProcess'
    ) {
      const esp = elementOf(inst.model, el.scopeId);
      if (esp.interrupting) await this.interruptScope(inst, owner);
      this.enqueueActivate(inst, esp.id, owner.key, { triggered: { variables } });
      return;
    }
    if (owner.elementType === 'EVENT_BASED_GATEWAY') {
      const gateway = elementOf(inst.model, owner.elementId);
      const flow = gateway.outgoing.find((f) => f.targetId === elementId);
      this.closeSubscriptions(inst, owner);
      this.finish(inst, owner, 'ELEMENT_COMPLETED');
      if (flow) this.takeFlow(inst, owner.flowScopeKey!, flow, { triggered: { variables } });
      return;
    }
    // An intermediate catch event or receive task: it completes with the event's variables.
    this.complete(inst, owner, variables);
  }

  /** Throws a BPMN error from an element instance (a job's task, or an error end event). */
  async throwError(
    inst: InstanceState,
    ei: ElementInstanceRow,
    code: string,
    message: string,
    variables: Variables | undefined,
    jobKey: number | null,
  ): Promise<boolean> {
    this.ctx.event(inst, ei, 'ERROR_THROWN', { errorCode: code, errorMessage: message });
    const target = await this.findCatch(inst, ei, 'error', code);
    if (!target) {
      ei.data.error = { code, message, variables };
      this.raiseIncident(
        inst,
        ei,
        'UNHANDLED_ERROR_EVENT',
        `Expected to throw an error event with the code '${code}'${message ? ` with message '${message}'` : ''}, but it was not caught. No error events are available in the scope.`,
        'throwError',
        jobKey,
      );
      return false;
    }
    await this.catchThrown(target, { ...(variables ?? {}) }, { errorCode: code, errorMessage: message });
    return true;
  }

  /** Cancels an instance: terminates every element instance and ends the instance TERMINATED. */
  async cancel(inst: InstanceState): Promise<void> {
    const root = inst.elements.get(inst.row.key);
    if (!root) return;
    await this.terminate(inst, root);
  }

  /** Re-runs the step an incident stopped. */
  async retry(inst: InstanceState, ei: ElementInstanceRow): Promise<void> {
    const how = ei.data.retry;
    delete ei.data.retry;
    inst.touch(ei);
    const el = elementOf(inst.model, ei.elementId);
    if (how === 'activate') {
      this.closeSubscriptions(inst, ei);
      await this.runActivation(inst, ei, el, {});
    } else if (how === 'complete') {
      const variables = ei.data.pendingVariables;
      delete ei.data.pendingVariables;
      ei.state = 'ACTIVATED';
      this.complete(inst, ei, variables);
    } else if (how === 'throwError' && ei.data.error) {
      const { code, message, variables } = ei.data.error;
      delete ei.data.error;
      await this.throwError(inst, ei, code, message, variables, null);
    }
  }

  /** Sets variables on a scope, propagating like Zeebe unless `local`. */
  setVariables(inst: InstanceState, scopeKey: number, variables: Variables, local: boolean): void {
    if (local)
      for (const [name, value] of Object.entries(variables)) this.setVar(inst, scopeKey, name, value);
    else this.mergeDocument(inst, scopeKey, variables);
  }

  /** Runs the queue until every token rests. */
  async run(): Promise<void> {
    for (;;) {
      while (this.head < this.queue.length) {
        const step = this.queue[this.head++];
        if (step.kind === 'activate') {
          this.pending.set(step.flowScopeKey, (this.pending.get(step.flowScopeKey) ?? 1) - 1);
          await this.activate(step);
        } else {
          const ei = step.inst.elements.get(step.eiKey);
          if (ei && isAlive(ei))
            await this.completeNow(step.inst, ei, step.variables, step.propagate ?? true);
        }
        if (this.head > 1024 && this.head === this.queue.length) {
          this.queue.length = 0;
          this.head = 0;
        }
      }
      if (!this.fireInclusiveJoins()) break;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Activation

  private enqueueActivate(
    inst: InstanceState,
    elementId: string,
    flowScopeKey: number,
    opts: ActivateOptions,
  ): void {
    this.pending.set(flowScopeKey, (this.pending.get(flowScopeKey) ?? 0) + 1);
    this.queue.push({
      kind: 'activate',
      inst,
      elementId,
      flowScopeKey,
      epoch: inst.scopeEpoch.get(flowScopeKey) ?? 0,
      opts,
    });
  }

  private async activate(step: Extract<Step, { kind: 'activate' }>): Promise<void> {
    const { inst, elementId, flowScopeKey, opts } = step;
    const scope = inst.elements.get(flowScopeKey);
    if (!scope || scope.state !== 'ACTIVATED' || (inst.scopeEpoch.get(flowScopeKey) ?? 0) !== step.epoch)
      return;
    const el = elementOf(inst.model, elementId);
    const isBody = el.multiInstance !== undefined && opts.loopIndex === undefined;
    const ei: ElementInstanceRow = {
      key: this.ctx.nextKey(),
      processInstanceKey: inst.row.key,
      flowScopeKey,
      elementId,
      elementType: isBody ? 'MULTI_INSTANCE_BODY' : el.elementType,
      state: 'ACTIVATING',
      data: {},
      createdAt: this.ctx.now,
    };
    inst.put(ei, false);
    this.ctx.event(inst, ei, 'ELEMENT_ACTIVATED');
    if (opts.loopIndex !== undefined) {
      const mi = el.multiInstance!;
      ei.data.loopCounter = opts.loopIndex + 1;
      this.setVar(inst, ei.key, 'loopCounter', opts.loopIndex + 1);
      if (mi.inputElement) {
        let item = opts.item;
        if (!opts.hasItem) {
          try {
            const collection = this.evalList(inst, flowScopeKey, mi.inputCollection, 'input collection');
            item = collection[opts.loopIndex];
          } catch (e) {
            if (e instanceof IncidentSignal)
              return this.raiseIncident(inst, ei, e.type, e.message, 'activate');
            throw e;
          }
        }
        this.setVar(inst, ei.key, mi.inputElement, item ?? null);
      }
      const out = mi.outputElement?.match(SIMPLE_NAME);
      if (mi.outputCollection && out && out[1] !== mi.inputElement) this.setVar(inst, ei.key, out[1], null);
    }
    await this.runActivation(inst, ei, el, opts);
  }

  private async runActivation(
    inst: InstanceState,
    ei: ElementInstanceRow,
    el: FlowNode,
    opts: ActivateOptions,
  ): Promise<void> {
    try {
      if (ei.elementType === 'MULTI_INSTANCE_BODY') return this.activateBody(inst, ei, el);
      if (el.inputs.length > 0) this.applyInputs(inst, ei, el.inputs);
      if (opts.triggered?.local) {
        for (const [name, value] of Object.entries(opts.triggered.local))
          this.setVar(inst, ei.key, name, value);
      }
      switch (el.behavior) {
        case 'job':
          this.openBoundaries(inst, ei, el);
          this.createJob(inst, ei, el);
          ei.state = 'ACTIVATED';
          return;
        case 'userTask':
          this.openBoundaries(inst, ei, el);
          await this.createUserTask(inst, ei, el);
          ei.state = 'ACTIVATED';
          return;
        case 'receive':
          this.openBoundaries(inst, ei, el);
          ei.state = 'ACTIVATED';
          await this.subscribe(inst, ei, el, ei, true);
          return;
        case 'catchEvent':
          if (opts.triggered) return this.completeActivated(inst, ei, opts.triggered.variables);
          ei.state = 'ACTIVATED';
          await this.subscribe(inst, ei, el, ei, true);
          return;
        case 'eventBasedGateway':
          ei.state = 'ACTIVATED';
          for (const targetId of el.eventGatewayTargets) {
            this.openSubscriptionSync(inst, ei, elementOf(inst.model, targetId), ei, true);
          }
          await this.correlateBuffered();
          return;
        case 'subProcess':
          this.openBoundaries(inst, ei, el);
          ei.state = 'ACTIVATED';
          this.openEventSubProcessSubscriptions(inst, ei, el);
          this.enqueueActivate(inst, el.startEventId!, ei.key, {});
          return;
        case 'eventSubProcess':
          ei.state = 'ACTIVATED';
          this.openEventSubProcessSubscriptions(inst, ei, el);
          this.enqueueActivate(inst, el.startEventId!, ei.key, { triggered: opts.triggered ?? {} });
          return;
        case 'callActivity':
          this.openBoundaries(inst, ei, el);
          await this.callProcess(inst, ei, el);
          return;
        case 'script': {
          const script = el.script!;
          const value = this.evalExpr(inst, ei.key, script.expression, 'EXTRACT_VALUE_ERROR', 'script');
          return this.completeActivated(
            inst,
            ei,
            script.resultVariable ? { [script.resultVariable]: value } : {},
          );
        }
        case 'endEvent':
        case 'throwEvent':
          return await this.activateThrow(inst, ei, el);
        case 'startEvent':
        case 'boundary':
          return this.completeActivated(inst, ei, opts.triggered?.variables);
        default:
          return this.completeActivated(inst, ei, undefined);
      }
    } catch (e) {
      if (e instanceof IncidentSignal) return this.raiseIncident(inst, ei, e.type, e.message, 'activate');
      throw e;
    }
  }

  private completeActivated(
    inst: InstanceState,
    ei: ElementInstanceRow,
    variables: Variables | undefined,
  ): void {
    ei.state = 'ACTIVATED';
    this.complete(inst, ei, variables);
  }

  private activateBody(inst: InstanceState, body: ElementInstanceRow, el: FlowNode): void {
    const mi = el.multiInstance!;
    const collection = this.evalList(inst, body.key, mi.inputCollection, 'input collection');
    this.openBoundaries(inst, body, el);
    if (mi.outputCollection) {
      this.setVar(inst, body.key, mi.outputCollection, new Array(collection.length).fill(null));
    }
    body.state = 'ACTIVATED';
    body.data.mi = {
      size: collection.length,
      completed: 0,
      terminated: 0,
      nextIndex: mi.sequential ? 1 : collection.length,
    };
    if (collection.length === 0) {
      this.complete(inst, body);
      return;
    }
    if (mi.sequential) {
      this.enqueueActivate(inst, el.id, body.key, { loopIndex: 0, item: collection[0], hasItem: true });
    } else {
      collection.forEach((item, i) =>
        this.enqueueActivate(inst, el.id, body.key, { loopIndex: i, item, hasItem: true }),
      );
    }
  }

  private async activateThrow(inst: InstanceState, ei: ElementInstanceRow, el: FlowNode): Promise<void> {
    const kind = el.event?.kind ?? 'none';
    ei.state = 'ACTIVATED';
    switch (kind) {
      case 'terminate': {
        await this.interruptScope(inst, inst.elements.get(ei.flowScopeKey!)!, ei.key);
        return this.complete(inst, ei);
      }
      case 'error': {
        const code = String(
          this.evalExpr(inst, ei.key, el.event?.code ?? '', 'EXTRACT_VALUE_ERROR', 'error code'),
        );
        await this.throwError(inst, ei, code, '', undefined, null);
        return;
      }
      case 'escalation': {
        const code = String(
          this.evalExpr(inst, ei.key, el.event?.code ?? '', 'EXTRACT_VALUE_ERROR', 'escalation code'),
        );
        this.ctx.event(inst, ei, 'ESCALATION_THROWN', { escalationCode: code });
        const target = await this.findCatch(inst, ei, 'escalation', code);
        if (target) {
          await this.catchThrown(target, {}, { escalationCode: code });
          if (target.interrupting && !inst.elements.has(ei.key)) return;
        }
        return this.complete(inst, ei);
      }
      case 'signal': {
        const name = this.evalString(inst, ei.key, el.event?.signalName ?? '', 'signal name');
        await this.broadcastSignal(name, {});
        if (inst.elements.has(ei.key)) this.complete(inst, ei);
        return;
      }
      default:
        return this.complete(inst, ei);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Completion and sequence flows

  private async completeNow(
    inst: InstanceState,
    ei: ElementInstanceRow,
    variables: Variables | undefined,
    propagate: boolean,
  ): Promise<void> {
    const el = elementOf(inst.model, ei.elementId);
    if (ei.elementType === 'MULTI_INSTANCE_BODY') return this.completeBody(inst, ei, el);
    const isInner = el.multiInstance !== undefined;
    let flows: SequenceFlow[] = [];
    let innerOutput: unknown = undefined;
    let conditionMet = false;
    ei.state = 'COMPLETING';
    try {
      this.applyOutputs(inst, ei, el, variables, propagate);
      if (isInner) {
        const mi = el.multiInstance!;
        if (mi.outputCollection && mi.outputElement) {
          innerOutput = this.evalExpr(
            inst,
            ei.key,
            mi.outputElement,
            'EXTRACT_VALUE_ERROR',
            'output element',
          );
        }
        if (mi.completionCondition) {
          const body = inst.elements.get(ei.flowScopeKey!)!;
          const m = body.data.mi!;
          const active = inst.children(body.key).length;
          const context = {
            ...inst.visible(ei.key),
            numberOfInstances: m.size,
            numberOfActiveInstances: active - 1,
            numberOfCompletedInstances: m.completed + 1,
            numberOfTerminatedInstances: m.terminated,
          };
          conditionMet = this.evalCondition(mi.completionCondition, context, 'completion condition');
        }
      } else if (ei.flowScopeKey != null) {
        flows = this.chooseFlows(inst, ei, el);
      }
    } catch (e) {
      if (e instanceof IncidentSignal) {
        if (variables) ei.data.pendingVariables = variables;
        return this.raiseIncident(inst, ei, e.type, e.message, 'complete');
      }
      throw e;
    }
    this.closeSubscriptions(inst, ei);
    if (ei.flowScopeKey == null) return await this.completeInstance(inst, ei);
    this.finish(inst, ei, 'ELEMENT_COMPLETED');
    if (isInner) return this.innerCompleted(inst, ei, el, innerOutput, conditionMet);
    if (flows.length === 0) {
      this.maybeCompleteScope(inst, ei.flowScopeKey);
      return;
    }
    for (const flow of flows) this.takeFlow(inst, ei.flowScopeKey, flow, {});
  }

  /** Removes an ended element instance and records it. */
  private finish(
    inst: InstanceState,
    ei: ElementInstanceRow,
    intent: 'ELEMENT_COMPLETED' | 'ELEMENT_TERMINATED',
  ): void {
    inst.remove(ei);
    ei.state = intent === 'ELEMENT_COMPLETED' ? 'COMPLETED' : 'TERMINATED';
    this.ctx.event(inst, ei, intent);
  }

  private chooseFlows(inst: InstanceState, ei: ElementInstanceRow, el: FlowNode): SequenceFlow[] {
    if (el.behavior === 'exclusiveGateway' || el.behavior === 'inclusiveGateway') {
      if (el.outgoing.length === 1 && !el.outgoing[0].condition) return el.outgoing;
      const context = inst.lookup(ei.key);
      const taken: SequenceFlow[] = [];
      for (const flow of el.outgoing) {
        if (flow.id === el.defaultFlowId || !flow.condition) continue;
        if (this.evalCondition(flow.condition, context, `condition of ${flow.id}`)) {
          taken.push(flow);
          if (el.behavior === 'exclusiveGateway') break;
        }
      }
      if (taken.length > 0) return taken;
      const fallback = el.outgoing.find((f) => f.id === el.defaultFlowId);
      if (fallback) return [fallback];
      throw new IncidentSignal(
        'CONDITION_ERROR',
        `Expected at least one condition to evaluate to true, or to have a default flow (gateway ${el.id})`,
      );
    }
    return el.outgoing;
  }

  private takeFlow(inst: InstanceState, scopeKey: number, flow: SequenceFlow, opts: ActivateOptions): void {
    this.ctx.event(inst, null, 'SEQUENCE_FLOW_TAKEN', {}, { id: flow.id, type: 'SEQUENCE_FLOW' });
    const target = elementOf(inst.model, flow.targetId);
    if (!target.isJoin) {
      this.enqueueActivate(inst, target.id, scopeKey, opts);
      return;
    }
    const scope = inst.elements.get(scopeKey)!;
    const joins = (scope.data.joins ??= {});
    const tokens = (joins[target.id] ??= {});
    tokens[flow.id] = (tokens[flow.id] ?? 0) + 1;
    inst.touch(scope);
    if (target.behavior === 'parallelGateway') {
      if (target.incoming.every((f) => (tokens[f.id] ?? 0) > 0)) {
        this.consumeJoinTokens(scope, target.id);
        this.enqueueActivate(inst, target.id, scopeKey, {});
      }
    } else {
      this.inclusiveScopes.set(scope.key, inst);
    }
  }

  private consumeJoinTokens(scope: ElementInstanceRow, joinId: string): void {
    const tokens = scope.data.joins![joinId];
    for (const flowId of Object.keys(tokens)) {
      if (--tokens[flowId] <= 0) delete tokens[flowId];
    }
    if (Object.keys(tokens).length === 0) delete scope.data.joins![joinId];
    if (Object.keys(scope.data.joins!).length === 0) delete scope.data.joins;
  }

  /** Fires inclusive joins that no live token can reach any more; true when one fired. */
  private fireInclusiveJoins(): boolean {
    let fired = false;
    for (const [scopeKey, inst] of this.inclusiveScopes) {
      const scope = inst.elements.get(scopeKey);
      if (!scope || !scope.data.joins) {
        this.inclusiveScopes.delete(scopeKey);
        continue;
      }
      const children = inst.children(scopeKey);
      for (const joinId of Object.keys(scope.data.joins)) {
        const join = elementOf(inst.model, joinId);
        if (join.behavior !== 'inclusiveGateway') continue;
        const reachable = inst.model.reachableFrom.get(joinId) ?? new Set<string>();
        const blocked =
          children.some((c) => reachable.has(c.elementId)) ||
          Object.keys(scope.data.joins).some((other) => other !== joinId && reachable.has(other));
        if (blocked) continue;
        this.consumeJoinTokens(scope, joinId);
        inst.touch(scope);
        this.enqueueActivate(inst, joinId, scopeKey, {});
        fired = true;
        break;
      }
      if (!scope.data.joins) this.inclusiveScopes.delete(scopeKey);
    }
    return fired;
  }

  private maybeCompleteScope(inst: InstanceState, scopeKey: number): void {
    const scope = inst.elements.get(scopeKey);
    if (!scope || scope.state !== 'ACTIVATED' || scope.elementType === 'MULTI_INSTANCE_BODY') return;
    if ((this.pending.get(scopeKey) ?? 0) > 0) return;
    if (scope.data.joins && Object.keys(scope.data.joins).length > 0) return;
    if (inst.children(scopeKey).length > 0) return;
    this.complete(inst, scope);
  }

  private async completeInstance(inst: InstanceState, root: ElementInstanceRow): Promise<void> {
    const childVariables = inst.local(root.key);
    inst.remove(root);
    root.state = 'COMPLETED';
    inst.row.state = 'COMPLETED';
    inst.row.endedAt = this.ctx.now;
    inst.rowDirty = true;
    this.ctx.event(inst, root, 'PROCESS_INSTANCE_COMPLETED');
    await this.returnToParent(inst, childVariables);
  }

  private async returnToParent(inst: InstanceState, childVariables: Variables): Promise<void> {
    const parentKey = inst.row.parentProcessInstanceKey;
    if (parentKey == null) return;
    const parent = await this.ctx.loadInstance(parentKey);
    const callEi = parent.elements.get(inst.row.parentElementInstanceKey!);
    if (!callEi) return;
    const el = elementOf(parent.model, callEi.elementId);
    const propagate = el.calledElement?.propagateAllChildVariables !== false;
    this.complete(parent, callEi, childVariables, propagate);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Multi-instance

  private innerCompleted(
    inst: InstanceState,
    inner: ElementInstanceRow,
    el: FlowNode,
    output: unknown,
    conditionMet: boolean,
  ): void {
    const body = inst.elements.get(inner.flowScopeKey!)!;
    const mi = el.multiInstance!;
    const m = body.data.mi!;
    if (mi.outputCollection) {
      const current = inst.variables.get(body.key)?.get(mi.outputCollection)?.value;
      const list = Array.isArray(current) ? [...current] : new Array(m.size).fill(null);
      list[(inner.data.loopCounter ?? 1) - 1] = output === undefined ? null : output;
      this.setVar(inst, body.key, mi.outputCollection, list);
    }
    m.completed++;
    inst.touch(body);
    if (conditionMet) {
      for (const child of inst.children(body.key)) {
        this.terminateSync(inst, child);
        m.terminated++;
      }
      this.complete(inst, body);
      return;
    }
    if (mi.sequential && m.nextIndex < m.size) {
      const index = m.nextIndex++;
      this.enqueueActivate(inst, el.id, body.key, { loopIndex: index });
      return;
    }
    if (m.completed + m.terminated >= m.size && inst.children(body.key).length === 0)
      this.complete(inst, body);
  }

  private completeBody(inst: InstanceState, body: ElementInstanceRow, el: FlowNode): void {
    const mi = el.multiInstance!;
    if (mi.outputCollection) {
      const value = inst.variables.get(body.key)?.get(mi.outputCollection)?.value ?? [];
      this.mergeDocument(inst, body.flowScopeKey!, { [mi.outputCollection]: value });
    }
    this.closeSubscriptions(inst, body);
    this.finish(inst, body, 'ELEMENT_COMPLETED');
    if (el.outgoing.length === 0) {
      this.maybeCompleteScope(inst, body.flowScopeKey!);
      return;
    }
    for (const flow of el.outgoing) this.takeFlow(inst, body.flowScopeKey!, flow, {});
  }

  // ---------------------------------------------------------------------------------------------------------
  // Termination

  /** Terminates an element instance and everything inside it; a process root ends its instance TERMINATED. */
  async terminate(inst: InstanceState, ei: ElementInstanceRow): Promise<void> {
    for (const child of inst.children(ei.key)) await this.terminate(inst, child);
    const calledKey = ei.data.calledInstanceKey;
    if (calledKey != null) {
      const child = await this.ctx.loadInstance(calledKey);
      const childRoot = child.elements.get(child.row.key);
      if (child.row.state === 'ACTIVE' && childRoot) await this.terminate(child, childRoot);
    }
    await this.resolveIncidentsOf(inst, ei);
    this.cancelWork(inst, ei);
    if (ei.flowScopeKey == null) {
      inst.remove(ei);
      ei.state = 'TERMINATED';
      inst.row.state = 'TERMINATED';
      inst.row.endedAt = this.ctx.now;
      inst.rowDirty = true;
      this.ctx.event(inst, ei, 'PROCESS_INSTANCE_TERMINATED');
      return;
    }
    this.finish(inst, ei, 'ELEMENT_TERMINATED');
  }

  /** Terminate without I/O, for element instances that cannot own a called instance or incidents loaded later. */
  private terminateSync(inst: InstanceState, ei: ElementInstanceRow): void {
    for (const child of inst.children(ei.key)) this.terminateSync(inst, child);
    this.cancelWork(inst, ei);
    this.finish(inst, ei, 'ELEMENT_TERMINATED');
  }

  /** Terminates every child of a scope (interrupting event sub-process, terminate end event). */
  private async interruptScope(
    inst: InstanceState,
    scope: ElementInstanceRow,
    except?: number,
  ): Promise<void> {
    inst.scopeEpoch.set(scope.key, (inst.scopeEpoch.get(scope.key) ?? 0) + 1);
    for (const child of inst.children(scope.key)) {
      if (child.key !== except) await this.terminate(inst, child);
    }
    if (scope.data.joins) {
      delete scope.data.joins;
      inst.touch(scope);
    }
    const el = elementOf(inst.model, scope.elementId);
    if (el.eventSubProcessStartIds.length > 0 && inst.stored.has(scope.key)) {
      const ids = el.eventSubProcessStartIds;
      for (const table of ['engine_timer', 'engine_message_subscription', 'engine_signal_subscription']) {
        this.ctx.statements.push({
          sql: `DELETE FROM ${table} WHERE element_instance_key = ? AND element_id IN (${placeholders(ids.length)})`,
          params: [scope.key, ...ids],
        });
      }
    }
  }

  /** Cancels what an element instance waits on: its job, user task and subscriptions. */
  private cancelWork(inst: InstanceState, ei: ElementInstanceRow): void {
    const el = elementOf(inst.model, ei.elementId);
    const stored = inst.stored.has(ei.key);
    if (ei.elementType !== 'MULTI_INSTANCE_BODY' && ei.state !== 'ACTIVATING') {
      if (el.behavior === 'job' && !this.ctx.settledJobElements.has(ei.key)) {
        this.ctx.event(inst, ei, 'JOB_CANCELED', ei.data.jobKey ? { jobKey: String(ei.data.jobKey) } : {});
        if (stored) this.ctx.jobDeletesByElement.push(ei.key);
      } else if (el.behavior === 'userTask') {
        this.ctx.event(
          inst,
          ei,
          'USER_TASK_CANCELED',
          ei.data.userTaskKey ? { userTaskKey: String(ei.data.userTaskKey) } : {},
        );
        if (stored) {
          this.ctx.statements.push({
            sql: "UPDATE engine_user_task SET state = 'CANCELED', completed_at = ? WHERE element_instance_key = ? AND state = 'CREATED'",
            params: [this.ctx.now, ei.key],
          });
        }
      }
    }
    this.closeSubscriptions(inst, ei);
  }

  /** Deletes the timers and subscriptions an element instance owns (rows not yet written are skipped at flush). */
  private closeSubscriptions(inst: InstanceState, ei: ElementInstanceRow): void {
    if (!inst.stored.has(ei.key)) return;
    const el = elementOf(inst.model, ei.elementId);
    const isInner = el.multiInstance !== undefined && ei.elementType !== 'MULTI_INSTANCE_BODY';
    const owns =
      (!isInner && el.boundaryEvents.length > 0) ||
      el.eventSubProcessStartIds.length > 0 ||
      el.behavior === 'catchEvent' ||
      el.behavior === 'receive' ||
      el.behavior === 'eventBasedGateway';
    if (!owns) return;
    this.ctx.timerDeletesByElement.push(ei.key);
    this.ctx.messageSubDeletesByElement.push(ei.key);
    this.ctx.signalSubDeletesByElement.push(ei.key);
  }

  private async resolveIncidentsOf(inst: InstanceState, ei: ElementInstanceRow): Promise<void> {
    if (inst.row.incidentCount <= 0) return;
    let incidents = this.incidentsCache.get(inst.row.key);
    if (!incidents) {
      const rows = await this.ctx.sql.all<{
        incident_key: number | string;
        element_instance_key: number | string;
        type: string;
      }>(
        "SELECT incident_key, element_instance_key, type FROM engine_incident WHERE process_instance_key = ? AND state = 'ACTIVE'",
        [inst.row.key],
      );
      incidents = rows.map((r) => ({
        key: Number(r.incident_key),
        elementInstanceKey: Number(r.element_instance_key),
        type: r.type,
        state: 'ACTIVE',
      })) as IncidentRow[];
      this.incidentsCache.set(inst.row.key, incidents);
    }
    for (const incident of incidents.filter(
      (i) => i.elementInstanceKey === ei.key && i.state !== 'RESOLVED',
    )) {
      incident.state = 'RESOLVED';
      this.ctx.statements.push({
        sql: "UPDATE engine_incident SET state = 'RESOLVED', resolved_at = ? WHERE incident_key = ?",
        params: [this.ctx.now, incident.key],
      });
      inst.row.incidentCount--;
      inst.rowDirty = true;
      this.ctx.event(inst, ei, 'INCIDENT_RESOLVED', {
        incidentKey: String(incident.key),
        errorType: incident.type,
      });
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Errors and escalations

  private async findCatch(
    inst: InstanceState,
    thrower: ElementInstanceRow,
    kind: 'error' | 'escalation',
    code: string,
  ): Promise<CatchTarget | undefined> {
    let current: InstanceState = inst;
    let ei: ElementInstanceRow | undefined = thrower;
    let fromInside = false;
    while (ei) {
      const el = elementOf(current.model, ei.elementId);
      if (fromInside && el.eventSubProcessStartIds.length > 0) {
        const starts = el.eventSubProcessStartIds.map((id) => elementOf(current.model, id));
        const hit = pickCatch(starts, kind, code);
        if (hit) {
          return {
            inst: current,
            owner: ei,
            elementId: hit.id,
            interrupting: elementOf(current.model, hit.scopeId!).interrupting,
          };
        }
      }
      const isInner = el.multiInstance !== undefined && ei.elementType !== 'MULTI_INSTANCE_BODY';
      if (!isInner && el.boundaryEvents.length > 0) {
        const boundaries = el.boundaryEvents.map((id) => elementOf(current.model, id));
        const hit = pickCatch(boundaries, kind, code);
        if (hit) return { inst: current, owner: ei, elementId: hit.id, interrupting: hit.interrupting };
      }
      fromInside = true;
      if (ei.flowScopeKey != null) {
        ei = current.elements.get(ei.flowScopeKey);
        continue;
      }
      const parentKey = current.row.parentProcessInstanceKey;
      if (parentKey == null) return undefined;
      const parent = await this.ctx.loadInstance(parentKey);
      ei = parent.elements.get(current.row.parentElementInstanceKey!);
      current = parent;
      // The call activity itself is where the error surfaces in the parent: check its boundaries first.
      fromInside = false;
    }
    return undefined;
  }

  private async catchThrown(target: CatchTarget, variables: Variables, local: Variables): Promise<void> {
    const { inst, owner, elementId } = target;
    const el = elementOf(inst.model, elementId);
    if (el.behavior === 'boundary') {
      if (target.interrupting) await this.terminate(inst, owner);
      this.enqueueActivate(inst, el.id, owner.flowScopeKey!, { triggered: { variables, local } });
      return;
    }
    const esp = elementOf(inst.model, el.scopeId!);
    if (target.interrupting) await this.interruptScope(inst, owner);
    this.enqueueActivate(inst, esp.id, owner.key, { triggered: { variables, local } });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Jobs, user tasks, called processes

  private createJob(inst: InstanceState, ei: ElementInstanceRow, el: FlowNode): void {
    const job = el.job!;
    const type = this.evalString(inst, ei.key, job.type, 'job type');
    const retriesValue = this.evalExpr(inst, ei.key, job.retries, 'EXTRACT_VALUE_ERROR', 'job retries');
    const retries = Number(retriesValue);
    if (!Number.isInteger(retries) || retries < 0) {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `Expected job retries to be a whole number, but was '${String(retriesValue)}'`,
      );
    }
    const key = this.ctx.nextKey();
    const waiter = this.ctx.env.jobPush?.claim(type);
    if (waiter) this.ctx.pushActivationKey ??= this.ctx.nextKey();
    const row: JobRow = {
      key,
      type,
      state: waiter ? 'ACTIVATED' : 'ACTIVATABLE',
      processInstanceKey: inst.row.key,
      elementInstanceKey: ei.key,
      elementId: ei.elementId,
      bpmnProcessId: inst.row.bpmnProcessId,
      processDefinitionKey: inst.row.processDefinitionKey,
      version: inst.row.version,
      retries,
      worker: waiter ? waiter.worker : null,
      deadline: waiter ? this.ctx.now + waiter.timeout : null,
      activationKey: waiter ? this.ctx.pushActivationKey : null,
      backoffUntil: null,
      customHeaders: job.headers,
      errorMessage: null,
      createdAt: this.ctx.now,
    };
    this.ctx.jobInserts.push(row);
    ei.data.jobKey = key;
    if (waiter) this.ctx.pushed.push({ waiter, job: row, inst });
    else this.ctx.newJobTypes.add(type);
    this.ctx.event(inst, ei, 'JOB_CREATED', { jobKey: String(key), type, retries });
  }

  private async createUserTask(inst: InstanceState, ei: ElementInstanceRow, el: FlowNode): Promise<void> {
    const def = el.userTask!;
    const assigneeValue = def.assignee
      ? this.evalExpr(inst, ei.key, def.assignee, 'EXTRACT_VALUE_ERROR', 'assignee')
      : null;
    const assignee = assigneeValue == null || assigneeValue === '' ? null : String(assigneeValue);
    const candidateGroups = def.candidateGroups
      ? this.evalNames(inst, ei.key, def.candidateGroups, 'candidate groups')
      : [];
    const candidateUsers = def.candidateUsers
      ? this.evalNames(inst, ei.key, def.candidateUsers, 'candidate users')
      : [];
    const dueDate = def.dueDate ? this.evalDate(inst, ei.key, def.dueDate, 'due date') : null;
    const followUpDate = def.followUpDate
      ? this.evalDate(inst, ei.key, def.followUpDate, 'follow-up date')
      : null;
    let priority = 50;
    if (def.priority) {
      const p = Number(this.evalExpr(inst, ei.key, def.priority, 'EXTRACT_VALUE_ERROR', 'priority'));
      if (!Number.isInteger(p) || p < 0 || p > 100) {
        throw new IncidentSignal(
          'EXTRACT_VALUE_ERROR',
          `Expected priority to be a whole number from 0 to 100, but was '${p}'`,
        );
      }
      priority = p;
    }
    let formKey = def.formKey ?? null;
    if (def.formId) {
      const rows = await this.ctx.sql.all<{ form_key: number | string }>(
        'SELECT form_key FROM engine_form WHERE form_id = ? ORDER BY version DESC LIMIT 1',
        [def.formId],
      );
      if (rows.length === 0) {
        throw new IncidentSignal(
          'FORM_NOT_FOUND',
          `Expected to find a form with id '${def.formId}', but none is deployed`,
        );
      }
      formKey = String(rows[0].form_key);
    }
    const externalFormReference = def.externalReference
      ? this.evalString(inst, ei.key, def.externalReference, 'external form reference')
      : null;
    const key = this.ctx.nextKey();
    this.ctx.userTaskInserts.push({
      key,
      elementInstanceKey: ei.key,
      processInstanceKey: inst.row.key,
      processDefinitionKey: inst.row.processDefinitionKey,
      bpmnProcessId: inst.row.bpmnProcessId,
      elementId: ei.elementId,
      name: el.name ?? null,
      state: 'CREATED',
      assignee,
      candidateGroups,
      candidateUsers,
      dueDate,
      followUpDate,
      priority,
      formKey,
      externalFormReference,
      customHeaders: def.headers,
      action: null,
      completedBy: null,
      createdAt: this.ctx.now,
      completedAt: null,
    });
    ei.data.userTaskKey = key;
    this.ctx.event(inst, ei, 'USER_TASK_CREATED', {
      userTaskKey: String(key),
      name: el.name ?? null,
      assignee,
      candidateGroups,
      candidateUsers,
      dueDate: dueDate == null ? null : new Date(dueDate).toISOString(),
      followUpDate: followUpDate == null ? null : new Date(followUpDate).toISOString(),
      priority,
      formKey,
    });
  }

  private async callProcess(inst: InstanceState, ei: ElementInstanceRow, el: FlowNode): Promise<void> {
    const called = el.calledElement!;
    const processId = this.evalString(inst, ei.key, called.processId, 'called process id');
    let deployed;
    try {
      deployed = await this.ctx.env.definitions.latest(this.ctx.sql, processId);
    } catch {
      throw new IncidentSignal(
        'CALLED_ELEMENT_ERROR',
        `Expected process with BPMN process id '${processId}' to be deployed, but not found.`,
      );
    }
    if (!deployed.model.root.startEventId) {
      throw new IncidentSignal(
        'CALLED_ELEMENT_ERROR',
        `Expected process '${processId}' to have a none start event, but it has none.`,
      );
    }
    const variables = called.propagateAllParentVariables ? inst.visible(ei.key) : inst.local(ei.key);
    const row: ProcessInstanceRow = {
      key: this.ctx.nextKey(),
      rootKey: inst.row.rootKey,
      processDefinitionKey: deployed.key,
      bpmnProcessId: deployed.bpmnProcessId,
      version: deployed.version,
      state: 'ACTIVE',
      parentProcessInstanceKey: inst.row.key,
      parentElementInstanceKey: ei.key,
      messageCorrelationKey: null,
      incidentCount: 0,
      lockVersion: 0,
      startedAt: this.ctx.now,
      endedAt: null,
    };
    const child = new InstanceState(row, deployed.model, true);
    this.ctx.addNewInstance(row, child);
    ei.data.calledInstanceKey = row.key;
    ei.state = 'ACTIVATED';
    inst.touch(ei);
    this.startInstance(child, variables);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Subscriptions: timers, messages, signals

  /** Opens the subscriptions of an activity's boundary events, owned by the activity's instance. */
  private openBoundaries(inst: InstanceState, ei: ElementInstanceRow, el: FlowNode): void {
    if (el.multiInstance && ei.elementType !== 'MULTI_INSTANCE_BODY') return;
    for (const id of el.boundaryEvents) {
      const boundary = elementOf(inst.model, id);
      this.openSubscriptionSync(inst, ei, boundary, ei, boundary.interrupting);
    }
  }

  private openEventSubProcessSubscriptions(
    inst: InstanceState,
    scope: ElementInstanceRow,
    el: FlowNode,
  ): void {
    for (const id of el.eventSubProcessStartIds) {
      const start = elementOf(inst.model, id);
      const esp = elementOf(inst.model, start.scopeId!);
      this.openSubscriptionSync(inst, scope, start, scope, esp.interrupting);
    }
  }

  /** Timer, message and signal subscriptions that need no look-up. */
  private openSubscriptionSync(
    inst: InstanceState,
    owner: ElementInstanceRow,
    event: FlowNode,
    evalScope: ElementInstanceRow,
    interrupting: boolean,
  ): boolean {
    const def = event.event;
    if (!def) return false;
    if (def.kind === 'timer') {
      this.createTimer(inst, owner, event, def.timer!, evalScope, interrupting);
      return true;
    }
    if (def.kind === 'signal') {
      const name = this.evalString(inst, evalScope.key, def.signalName ?? '', 'signal name');
      this.ctx.signalSubInserts.push({
        key: this.ctx.nextKey(),
        processInstanceKey: inst.row.key,
        elementInstanceKey: owner.key,
        elementId: event.id,
        signalName: name,
        interrupting,
      });
      return true;
    }
    if (def.kind === 'message') {
      const { name, correlationKey } = this.messageSubscriptionValues(inst, evalScope, event);
      this.ctx.messageSubInserts.push({
        key: this.ctx.nextKey(),
        processInstanceKey: inst.row.key,
        elementInstanceKey: owner.key,
        elementId: event.id,
        messageName: name,
        correlationKey,
        interrupting,
      });
      this.pendingMessageChecks.push({ inst, owner, elementId: event.id, name, correlationKey });
      return true;
    }
    return false;
  }

  /** Subscriptions opened in this command, to check against buffered messages before the command ends. */
  readonly pendingMessageChecks: {
    inst: InstanceState;
    owner: ElementInstanceRow;
    elementId: string;
    name: string;
    correlationKey: string;
  }[] = [];

  private async subscribe(
    inst: InstanceState,
    owner: ElementInstanceRow,
    event: FlowNode,
    evalScope: ElementInstanceRow,
    interrupting: boolean,
  ): Promise<void> {
    this.openSubscriptionSync(inst, owner, event, evalScope, interrupting);
    await this.correlateBuffered();
  }

  /** Correlates buffered messages to subscriptions opened so far in this command. */
  async correlateBuffered(): Promise<void> {
    while (this.pendingMessageChecks.length > 0) {
      const check = this.pendingMessageChecks.shift()!;
      const owner = check.inst.elements.get(check.owner.key);
      if (!owner || owner.state !== 'ACTIVATED') continue;
      const target = `bp:${check.inst.row.bpmnProcessId}`;
      const pending = this.ctx.correlationInserts.filter((c) => c.target === target).map((c) => c.messageKey);
      const rows = await this.ctx.sql.all<{ message_key: number | string; variables: string | null }>(
        `SELECT m.message_key, m.variables FROM engine_message m
          WHERE m.name = ? AND m.correlation_key = ? AND m.expires_at > ?
            AND NOT EXISTS (SELECT 1 FROM engine_message_correlation c WHERE c.message_key = m.message_key AND c.target = ?)
          ORDER BY m.message_key`,
        [check.name, check.correlationKey, this.ctx.now, target],
      );
      const row = rows.find((r) => !pending.includes(Number(r.message_key)));
      if (!row) continue;
      const messageKey = Number(row.message_key);
      this.ctx.correlationInserts.push({ messageKey, target });
      this.ctx.event(check.inst, check.owner, 'MESSAGE_CORRELATED', {
        messageKey: String(messageKey),
        messageName: check.name,
        correlationKey: check.correlationKey,
        elementId: check.elementId,
      });
      await this.trigger(check.inst, check.owner, check.elementId, parseJson(row.variables, {}));
    }
  }

  /** The message name and correlation key a subscription waits for, evaluated in its scope. */
  messageSubscriptionValues(
    inst: InstanceState,
    evalScope: ElementInstanceRow,
    event: FlowNode,
  ): { name: string; correlationKey: string } {
    const name = this.evalString(inst, evalScope.key, event.event?.messageName ?? '', 'message name');
    const raw = event.event?.correlationKey ?? '';
    const value = this.evalExpr(inst, evalScope.key, raw, 'EXTRACT_VALUE_ERROR', 'correlation key');
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `Failed to extract the correlation key for '${raw}': The value must be either a string or a number, but was '${value === undefined ? 'null' : JSON.stringify(value)}'.`,
      );
    }
    return { name, correlationKey: String(value) };
  }

  private createTimer(
    inst: InstanceState,
    owner: ElementInstanceRow,
    event: FlowNode,
    timer: TimerDef,
    evalScope: ElementInstanceRow,
    interrupting: boolean,
  ): void {
    const spec = this.timerSchedule(inst, evalScope.key, timer, this.ctx.now);
    const key = this.ctx.nextKey();
    this.ctx.timerInserts.push({
      key,
      processInstanceKey: inst.row.key,
      elementInstanceKey: owner.key,
      processDefinitionKey: inst.row.processDefinitionKey,
      elementId: event.id,
      dueAt: spec.dueAt,
      // An interrupting cycle fires once: its first firing ends the owner.
      repetitions: interrupting ? 1 : spec.repetitions,
      cycle: spec.cycle,
    });
    this.ctx.event(inst, owner, 'TIMER_CREATED', {
      timerKey: String(key),
      dueDate: new Date(spec.dueAt).toISOString(),
      elementId: event.id,
    });
  }

  /** When a timer definition first fires, evaluated in a scope. */
  timerSchedule(
    inst: InstanceState | null,
    scopeKey: number,
    timer: TimerDef,
    now: number,
  ): { dueAt: number; repetitions: number; cycle: string | null } {
    const context = inst ? inst.lookup(scopeKey) : {};
    const value = this.evalWith(timer.value, context, 'EXTRACT_VALUE_ERROR', 'timer');
    if (typeof value !== 'string') {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `Expected the timer ${timer.type} to be text, but was '${JSON.stringify(value)}'`,
      );
    }
    try {
      if (timer.type === 'duration') {
        return {
          dueAt: addDuration(new Date(now), parseDuration(value)).getTime(),
          repetitions: 1,
          cycle: null,
        };
      }
      if (timer.type === 'date')
        return { dueAt: parseTimeDate(value).getTime(), repetitions: 1, cycle: null };
      const cycle = parseCycle(value);
      return {
        dueAt: firstCycleDue(cycle, new Date(now)).getTime(),
        repetitions: cycle.kind === 'repeat' ? cycle.repetitions : -1,
        cycle: value,
      };
    } catch (e) {
      if (e instanceof TimerSpecError)
        throw new IncidentSignal(
          'EXTRACT_VALUE_ERROR',
          `Invalid timer ${timer.type} '${value}': ${e.message}`,
        );
      throw e;
    }
  }

  /** Broadcasts a signal to every subscription and signal start event (including ones opened in this command). */
  async broadcastSignal(name: string, variables: Variables): Promise<number> {
    await this.ctx.flush();
    const subs = await this.ctx.sql.all<{
      process_instance_key: number | string;
      element_instance_key: number | string;
      element_id: string;
    }>(
      'SELECT process_instance_key, element_instance_key, element_id FROM engine_signal_subscription WHERE signal_name = ? ORDER BY subscription_key',
      [name],
    );
    let triggered = 0;
    for (const s of subs) {
      const inst = await this.ctx.loadInstance(Number(s.process_instance_key));
      const owner = inst.elements.get(Number(s.element_instance_key));
      if (!owner || inst.row.state !== 'ACTIVE') continue;
      const el = elementOf(inst.model, s.element_id);
      // A signal ends the waiting of an intermediate catch or an event-based gateway once.
      if (el.behavior === 'catchEvent' || owner.elementType === 'EVENT_BASED_GATEWAY') {
        if (owner.state !== 'ACTIVATED') continue;
      }
      this.ctx.event(inst, owner, 'SIGNAL_RECEIVED', { signalName: name, elementId: s.element_id });
      await this.trigger(inst, owner, s.element_id, variables);
      triggered++;
    }
    const starts = await this.ctx.sql.all<{ process_definition_key: number | string; element_id: string }>(
      "SELECT process_definition_key, element_id FROM engine_start_subscription WHERE kind = 'signal' AND name = ?",
      [name],
    );
    for (const s of starts) {
      await this.startByEvent(Number(s.process_definition_key), s.element_id, variables);
      triggered++;
    }
    return triggered;
  }

  /** Creates an instance of a definition at a triggered start event (message, timer, signal). */
  async startByEvent(
    definitionKey: number,
    startElementId: string,
    variables: Variables,
    messageCorrelationKey: string | null = null,
  ): Promise<InstanceState> {
    const deployed = await this.ctx.env.definitions.get(this.ctx.sql, definitionKey);
    const key = this.ctx.nextKey();
    const row: ProcessInstanceRow = {
      key,
      rootKey: key,
      processDefinitionKey: deployed.key,
      bpmnProcessId: deployed.bpmnProcessId,
      version: deployed.version,
      state: 'ACTIVE',
      parentProcessInstanceKey: null,
      parentElementInstanceKey: null,
      messageCorrelationKey,
      incidentCount: 0,
      lockVersion: 0,
      startedAt: this.ctx.now,
      endedAt: null,
    };
    const inst = new InstanceState(row, deployed.model, true);
    this.ctx.addNewInstance(row, inst);
    this.startInstance(inst, {}, { elementId: startElementId, variables });
    return inst;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Variables and expressions

  private setVar(inst: InstanceState, scopeKey: number, name: string, value: unknown): void {
    const change = inst.setVariable(scopeKey, name, value);
    if (!change) return;
    const scope = inst.elements.get(scopeKey);
    this.ctx.event(inst, scope ?? null, change === 'created' ? 'VARIABLE_CREATED' : 'VARIABLE_UPDATED', {
      name,
      value: value === undefined ? null : value,
      scopeKey: String(scopeKey),
    });
  }

  /** Zeebe's merge: each variable is set in the nearest scope that has it, else on the root scope. */
  private mergeDocument(inst: InstanceState, scopeKey: number, document: Variables): void {
    for (const [name, value] of Object.entries(document)) {
      this.setVar(inst, inst.scopeHolding(scopeKey, name) ?? inst.row.key, name, value);
    }
  }

  private applyInputs(inst: InstanceState, ei: ElementInstanceRow, inputs: Mapping[]): void {
    const context = inst.visible(ei.key);
    const result: Variables = {};
    for (const m of inputs) {
      const value = this.evalWith(m.source, context, 'IO_MAPPING_ERROR', `input mapping '${m.target}'`);
      assignPath(result, m.target, value);
      const root = m.target.split('.')[0];
      context[root] = result[root];
    }
    for (const [name, value] of Object.entries(result)) this.setVar(inst, ei.key, name, value);
  }

  private applyOutputs(
    inst: InstanceState,
    ei: ElementInstanceRow,
    el: FlowNode,
    variables: Variables | undefined,
    propagate: boolean,
  ): void {
    if (el.outputs.length > 0) {
      if (variables)
        for (const [name, value] of Object.entries(variables)) this.setVar(inst, ei.key, name, value);
      const context = inst.visible(ei.key);
      const result: Variables = {};
      for (const m of el.outputs) {
        assignPath(
          result,
          m.target,
          this.evalWith(m.source, context, 'IO_MAPPING_ERROR', `output mapping '${m.target}'`),
          context,
        );
      }
      if (ei.flowScopeKey != null) this.mergeDocument(inst, ei.flowScopeKey, result);
      return;
    }
    if (variables && propagate) this.mergeDocument(inst, ei.key, variables);
  }

  private evalWith(raw: string, context: FeelContext, type: IncidentType, what: string): unknown {
    if (!isFeelExpression(raw)) return raw;
    try {
      return evaluateFeel(raw.trim().slice(1), context, { now: new Date(this.ctx.now) });
    } catch (e) {
      if (e instanceof FeelEvaluationError)
        throw new IncidentSignal(type, `Failed to evaluate ${what}: ${e.message}`);
      throw e;
    }
  }

  private evalExpr(
    inst: InstanceState,
    scopeKey: number,
    raw: string,
    type: IncidentType,
    what: string,
  ): unknown {
    if (!isFeelExpression(raw)) return raw;
    return this.evalWith(raw, inst.lookup(scopeKey), type, what);
  }

  private evalString(inst: InstanceState, scopeKey: number, raw: string, what: string): string {
    const value = this.evalExpr(inst, scopeKey, raw, 'EXTRACT_VALUE_ERROR', what);
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string' || value === '') {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `Expected ${what} to be a non-empty string, but was '${JSON.stringify(value ?? null)}' (expression '${raw}')`,
      );
    }
    return value;
  }

  private evalList(inst: InstanceState, scopeKey: number, raw: string, what: string): unknown[] {
    const value = this.evalExpr(inst, scopeKey, raw, 'EXTRACT_VALUE_ERROR', what);
    if (!Array.isArray(value)) {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `Expected ${what} '${raw}' to be a list, but was '${JSON.stringify(value ?? null)}'`,
      );
    }
    return value;
  }

  private evalNames(inst: InstanceState, scopeKey: number, raw: string, what: string): string[] {
    const value = this.evalExpr(inst, scopeKey, raw, 'EXTRACT_VALUE_ERROR', what);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
    if (typeof value === 'string')
      return value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    throw new IncidentSignal(
      'EXTRACT_VALUE_ERROR',
      `Expected ${what} to be a list of strings, but was '${JSON.stringify(value ?? null)}'`,
    );
  }

  /** A date-time attribute; null (Zeebe: nullable) means none. */
  private evalDate(inst: InstanceState, scopeKey: number, raw: string, what: string): number | null {
    const value = this.evalExpr(inst, scopeKey, raw, 'EXTRACT_VALUE_ERROR', what);
    if (value === null || value === undefined || value === '') return null;
    const time = typeof value === 'string' ? Date.parse(value) : NaN;
    if (Number.isNaN(time)) {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `Expected ${what} to be an ISO 8601 date-time, but was '${JSON.stringify(value ?? null)}'`,
      );
    }
    return time;
  }

  private evalCondition(raw: string, context: FeelContext, what: string): boolean {
    const value = this.evalWith(raw.startsWith('=') ? raw : `=${raw}`, context, 'CONDITION_ERROR', what);
    if (typeof value !== 'boolean') {
      throw new IncidentSignal(
        'CONDITION_ERROR',
        `Expected result of the expression '${raw.replace(/^=/, '')}' (${what}) to be 'BOOLEAN', but was '${value == null ? 'NULL' : typeof value === 'string' ? 'STRING' : typeof value === 'number' ? 'NUMBER' : 'OBJECT'}'.`,
      );
    }
    return value;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Incidents

  private raiseIncident(
    inst: InstanceState,
    ei: ElementInstanceRow,
    type: IncidentType,
    message: string,
    retry: 'activate' | 'complete' | 'throwError',
    jobKey: number | null = null,
  ): void {
    const key = this.ctx.nextKey();
    const incident: IncidentRow = {
      key,
      processInstanceKey: inst.row.key,
      processDefinitionKey: inst.row.processDefinitionKey,
      bpmnProcessId: inst.row.bpmnProcessId,
      elementInstanceKey: ei.key,
      elementId: ei.elementId,
      jobKey,
      type,
      message,
      state: 'ACTIVE',
      createdAt: this.ctx.now,
      resolvedAt: null,
    };
    this.ctx.incidentInserts.push(incident);
    this.incidentsCache.get(inst.row.key)?.push(incident);
    inst.row.incidentCount++;
    inst.rowDirty = true;
    if (!jobKey) ei.data.retry = retry;
    inst.touch(ei);
    this.ctx.event(inst, ei, 'INCIDENT_CREATED', {
      incidentKey: String(key),
      errorType: type,
      errorMessage: message,
      jobKey: jobKey == null ? null : String(jobKey),
    });
  }

  /** Records an incident for a job out of retries (the job command calls this). */
  jobIncident(inst: InstanceState, ei: ElementInstanceRow, jobKey: number, message: string): void {
    this.raiseIncident(inst, ei, 'JOB_NO_RETRIES', message, 'activate', jobKey);
  }
}

function keyOrNull(k: number | null): string | null {
  return k == null ? null : String(k);
}

/** The catch event for a code: an exact match wins over a catch-all. */
function pickCatch(candidates: FlowNode[], kind: 'error' | 'escalation', code: string): FlowNode | undefined {
  const ofKind = candidates.filter((c) => c.event?.kind === kind);
  return ofKind.find((c) => c.event?.code === code) ?? ofKind.find((c) => c.event?.code === undefined);
}

/** Sets `a.b.c = value` in a document, creating contexts on the way. */
function assignPath(doc: Variables, path: string, value: unknown, context?: Record<string, unknown>): void {
  const parts = path.split('.');
  if (parts.length === 1) {
    doc[path] = value;
    return;
  }
  let target = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i];
    let next = target[p];
    if (next == null || typeof next !== 'object' || Array.isArray(next)) {
      const existing = i === 0 ? context?.[p] : undefined;
      next =
        existing && typeof existing === 'object' && !Array.isArray(existing)
          ? { ...(existing as object) }
          : {};
      target[p] = next;
    }
    target = next as Variables;
  }
  target[parts[parts.length - 1]] = value;
}
