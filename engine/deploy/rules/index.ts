import type { Config, RuleFactory } from 'bpmnlint/lib/types.js';

import { brokenReferenceRule } from './broken-reference.rule.ts';
import { businessRuleTaskRule } from './business-rule-task.rule.ts';
import { compensationHandlerRule } from './compensation-handler.rule.ts';
import { dataAssociationRule } from './data-association.rule.ts';
import { elementTypeRule } from './element-type.rule.ts';
import { eventTypeRule } from './event-type.rule.ts';
import { executionListenersRule } from './execution-listeners.rule.ts';
import { loopCharacteristicsRule } from './loop-characteristics.rule.ts';
import { taskListenersRule } from './task-listeners.rule.ts';

/** The gridflow bpmnlint rules, by name (reported as `gridflow/<name>`): each names BPMN the embedded engine cannot run. */
export const gridflowRules: Record<string, RuleFactory> = {
  'element-type': elementTypeRule,
  'event-type': eventTypeRule,
  'business-rule-task': businessRuleTaskRule,
  'loop-characteristics': loopCharacteristicsRule,
  'compensation-handler': compensationHandlerRule,
  'execution-listeners': executionListenersRule,
  'task-listeners': taskListenersRule,
  'data-association': dataAssociationRule,
  'broken-reference': brokenReferenceRule,
};

/** The gridflow config (`plugin:gridflow/engine`): every gridflow rule, each an error that refuses the deploy. */
export const gridflowEngineConfig: Config = {
  rules: Object.fromEntries(Object.keys(gridflowRules).map((name) => [name, 'error'])),
};
