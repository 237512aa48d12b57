import { readBpmn } from '../../engine/deploy/read-bpmn.ts';
import type { DeployResource, LintFinding } from '../../engine/port.ts';
import { STAGES, STAGE_HEADER_PREFIX, type Stage } from './case-stage.service.ts';

/** The rule name the findings carry, as the editor shows it beside the Camunda lint's rules. */
export const STAGE_HEADER_RULE = 'gridflow/stage-header';

/* eslint-disable @typescript-eslint/no-explicit-any -- the moddle tree is untyped */
type Moddle = any;

const isStage = (value: unknown): value is Stage => STAGES.includes(value as Stage);

/** Every flow element of a process or subprocess, nested ones included. */
function* flowElements(container: Moddle): Generator<Moddle> {
  for (const element of container.flowElements ?? []) {
    yield element;
    if (element.flowElements) yield* flowElements(element);
  }
}

const extension = (element: Moddle, type: string): Moddle | undefined =>
  (element.extensionElements?.values ?? []).find((e: Moddle) => e.$type === type);

/**
 * What the Camunda lint cannot know about the case processes' own convention (docs/case-lifecycle.md,
 * ADR 0005): a `case-stage` task names a known stage in its `stage` header, and a user task's
 * `stage.<action>` header names one too, as does a `case-route` task's `stage.<kind of unit>`. A wrong name
 * would otherwise surface only when a case reaches that task (an incident, or a completion refused); here it
 * refuses the deploy and shows in the editor's check.
 * XML that does not parse is left to the engine's lint, which names the line.
 */
export async function stageHeaderFindings(resources: readonly DeployResource[]): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  for (const resource of resources) {
    if (!/\.bpmn$/i.test(resource.name)) continue;
    let definitions: Moddle;
    try {
      ({ definitions } = await readBpmn(resource.content));
    } catch {
      continue;
    }
    const finding = (elementId: string, message: string): void => {
      findings.push({
        resourceName: resource.name,
        elementId,
        rule: STAGE_HEADER_RULE,
        message,
        category: 'error',
      });
    };
    for (const process of (definitions.rootElements ?? []).filter(
      (e: Moddle) => e.$type === 'bpmn:Process',
    )) {
      for (const element of flowElements(process)) {
        const headers: { key?: string; value?: string }[] =
          extension(element, 'zeebe:TaskHeaders')?.values ?? [];
        const jobType: string | undefined = extension(element, 'zeebe:TaskDefinition')?.type;
        if (jobType === 'case-stage') {
          const stage = headers.find((h) => h.key === 'stage')?.value;
          if (!isStage(stage)) {
            finding(
              element.id,
              `A case-stage task needs a "stage" header naming one of ${STAGES.join(', ')}; it has ${stage === undefined ? 'none' : `"${stage}"`}`,
            );
          }
        }
        if (element.$type !== 'bpmn:UserTask' && jobType !== 'case-route') continue;
        for (const { key = '', value } of headers) {
          if (!key.startsWith(STAGE_HEADER_PREFIX)) continue;
          if (key === STAGE_HEADER_PREFIX)
            finding(element.id, 'A stage header names its action after "stage." (stage.<action>)');
          else if (!isStage(value)) {
            finding(
              element.id,
              `Header ${key} names the stage "${value ?? ''}", which is not one of ${STAGES.join(', ')}`,
            );
          }
        }
      }
    }
  }
  return findings;
}
