// Typings for the bpmn-io packages the process editor loads that ship none of their own.

declare module 'bpmn-js-properties-panel' {
  import type { ModuleDeclaration } from 'didi';
  /** The properties panel itself (`propertiesPanel: { parent }` in the modeler's options). */
  export const BpmnPropertiesPanelModule: ModuleDeclaration;
  /** The BPMN groups of the panel: general, documentation, … */
  export const BpmnPropertiesProviderModule: ModuleDeclaration;
  /** The Zeebe (Camunda 8) groups: task definition, assignment, form, timer, conditions, I/O, headers… */
  export const ZeebePropertiesProviderModule: ModuleDeclaration;
  /** Help texts of the Zeebe entries (`propertiesPanel: { tooltip }`). */
  export const ZeebeTooltipProvider: Record<string, unknown>;
}

declare module 'camunda-bpmn-js-behaviors/lib/camunda-cloud' {
  import type { ModuleDeclaration } from 'didi';
  /** Keeps Zeebe extension elements consistent while modelling (Camunda 8). */
  const behaviors: ModuleDeclaration;
  export default behaviors;
}

declare module 'bpmn-js-differ' {
  import type { DifferResult, ModdleNode } from '../lib/process-diff.ts';
  /** The semantic diff of two parsed `bpmn:Definitions` (attribute values come out swapped, see process-diff.ts). */
  export function diff(oldDefinitions: ModdleNode, newDefinitions: ModdleNode): DifferResult;
}
