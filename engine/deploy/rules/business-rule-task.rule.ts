import type { RuleFactory } from 'bpmnlint/lib/types.js';

import { executableOnlyRule, findExtensionElement, is } from './rule-support.ts';

/** gridflow/business-rule-task: a business rule task that evaluates a DMN decision (zeebe:calledDecision); only the job form (zeebe:taskDefinition) runs. */
export const businessRuleTaskRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (!is(node, 'bpmn:BusinessRuleTask') || !findExtensionElement(node, 'zeebe:CalledDecision')) {
      return;
    }
    reporter.report(
      node.id ?? '',
      'Business rule tasks that call a DMN decision are not supported by the embedded engine; implement the rule as a job (zeebe:taskDefinition) instead.',
    );
  });
