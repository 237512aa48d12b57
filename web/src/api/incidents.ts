// The incident and process-instance shapes of the process administration API, as the 异常 page reads them.
// They mirror server/schemas/process.schema.ts (IncidentViewSchema, ProcessInstanceDetailSchema,
// RetryIncidentResponseSchema), which imports zod and so stays on the server.
import { api } from './client.ts';

/** An incident with the case its instance runs (`GET /api/incidents`). */
export interface Incident {
  incidentKey: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  elementInstanceKey: string;
  jobKey: string | null;
  /** JOB_NO_RETRIES, CONDITION_ERROR, EXTRACT_VALUE_ERROR, IO_MAPPING_ERROR, UNHANDLED_ERROR_EVENT… */
  errorType: string;
  errorMessage: string;
  state: 'ACTIVE' | 'RESOLVED';
  creationTime: string;
  caseId: number | null;
  caseNo: string | null;
}

/** A variable of an instance, on its root scope or on an element instance. */
export interface InstanceVariable {
  scopeKey: string;
  name: string;
  value: unknown;
}

/** `GET /api/process-instances/:key`. */
export interface InstanceDetail {
  processInstance: {
    processInstanceKey: string;
    processDefinitionKey: string;
    bpmnProcessId: string;
    version: number;
    state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
    startDate: string;
    endDate?: string;
    hasIncident: boolean;
  };
  case: { id: number; caseNo: string } | null;
  incidents: Incident[];
  variables: InstanceVariable[];
}

/** `POST /api/incidents/:key/retry`: the resolved incident, the job's new retries, what is active after. */
export interface RetryResult {
  incident: Incident | null;
  jobRetries: number | null;
  activeIncidents: Incident[];
}

/** Incidents in a state, newest first. */
export function listIncidents(state: 'ACTIVE' | 'RESOLVED'): Promise<Incident[]> {
  return api<{ items: Incident[] }>(`/api/incidents?state=${state}`).then((r) => r.items);
}

/** One instance with its case, active incidents and variables (admins and auditors). */
export function getInstance(processInstanceKey: string): Promise<InstanceDetail> {
  return api<InstanceDetail>(`/api/process-instances/${processInstanceKey}`);
}

/** The BPMN XML a definition was deployed with. */
export function getDefinitionXml(processDefinitionKey: string): Promise<string> {
  return api<string>(`/api/process-definitions/${processDefinitionKey}/xml`);
}

/** Sets variables on an instance (its root scope, or `local` on an element instance) before a retry. */
export function setInstanceVariables(
  processInstanceKey: string,
  body: { variables: Record<string, unknown>; local?: boolean; elementInstanceKey?: string },
): Promise<void> {
  return api<void>(`/api/process-instances/${processInstanceKey}/variables`, { method: 'PUT', body });
}

/** Retries the step an incident stopped (a failed job first gets `retries`, default 1). */
export function retryIncident(incidentKey: string, retries?: number): Promise<RetryResult> {
  return api<RetryResult>(`/api/incidents/${incidentKey}/retry`, {
    method: 'POST',
    body: retries == null ? {} : { retries },
  });
}
