import type { RuleFactory } from 'bpmnlint/lib/types.js';

import { executableOnlyRule, findExtensionElement, is, listenerTypesNote } from './rule-support.ts';

/** gridflow/execution-listeners: zeebe:executionListeners on any element (process, activity, event, gateway). */
export const executionListenersRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (!is(node, 'bpmn:BaseElement')) {
      return;
    }
    const listeners = findExtensionElement(node, 'zeebe:ExecutionListeners');
    if (listeners) {
      reporter.report(
        node.id ?? '',
        `Execution listeners are not supported by the embedded engine${listenerTypesNote(listeners)}; remove them or model the work as a service task.`,
      );
    }
  });
