import type { RuleFactory } from 'bpmnlint/lib/types.js';

import type { ModdleNode } from './rule-support.ts';
import { eventDefinitionsOf, executableOnlyRule, is } from './rule-support.ts';

/** What triggers or is thrown by an event: its single event definition, or none, or several ('multiple'). */
type Trigger = string;

const TRIGGER_LABELS: Record<Trigger, string> = {
  message: 'Message',
  timer: 'Timer',
  signal: 'Signal',
  error: 'Error',
  escalation: 'Escalation',
  terminate: 'Terminate',
  compensate: 'Compensation',
  conditional: 'Conditional',
  link: 'Link',
  cancel: 'Cancel',
};

const EVENT_KINDS: Record<string, string> = {
  'bpmn:StartEvent': 'start events',
  'bpmn:EndEvent': 'end events',
  'bpmn:BoundaryEvent': 'boundary events',
  'bpmn:IntermediateCatchEvent': 'intermediate catch events',
  'bpmn:IntermediateThrowEvent': 'intermediate throw events',
};

/** Start events depend on their scope: a process, an event sub-process or an embedded sub-process. */
const SUPPORTED_STARTS = {
  process: new Set(['none', 'message', 'timer', 'signal']),
  eventSubProcess: new Set(['message', 'timer', 'signal', 'error', 'escalation']),
  subProcess: new Set(['none']),
};

const SUPPORTED: Record<string, ReadonlySet<Trigger>> = {
  'bpmn:EndEvent': new Set(['none', 'error', 'terminate', 'escalation', 'signal', 'message']),
  'bpmn:BoundaryEvent': new Set(['timer', 'message', 'signal', 'error', 'escalation']),
  'bpmn:IntermediateCatchEvent': new Set(['timer', 'message', 'signal']),
  'bpmn:IntermediateThrowEvent': new Set(['none', 'escalation', 'signal', 'message']),
};

/**
 * gridflow/event-type: events whose trigger the embedded engine cannot run in that place — compensation,
 * conditional, link and cancel events, several event definitions on one event, and start events that do not
 * fit their scope (an error start outside an event sub-process, a typed start in an embedded sub-process).
 * Message end and throw events run as jobs; that they have a zeebe:taskDefinition is checked by Camunda's rules.
 */
export const eventTypeRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    const kind = EVENT_KINDS[node.$type];
    if (kind === undefined) {
      return;
    }
    const reason = is(node, 'bpmn:StartEvent') ? startEventProblem(node) : otherEventProblem(node, kind);
    if (reason !== undefined) {
      reporter.report(node.id ?? '', reason);
    }
  });

function startEventProblem(node: ModdleNode): string | undefined {
  const trigger = triggerOf(node);
  const scope = node.$parent;
  if (is(scope, 'bpmn:SubProcess') && scope?.get('triggeredByEvent') === true) {
    if (SUPPORTED_STARTS.eventSubProcess.has(trigger)) return undefined;
    return trigger === 'none'
      ? 'An event sub-process must start with a message, timer, signal, error or escalation start event.'
      : unsupported(trigger, 'start events');
  }
  if (is(scope, 'bpmn:SubProcess')) {
    if (SUPPORTED_STARTS.subProcess.has(trigger)) return undefined;
    return `An embedded sub-process must start with a none start event; ${describe(trigger, 'start events').toLowerCase()} are not supported there.`;
  }
  if (SUPPORTED_STARTS.process.has(trigger)) return undefined;
  return trigger === 'error' || trigger === 'escalation'
    ? `${TRIGGER_LABELS[trigger]} start events are only supported in event sub-processes.`
    : unsupported(trigger, 'start events');
}

function otherEventProblem(node: ModdleNode, kind: string): string | undefined {
  const trigger = triggerOf(node);
  return SUPPORTED[node.$type]?.has(trigger) ? undefined : unsupported(trigger, kind);
}

function triggerOf(node: ModdleNode): Trigger {
  const definitions = eventDefinitionsOf(node);
  if (definitions.length === 0) return 'none';
  if (definitions.length > 1) return 'multiple';
  // bpmn:CompensateEventDefinition → compensate
  return definitions[0].$type
    .replace(/^bpmn:/, '')
    .replace(/EventDefinition$/, '')
    .toLowerCase();
}

function describe(trigger: Trigger, kind: string): string {
  const Kind = kind[0].toUpperCase() + kind.slice(1);
  if (trigger === 'none') return `${Kind} without an event definition`;
  if (trigger === 'multiple') return `${Kind} with more than one event definition`;
  return `${TRIGGER_LABELS[trigger] ?? trigger} ${kind}`;
}

function unsupported(trigger: Trigger, kind: string): string {
  return `${describe(trigger, kind)} are not supported by the embedded engine.`;
}
