import type { RuleFactory } from 'bpmnlint/lib/types.js';

import type { ModdleNode } from './rule-support.ts';
import { executableOnlyRule, is } from './rule-support.ts';

/** gridflow/loop-characteristics: standard loops, and multi-instance where the engine has no multi-instance (event sub-processes). */
export const loopCharacteristicsRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (!is(node, 'bpmn:Activity')) {
      return;
    }
    const loop = node.get('loopCharacteristics') as ModdleNode | undefined;
    if (is(loop, 'bpmn:StandardLoopCharacteristics')) {
      reporter.report(
        node.id ?? '',
        'Standard loops are not supported by the embedded engine; use a multi-instance marker or a loop back through a gateway instead.',
      );
    } else if (is(loop, 'bpmn:MultiInstanceLoopCharacteristics') && node.get('triggeredByEvent') === true) {
      reporter.report(
        node.id ?? '',
        'Multi-instance event sub-processes are not supported by the embedded engine.',
      );
    }
  });
