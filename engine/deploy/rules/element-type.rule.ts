import type { RuleFactory } from 'bpmnlint/lib/types.js';

import { executableOnlyRule, is } from './rule-support.ts';

/** Flow element types the embedded engine executes (exact types: a transaction is not a plain sub-process). */
const SUPPORTED_TYPES = new Set([
  'bpmn:StartEvent',
  'bpmn:EndEvent',
  'bpmn:BoundaryEvent',
  'bpmn:IntermediateCatchEvent',
  'bpmn:IntermediateThrowEvent',
  'bpmn:Task',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:ScriptTask',
  'bpmn:UserTask',
  'bpmn:ReceiveTask',
  'bpmn:ManualTask',
  'bpmn:BusinessRuleTask',
  'bpmn:ExclusiveGateway',
  'bpmn:ParallelGateway',
  'bpmn:InclusiveGateway',
  'bpmn:EventBasedGateway',
  'bpmn:SubProcess',
  'bpmn:CallActivity',
  'bpmn:SequenceFlow',
  // data objects and stores are documentation: the engine keeps variables, not data objects
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
]);

const REASONS: Record<string, string> = {
  'bpmn:ComplexGateway':
    'Complex gateways are not supported by the embedded engine; use an inclusive or exclusive gateway instead.',
  'bpmn:Transaction':
    'Transaction sub-processes are not supported by the embedded engine; use an embedded sub-process with an error boundary event instead.',
  'bpmn:AdHocSubProcess': 'Ad-hoc sub-processes are not supported by the embedded engine.',
};

/** gridflow/element-type: flow elements of a type the embedded engine cannot run (complex gateway, transaction, ad-hoc sub-process…). */
export const elementTypeRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (!is(node, 'bpmn:FlowElement') || SUPPORTED_TYPES.has(node.$type)) {
      return;
    }
    const reason =
      REASONS[node.$type] ??
      `Elements of type ${node.$type.replace(/^bpmn:/, '')} are not supported by the embedded engine.`;
    reporter.report(node.id ?? '', reason);
  });
