import { caseAcceptWorker } from './case-accept.ts';
import { caseAssessWorker } from './case-assess.ts';
import { caseMergeWorker } from './case-merge.ts';
import { caseNotifyWorker } from './case-notify.ts';
import { caseRouteWorker } from './case-route.ts';
import { caseStageWorker } from './case-stage.ts';
import type { WorkerDefinition } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

/** Every job worker of Gridflow: an explicit list; a type registered twice is a bug and throws. */
export function createWorkers(deps: WorkerDeps): WorkerDefinition[] {
  const workers = [
    caseAcceptWorker(deps),
    caseMergeWorker(deps),
    caseRouteWorker(deps),
    caseStageWorker(deps),
    caseNotifyWorker(deps),
    caseAssessWorker(deps),
  ] as WorkerDefinition[];
  const seen = new Set<string>();
  for (const w of workers) {
    if (seen.has(w.type)) throw new Error(`Job type ${w.type} is registered twice`);
    seen.add(w.type);
  }
  return workers;
}
