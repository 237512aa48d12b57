import type { RuleFactory } from 'bpmnlint/lib/types.js';

import { executableOnlyRule, findExtensionElement, is, listenerTypesNote } from './rule-support.ts';

/** gridflow/task-listeners: zeebe:taskListeners on user tasks. */
export const taskListenersRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (!is(node, 'bpmn:FlowElement')) {
      return;
    }
    const listeners = findExtensionElement(node, 'zeebe:TaskListeners');
    if (listeners) {
      reporter.report(
        node.id ?? '',
        `Task listeners are not supported by the embedded engine${listenerTypesNote(listeners)}; remove them or model the work as a service task.`,
      );
    }
  });
