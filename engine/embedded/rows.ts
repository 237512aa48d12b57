/**
 * Row shapes of the engine tables as the command processor holds them in memory. Keys are JS numbers
 * (always below 2^53, see keys.ts) inside the engine and decimal strings at the port.
 */

/** Lifecycle of an element instance; only the waiting states are ever stored. */
export type ElementState = 'ACTIVATING' | 'ACTIVATED' | 'COMPLETING' | 'COMPLETED' | 'TERMINATED';

/** Multi-instance body bookkeeping. */
export interface MultiInstanceData {
  size: number;
  completed: number;
  terminated: number;
  /** Next index (0-based) to start, for sequential bodies. */
  nextIndex: number;
}

/** The JSON `data` column of an element instance. */
export interface ElementData {
  loopCounter?: number;
  mi?: MultiInstanceData;
  /** Tokens waiting at joins of this scope: join element id → flow id → count. */
  joins?: Record<string, Record<string, number>>;
  /** A call activity's child instance. */
  calledInstanceKey?: number;
  /** The job or user task the element instance waits on (named on cancellation). */
  jobKey?: number;
  userTaskKey?: number;
  /**
   * Variables an element completes with (job, message, user task) kept while its completion waits on an
   * incident (e.g. a failing output mapping), so that resolving the incident completes it with them.
   */
  pendingVariables?: Record<string, unknown>;
  /** Set when an incident stopped the element: what resolving it re-runs. */
  retry?: 'activate' | 'complete' | 'throwError';
  /** For a pending error throw (error end event or job error): the code and message. */
  error?: { code: string; message: string; variables?: Record<string, unknown> };
}

/** engine_element_instance. */
export interface ElementInstanceRow {
  key: number;
  processInstanceKey: number;
  flowScopeKey: number | null;
  elementId: string;
  elementType: string;
  state: ElementState;
  data: ElementData;
  createdAt: number;
}

/** engine_process_instance. */
export interface ProcessInstanceRow {
  key: number;
  rootKey: number;
  processDefinitionKey: number;
  bpmnProcessId: string;
  version: number;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  parentProcessInstanceKey: number | null;
  parentElementInstanceKey: number | null;
  /** The correlation key of the message that started it (message start event), if any. */
  messageCorrelationKey: string | null;
  incidentCount: number;
  lockVersion: number;
  startedAt: number;
  endedAt: number | null;
}

/** engine_job. */
export interface JobRow {
  key: number;
  type: string;
  state: 'ACTIVATABLE' | 'ACTIVATED' | 'FAILED' | 'ERROR_THROWN';
  processInstanceKey: number;
  elementInstanceKey: number;
  elementId: string;
  bpmnProcessId: string;
  processDefinitionKey: number;
  version: number;
  retries: number;
  worker: string | null;
  deadline: number | null;
  activationKey: number | null;
  backoffUntil: number | null;
  customHeaders: Record<string, string>;
  errorMessage: string | null;
  createdAt: number;
}

/** engine_user_task. */
export interface UserTaskRow {
  key: number;
  elementInstanceKey: number;
  processInstanceKey: number;
  processDefinitionKey: number;
  bpmnProcessId: string;
  elementId: string;
  name: string | null;
  state: 'CREATED' | 'COMPLETED' | 'CANCELED';
  assignee: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate: number | null;
  followUpDate: number | null;
  priority: number;
  formKey: string | null;
  externalFormReference: string | null;
  customHeaders: Record<string, string>;
  action: string | null;
  completedBy: string | null;
  createdAt: number;
  completedAt: number | null;
}

/** engine_incident. */
export interface IncidentRow {
  key: number;
  processInstanceKey: number;
  processDefinitionKey: number;
  bpmnProcessId: string;
  elementInstanceKey: number;
  elementId: string;
  jobKey: number | null;
  type: string;
  message: string;
  state: 'ACTIVE' | 'RESOLVED';
  createdAt: number;
  resolvedAt: number | null;
}

/** A history event before it has a position. */
export interface PendingHistoryEvent {
  processInstanceKey: number;
  processDefinitionKey: number;
  elementInstanceKey: number | null;
  elementId: string | null;
  elementType: string | null;
  intent: string;
  actor: string | null;
  time: number;
  payload: Record<string, unknown>;
  /** Its place in the history: 0 until the command's writes are flushed. */
  position: number;
}

/** Parses a JSON column that may be null. */
export function parseJson<T>(text: unknown, fallback: T): T {
  if (text == null || text === '') return fallback;
  return JSON.parse(String(text)) as T;
}
