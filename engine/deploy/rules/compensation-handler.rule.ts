import type { RuleFactory } from 'bpmnlint/lib/types.js';

import { executableOnlyRule, is } from './rule-support.ts';

/** gridflow/compensation-handler: activities marked as compensation handlers (isForCompensation); compensation events are gridflow/event-type's. */
export const compensationHandlerRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (is(node, 'bpmn:Activity') && node.get('isForCompensation') === true) {
      reporter.report(node.id ?? '', 'Compensation handlers are not supported by the embedded engine.');
    }
  });
