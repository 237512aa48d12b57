import type { Transaction } from 'sequelize';

/**
 * The engine port: the only way the rest of Gridflow talks to a workflow engine. The vocabulary is Zeebe's
 * (Camunda 8 orchestration API), so the same BPMN, the same workers and the same web app run on the embedded
 * engine and on a Camunda 8 cluster. Keys are strings at this boundary, as Camunda's REST API has them.
 *
 * Every command throws typed errors from common/errors.ts: InvalidArgumentError (bad input, nothing changed),
 * NotFoundError (unknown or finished thing), ConflictError (valid, but the state forbids it now).
 */

/** A 64-bit-safe key, as a decimal string. */
export type Key = string;

/** Who did it: a user name, a worker name or `system`. Recorded on history events. */
export type Actor = string;

/** A JSON object of process variables. */
export type Variables = Record<string, unknown>;

/** A resource to deploy: BPMN (`*.bpmn`) or a Camunda form (`*.form`). */
export interface DeployResource {
  name: string;
  content: string;
}

/** A deployed process definition. */
export interface ProcessDefinition {
  processDefinitionKey: Key;
  bpmnProcessId: string;
  version: number;
  name?: string;
  resourceName: string;
  /** SHA-256 of the resource: identical content is not deployed twice. */
  checksum: string;
  deployedAt: string;
}

/** A deployed form (Camunda form JSON). */
export interface FormDefinition {
  formKey: Key;
  formId: string;
  version: number;
  resourceName: string;
  checksum: string;
  deployedAt: string;
}

/** What a deploy produced; a resource identical to the latest version returns that version. */
export interface Deployment {
  deploymentKey: Key;
  processes: ProcessDefinition[];
  forms: FormDefinition[];
  /** Lint warnings (not errors) per resource: the deploy went through. */
  warnings: LintFinding[];
}

/** A deploy-time finding on one element. */
export interface LintFinding {
  resourceName: string;
  elementId: string;
  rule: string;
  message: string;
  category: 'error' | 'warn';
}

/** Process instance states. */
export type ProcessInstanceState = 'ACTIVE' | 'COMPLETED' | 'TERMINATED';

/** A process instance. */
export interface ProcessInstance {
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  version: number;
  state: ProcessInstanceState;
  startDate: string;
  endDate?: string;
  parentProcessInstanceKey?: Key;
  parentElementInstanceKey?: Key;
  /** True while the instance has an open incident. */
  hasIncident: boolean;
}

/** Create an instance of the latest version of `bpmnProcessId`, or of an exact definition or version. */
export interface CreateProcessInstanceRequest {
  bpmnProcessId?: string;
  processDefinitionKey?: Key;
  version?: number;
  variables?: Variables;
  actor?: Actor;
  /**
   * Runs in the transaction that creates the instance, before it starts: what it writes (a case row, its
   * audit record) commits with the instance or not at all, and the variables it returns start the instance
   * too. (The Camunda 8 adapter runs it in a local transaction first and compensates a failed creation.)
   */
  within?: (context: ExportContext & { processInstanceKey: Key }) => Promise<Variables | void>;
}

/** A variable as stored: one per name per scope. */
export interface Variable {
  scopeKey: Key;
  name: string;
  value: unknown;
}

/** Publish a message: correlated to waiting subscriptions, or buffered for `timeToLive` ms. */
export interface PublishMessageRequest {
  name: string;
  correlationKey: string;
  variables?: Variables;
  /** Buffer time in ms; 0 (default) means correlate now or drop. */
  timeToLive?: number;
  /** While a message with this id and name is buffered, a second publish is rejected (ConflictError). */
  messageId?: string;
  actor?: Actor;
}

/** A job handed to a worker. */
export interface ActivatedJob {
  key: Key;
  type: string;
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  elementId: string;
  elementInstanceKey: Key;
  customHeaders: Record<string, string>;
  worker: string;
  retries: number;
  /** When the activation lapses (ms since epoch); afterwards the job may be handed to another worker. */
  deadline: number;
  variables: Variables;
  /**
   * Identifies this activation. Completing, failing or throwing with it is rejected once the job was
   * activated again after its deadline (a late worker cannot complete someone else's activation).
   */
  activationKey: Key;
}

/** Ask for up to `maxJobsToActivate` jobs of a type, waiting up to `requestTimeout` ms for one to appear. */
export interface ActivateJobsRequest {
  type: string;
  worker: string;
  maxJobsToActivate: number;
  /** Activation time-out in ms. */
  timeout: number;
  /** Only these variables (default: all visible variables). */
  fetchVariable?: string[];
  /** Long-poll: wait this long (ms) when no job is ready; 0 returns at once. */
  requestTimeout?: number;
  /** Ends a long poll early (a worker shutting down): the call returns what it has, usually nothing. */
  signal?: AbortSignal;
}

/** Fields shared by the job commands. */
export interface JobCommandBase {
  jobKey: Key;
  /** The activation being answered; when given, an answer to an older activation is rejected. */
  activationKey?: Key;
  actor?: Actor;
}

/** Complete a job with variables. */
export interface CompleteJobRequest extends JobCommandBase {
  variables?: Variables;
  /**
   * The worker's own writes that belong with the completion (an in-process worker updating its projection,
   * such as the case row): runs in the command's transaction once the job is confirmed as this activation's,
   * so what it writes commits with the completion or not at all, and the variables it returns complete the job
   * too. (The Camunda 8 adapter runs it in a local transaction just before completing.)
   */
  within?: (context: ExportContext) => Promise<Variables | void>;
}

/** Fail a job: with retries left it comes back after `retryBackOff` ms, without it raises an incident. */
export interface FailJobRequest extends JobCommandBase {
  retries: number;
  errorMessage?: string;
  retryBackOff?: number;
  variables?: Variables;
}

/** Throw a BPMN error from a job; an uncaught error raises an incident. */
export interface ThrowErrorRequest extends JobCommandBase {
  errorCode: string;
  errorMessage?: string;
  variables?: Variables;
}

/**
 * The caller's own checks of a user task (may this user see it, hold it, complete it with this action?): run
 * inside the command, on the task as the command reads it, before the engine's own checks of its state and
 * before anything is written. Throwing ends the command with nothing written and the error as its outcome.
 * The caller needs no read of its own first, and nothing can change the task between the check and the write.
 */
export type UserTaskCheck = (task: UserTask) => void | Promise<void>;

/** Complete a user task with variables and the action it was completed with. */
export interface CompleteUserTaskRequest {
  userTaskKey: Key;
  variables?: Variables;
  /** The completer's choice among the task's actions; `complete` when not given. */
  action?: string;
  actor?: Actor;
  check?: UserTaskCheck;
  /**
   * Writes that belong with the completion (the case's stage that the action enters, ADR 0005): runs in the
   * command's transaction once the task is confirmed open, with the task and the variables visible from it, so
   * what it writes commits with the completion or not at all, and the variables it returns complete the task
   * too. (The Camunda 8 adapter runs it in a local transaction just before completing, as for jobs.)
   */
  within?: (context: ExportContext & { task: UserTask; variables: Variables }) => Promise<Variables | void>;
}

/** User task states. */
export type UserTaskState = 'CREATED' | 'COMPLETED' | 'CANCELED';

/** A user task (Camunda user task). */
export interface UserTask {
  userTaskKey: Key;
  name?: string;
  elementId: string;
  elementInstanceKey: Key;
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  state: UserTaskState;
  assignee?: string;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate?: string;
  followUpDate?: string;
  priority: number;
  formKey?: string;
  externalFormReference?: string;
  customHeaders: Record<string, string>;
  creationDate: string;
  completionDate?: string;
  /** The action it was completed with (`complete` unless the completer named another). */
  action?: string;
  completedBy?: string;
}

/** Filters of a user-task search; all given filters must hold. */
export interface UserTaskFilter {
  state?: UserTaskState;
  assignee?: string;
  /** Tasks with no assignee. */
  unassigned?: boolean;
  /** Tasks offered to any of these groups. */
  candidateGroups?: string[];
  candidateUser?: string;
  processInstanceKey?: Key;
  processDefinitionKey?: Key;
  bpmnProcessId?: string;
  elementId?: string;
  dueBefore?: string;
  dueAfter?: string;
  followUpBefore?: string;
  followUpAfter?: string;
}

/** A page of a search. */
export interface Page {
  from?: number;
  limit?: number;
}

/** A sort order of a user-task search. */
export interface UserTaskSort {
  field: 'creationDate' | 'dueDate' | 'followUpDate' | 'priority';
  order?: 'ASC' | 'DESC';
}

/** A page of results and the total count. */
export interface SearchResult<T> {
  items: T[];
  total: number;
}

/** Fields of a user task that an update may change. */
export interface UserTaskChangeset {
  dueDate?: string | null;
  followUpDate?: string | null;
  priority?: number;
  candidateGroups?: string[];
  candidateUsers?: string[];
}

/** Incident types, as Zeebe names them. */
export type IncidentType =
  | 'JOB_NO_RETRIES'
  | 'UNHANDLED_ERROR_EVENT'
  | 'CONDITION_ERROR'
  | 'EXTRACT_VALUE_ERROR'
  | 'IO_MAPPING_ERROR'
  | 'CALLED_ELEMENT_ERROR'
  | 'FORM_NOT_FOUND'
  | 'UNKNOWN';

/** An incident: a step the instance could not take; the instance waits until it is resolved. */
export interface Incident {
  incidentKey: Key;
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  elementId: string;
  elementInstanceKey: Key;
  jobKey?: Key;
  errorType: IncidentType;
  errorMessage: string;
  state: 'ACTIVE' | 'RESOLVED';
  creationTime: string;
}

/** What a history event records. */
export type HistoryIntent =
  | 'PROCESS_INSTANCE_CREATED'
  | 'PROCESS_INSTANCE_COMPLETED'
  | 'PROCESS_INSTANCE_TERMINATED'
  | 'ELEMENT_ACTIVATED'
  | 'ELEMENT_COMPLETED'
  | 'ELEMENT_TERMINATED'
  | 'SEQUENCE_FLOW_TAKEN'
  | 'VARIABLE_CREATED'
  | 'VARIABLE_UPDATED'
  | 'JOB_CREATED'
  | 'JOB_COMPLETED'
  | 'JOB_FAILED'
  | 'JOB_TIMED_OUT'
  | 'JOB_ERROR_THROWN'
  | 'JOB_RETRIES_UPDATED'
  | 'JOB_CANCELED'
  | 'USER_TASK_CREATED'
  | 'USER_TASK_ASSIGNED'
  | 'USER_TASK_UNASSIGNED'
  | 'USER_TASK_UPDATED'
  | 'USER_TASK_COMPLETED'
  | 'USER_TASK_CANCELED'
  | 'INCIDENT_CREATED'
  | 'INCIDENT_RESOLVED'
  | 'MESSAGE_CORRELATED'
  | 'TIMER_CREATED'
  | 'TIMER_TRIGGERED'
  | 'SIGNAL_RECEIVED'
  | 'ERROR_THROWN'
  | 'ESCALATION_THROWN';

/** One entry of an instance's history: the auditors' record, append-only. */
export interface HistoryEvent {
  /** Monotonic position in the whole history. */
  position: number;
  processInstanceKey: Key;
  processDefinitionKey: Key;
  elementInstanceKey?: Key;
  elementId?: string;
  elementType?: string;
  intent: HistoryIntent;
  actor?: Actor;
  /** ISO-8601 time of the command that produced it. */
  timestamp: string;
  payload: Record<string, unknown>;
}

/** Receives every committed batch of history events, after commit (projections, SSE, job wake-ups). */
export type EngineListener = (events: readonly HistoryEvent[]) => void;

/**
 * Writes projections of history events in the same transaction as the command that produced them:
 * if the exporter throws, the command is rolled back. Keep exporters fast; they sit on every command.
 */
export interface Exporter {
  name: string;
  export(events: readonly HistoryEvent[], context: ExportContext): Promise<void>;
}

/**
 * The transaction an exporter writes in: as a Sequelize transaction for models, and as raw SQL. The embedded
 * engine holds an exporter's `sql.run` writes back and sends them with the command's COMMIT (one round trip
 * on MySQL): `run` resolves with nothing to read, `sql.all` sees every earlier write, and a model call on
 * `transaction` does not see writes still held back, so an exporter that reads what it wrote reads through
 * `sql`. A write that fails rolls the command back as before.
 */
export interface ExportContext {
  transaction: Transaction;
  sql: {
    all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
    run(sql: string, params?: readonly unknown[]): Promise<unknown>;
  };
}

/** The engine port. */
export interface WorkflowEngine {
  /** Starts the scheduler and the in-process machinery. */
  start(): Promise<void>;
  /** Stops the scheduler and wakes every parked job activation. */
  stop(): Promise<void>;

  // Deployment
  deploy(resources: DeployResource[], options?: { actor?: Actor }): Promise<Deployment>;
  /** Lints resources without deploying them. */
  lint(resources: DeployResource[]): Promise<LintFinding[]>;
  listProcessDefinitions(filter?: { bpmnProcessId?: string }): Promise<ProcessDefinition[]>;
  getProcessDefinition(processDefinitionKey: Key): Promise<ProcessDefinition & { xml: string }>;
  getForm(formKey: Key): Promise<FormDefinition & { schema: string }>;
  /** The latest form deployed under a form id. */
  getLatestForm(formId: string): Promise<FormDefinition & { schema: string }>;

  // Process instances
  createProcessInstance(request: CreateProcessInstanceRequest): Promise<ProcessInstance>;
  cancelProcessInstance(processInstanceKey: Key, options?: { actor?: Actor }): Promise<void>;
  getProcessInstance(processInstanceKey: Key): Promise<ProcessInstance>;
  /** Variables of an instance, every scope. */
  getVariables(processInstanceKey: Key): Promise<Variable[]>;
  /** Sets variables on a scope (element instance or process instance); `local` skips propagation. */
  setVariables(request: {
    elementInstanceKey: Key;
    variables: Variables;
    local?: boolean;
    actor?: Actor;
  }): Promise<void>;

  // Messages and signals
  publishMessage(request: PublishMessageRequest): Promise<{ messageKey: Key }>;
  /** Correlates now to one waiting subscription or message start event; NotFoundError when none waits. */
  correlateMessage(request: {
    name: string;
    correlationKey: string;
    variables?: Variables;
    actor?: Actor;
  }): Promise<{ messageKey: Key; processInstanceKey: Key }>;
  broadcastSignal(request: {
    signalName: string;
    variables?: Variables;
    actor?: Actor;
  }): Promise<{ signalKey: Key }>;

  // Jobs
  activateJobs(request: ActivateJobsRequest): Promise<ActivatedJob[]>;
  completeJob(request: CompleteJobRequest): Promise<void>;
  failJob(request: FailJobRequest): Promise<void>;
  throwError(request: ThrowErrorRequest): Promise<void>;
  updateJobRetries(request: { jobKey: Key; retries: number; actor?: Actor }): Promise<void>;

  // User tasks
  searchUserTasks(query?: {
    filter?: UserTaskFilter;
    sort?: UserTaskSort[];
    page?: Page;
  }): Promise<SearchResult<UserTask>>;
  getUserTask(userTaskKey: Key): Promise<UserTask>;
  /** Assigns; with allowOverride false (a claim) it fails with ConflictError when someone else holds it. */
  assignUserTask(request: {
    userTaskKey: Key;
    assignee: string;
    allowOverride?: boolean;
    actor?: Actor;
    check?: UserTaskCheck;
  }): Promise<void>;
  unassignUserTask(request: { userTaskKey: Key; actor?: Actor; check?: UserTaskCheck }): Promise<void>;
  updateUserTask(request: { userTaskKey: Key; changeset: UserTaskChangeset; actor?: Actor }): Promise<void>;
  completeUserTask(request: CompleteUserTaskRequest): Promise<void>;

  // Incidents
  searchIncidents(filter?: { state?: 'ACTIVE' | 'RESOLVED'; processInstanceKey?: Key }): Promise<Incident[]>;
  resolveIncident(incidentKey: Key, options?: { actor?: Actor }): Promise<void>;

  // History
  getHistory(
    processInstanceKey: Key,
    options?: { afterPosition?: number; limit?: number },
  ): Promise<HistoryEvent[]>;
  /** Subscribes to committed history batches; returns the unsubscribe function. */
  subscribe(listener: EngineListener): () => void;
  /** Adds an in-transaction exporter (embedded engine); see Exporter. */
  addExporter(exporter: Exporter): void;
}
