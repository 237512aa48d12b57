import type { RuleFactory } from 'bpmnlint/lib/types.js';

import { executableOnlyRule, is } from './rule-support.ts';

/**
 * gridflow/broken-reference: a sequence flow whose source or target, or a boundary event whose activity, is
 * not in the file. readBpmn only warns about such unresolved references and no Camunda rule checks them, yet
 * the engine cannot route a token along them.
 */
export const brokenReferenceRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (is(node, 'bpmn:SequenceFlow')) {
      const missing = [
        node.get('sourceRef') ? undefined : 'source',
        node.get('targetRef') ? undefined : 'target',
      ].filter(Boolean);
      if (missing.length > 0) {
        reporter.report(
          node.id ?? '',
          `This sequence flow has no ${missing.join(' and no ')} element in the file; connect both of its ends.`,
        );
      }
    } else if (is(node, 'bpmn:BoundaryEvent') && !node.get('attachedToRef')) {
      reporter.report(node.id ?? '', 'This boundary event is not attached to an activity in the file.');
    }
  });
