import type { RuleFactory } from 'bpmnlint/lib/types.js';

import type { ModdleNode } from './rule-support.ts';
import { executableOnlyRule, is } from './rule-support.ts';

/**
 * gridflow/data-association: data input/output associations that carry semantics (a transformation or
 * assignments), reported on the activity or event that owns them. Plain associations to data objects and data
 * stores are documentation and stay allowed; the engine moves data with zeebe:ioMapping only.
 */
export const dataAssociationRule: RuleFactory = () =>
  executableOnlyRule((node, reporter) => {
    if (!is(node, 'bpmn:FlowNode')) {
      return;
    }
    const associations = [
      ...((node.get('dataInputAssociations') as ModdleNode[] | undefined) ?? []),
      ...((node.get('dataOutputAssociations') as ModdleNode[] | undefined) ?? []),
    ];
    if (associations.some(hasSemantics)) {
      reporter.report(
        node.id ?? '',
        'Data associations with a transformation or assignment are not executed by the embedded engine; use zeebe:ioMapping instead.',
      );
    }
  });

function hasSemantics(association: ModdleNode): boolean {
  const assignments = (association.get('assignment') as ModdleNode[] | undefined) ?? [];
  return association.get('transformation') != null || assignments.length > 0;
}
