// The process administration API as the 流程管理 page calls it (server/http/routes/process.routes.ts). Lint and
// deploy take the BPMN as a raw `application/xml` body, which the JSON `api()` wrapper does not send.
import { ApiError, UNAUTHORIZED_EVENT, api, problemOf } from '../api/client.ts';
import type { LintFinding } from '../lib/process-lint-markers.ts';

/** A deployed process definition (server/schemas/process.schema.ts ProcessDefinitionSummarySchema). */
export interface ProcessDefinitionSummary {
  key: string;
  bpmnProcessId: string;
  name: string | null;
  version: number;
  deployedAt: string;
  resourceName: string;
  /** SHA-256 of the deployed resource. */
  checksum: string;
}

/** What a deploy produced (server/schemas/process.schema.ts DeploymentResponseSchema). */
export interface Deployment {
  deploymentKey: string;
  /** False when the content is identical to the latest version: nothing new was deployed. */
  created: boolean;
  processes: (ProcessDefinitionSummary & { created: boolean })[];
  forms: { key: string; formId: string; version: number; created: boolean }[];
  /** Lint warnings: the deploy went through. */
  warnings: LintFinding[];
}

/** Every version of every process, newest version first within a process. */
export async function listAllDefinitions(): Promise<ProcessDefinitionSummary[]> {
  return (await api<{ items: ProcessDefinitionSummary[] }>('/api/process-definitions?all=true')).items;
}

/** Every version of one process, newest first. */
export async function listVersions(bpmnProcessId: string): Promise<ProcessDefinitionSummary[]> {
  const q = new URLSearchParams({ bpmnProcessId });
  return (await api<{ items: ProcessDefinitionSummary[] }>(`/api/process-definitions?${q}`)).items;
}

/** One version. */
export const getDefinition = (key: string): Promise<ProcessDefinitionSummary> =>
  api<ProcessDefinitionSummary>(`/api/process-definitions/${encodeURIComponent(key)}`);

/** One version's BPMN XML, as it was deployed. */
export const getDefinitionXml = (key: string): Promise<string> =>
  api<string>(`/api/process-definitions/${encodeURIComponent(key)}/xml`);

/** POSTs BPMN XML stored under `name`; an error status → ApiError with the problem (as `api()` does). */
async function postXml<T>(path: string, xml: string, name: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${path}?${new URLSearchParams({ name })}`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/xml' },
      body: xml,
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ type: 'about:blank', title: 'Network error', status: 0, detail: String(err) });
  }
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  if (!res.ok) throw new ApiError(await problemOf(res));
  return (await res.json()) as T;
}

/** Lints a diagram without deploying it (200 with the findings, errors included). */
export async function lintXml(xml: string, name: string, signal?: AbortSignal): Promise<LintFinding[]> {
  return (await postXml<{ findings: LintFinding[] }>('/api/process-definitions/lint', xml, name, signal))
    .findings;
}

/** Deploys a diagram as a new version; a refusal (422) is an ApiError whose problem lists the findings. */
export const deployXml = (xml: string, name: string): Promise<Deployment> =>
  postXml<Deployment>('/api/process-definitions', xml, name);

/** Saves XML as a file in the browser's downloads. */
export function downloadXml(xml: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([xml], { type: 'application/xml;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file name a version downloads as: `case-lifecycle-v2.bpmn` (with `-draft` for unsaved edits). */
export const xmlFileName = (d: ProcessDefinitionSummary, draft = false): string =>
  `${d.bpmnProcessId}-v${d.version}${draft ? '-draft' : ''}.bpmn`;
