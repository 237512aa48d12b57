import { QueryTypes, type Sequelize } from 'sequelize';
import type { z } from 'zod';
import type { Clock } from '../../common/clock.ts';
import { ConflictError, NotFoundError, UnprocessableError, UserError } from '../../common/errors.ts';
import { sequelizeSql } from '../../db/sequelize-sql.ts';
import type {
  DeployResource,
  Deployment,
  FormDefinition,
  HistoryEvent,
  Incident,
  LintFinding,
  ProcessDefinition,
  ProcessInstance,
  Variable,
  WorkflowEngine,
} from '../../engine/port.ts';
import type {
  DeployProblemErrorSchema,
  DeploymentResponseSchema,
  FormResponseSchema,
  FormSummarySchema,
  IncidentViewSchema,
  LintFindingSchema,
  ProcessDefinitionSummarySchema,
} from '../schemas/process.schema.ts';
import { stageHeaderFindings } from './stage-headers.service.ts';
import { appendAudit } from './audit.service.ts';
import type { Principal } from './auth.service.ts';
import { hasRole } from './scope.service.ts';

/** What the process administration service needs. */
export interface ProcessAdminDeps {
  sequelize: Sequelize;
  engine: WorkflowEngine;
  clock: Clock;
}

/** A process definition as the API lists it. */
export type ProcessDefinitionSummary = z.infer<typeof ProcessDefinitionSummarySchema>;
/** A form as the API shows it (without or with its schema). */
export type FormSummary = z.infer<typeof FormSummarySchema>;
/** A lint finding as the API reports it. */
export type LintFindingView = z.infer<typeof LintFindingSchema>;
/** What a deploy answers. */
export type DeploymentView = z.infer<typeof DeploymentResponseSchema>;
/** An incident with its case. */
export type IncidentView = z.infer<typeof IncidentViewSchema>;

/** A deploy refused by lint (422): `errors[]` names the resource, element and rule of every error finding. */
export class DeployRefusedError extends UnprocessableError {}

// ---------------------------------------------------------------------------------------------------------
// Who may do what

/** True for a user of the city centre (市网格化服务管理中心). */
function atCityCentre(p: Principal): boolean {
  return p.orgUnit.level === 'city' && p.orgUnit.kind === 'centre';
}

/** Process definitions and their diagrams: administrators, auditors, leaders, and the city centre's staff. */
export function canReadDefinitions(p: Principal): boolean {
  return (
    hasRole(p, 'admin', 'auditor', 'leader') || (atCityCentre(p) && hasRole(p, 'dispatcher', 'supervisor'))
  );
}

/** Incidents: administrators, auditors (read only), and the city centre's dispatchers and supervisors. */
export function canReadIncidents(p: Principal): boolean {
  return hasRole(p, 'admin', 'auditor') || (atCityCentre(p) && hasRole(p, 'dispatcher', 'supervisor'));
}

// ---------------------------------------------------------------------------------------------------------
// Definitions and forms

/** The API's view of a definition. */
export function definitionSummary(d: ProcessDefinition): ProcessDefinitionSummary {
  return {
    key: d.processDefinitionKey,
    bpmnProcessId: d.bpmnProcessId,
    name: d.name ?? null,
    version: d.version,
    deployedAt: d.deployedAt,
    resourceName: d.resourceName,
    checksum: d.checksum,
  };
}

/** The API's view of a form. */
export function formSummary(f: FormDefinition): FormSummary {
  return {
    key: f.formKey,
    formId: f.formId,
    version: f.version,
    deployedAt: f.deployedAt,
    resourceName: f.resourceName,
    checksum: f.checksum,
  };
}

/** A form with its schema parsed (the web app renders it). */
export function formView(f: FormDefinition & { schema: string }): z.infer<typeof FormResponseSchema> {
  return { ...formSummary(f), schema: JSON.parse(f.schema) as unknown };
}

/**
 * Deployed definitions: every version of one process (`bpmnProcessId`), every version of all (`all`), or
 * by default the latest version of each process. Newest version first within a process.
 */
export async function listDefinitions(
  engine: WorkflowEngine,
  query: { bpmnProcessId?: string; all: boolean },
): Promise<ProcessDefinitionSummary[]> {
  const defs = await engine.listProcessDefinitions(
    query.bpmnProcessId ? { bpmnProcessId: query.bpmnProcessId } : {},
  );
  const sorted = [...defs].sort((a, b) =>
    a.bpmnProcessId === b.bpmnProcessId ? b.version - a.version : a.bpmnProcessId < b.bpmnProcessId ? -1 : 1,
  );
  const keep =
    query.all || query.bpmnProcessId
      ? sorted
      : sorted.filter((d, i) => i === 0 || sorted[i - 1].bpmnProcessId !== d.bpmnProcessId);
  return keep.map(definitionSummary);
}

// ---------------------------------------------------------------------------------------------------------
// Lint and deploy

const findingView = (f: LintFinding): LintFindingView => ({
  resource: f.resourceName,
  elementId: f.elementId,
  rule: f.rule,
  message: f.message,
  category: f.category,
});

/**
 * The findings of an engine refusal (code DEPLOY_REJECTED: lint errors, or XML it could not read), or null
 * for any other error. The embedded engine attaches them as `findings`; otherwise they are read back from
 * `errors[]` (`<resource>#<elementId>`, `message (rule)`).
 */
function rejectedFindings(err: unknown): LintFinding[] | null {
  if (!(err instanceof UserError) || err.code !== 'DEPLOY_REJECTED') return null;
  const attached = (err as { findings?: unknown }).findings;
  if (Array.isArray(attached)) return attached as LintFinding[];
  return (err.errors ?? []).map((e) => {
    const [resourceName, elementId = ''] = e.field.split('#');
    const m = /^(.*) \(([^()]+)\)$/.exec(e.message);
    return {
      resourceName,
      elementId,
      rule: m?.[2] ?? 'unknown',
      message: m?.[1] ?? e.message,
      category: 'error' as const,
    };
  });
}

/**
 * Lints resources without deploying them. XML the engine cannot read is a finding (rule `xml`) like any
 * other, not a failure: the check answers either way.
 */
export async function lintResources(
  engine: WorkflowEngine,
  resources: DeployResource[],
): Promise<LintFindingView[]> {
  const own = await stageHeaderFindings(resources);
  try {
    return [...(await engine.lint(resources)), ...own].map(findingView);
  } catch (err) {
    const findings = rejectedFindings(err);
    if (!findings) throw err;
    return [...findings, ...own].map(findingView);
  }
}

function deployRefused(findings: LintFinding[]): DeployRefusedError {
  const errors: z.infer<typeof DeployProblemErrorSchema>[] = findings.map((f) => ({
    field: f.elementId ? `${f.resourceName}#${f.elementId}` : f.resourceName,
    message: `${f.message} (${f.rule})`,
    resource: f.resourceName,
    elementId: f.elementId,
    rule: f.rule,
  }));
  const where = findings.map((f) => `${f.elementId || f.resourceName}: ${f.rule}`).join('; ');
  return new DeployRefusedError(
    'DEPLOY_REJECTED',
    `Nothing was deployed: ${findings.length} lint error(s): ${where}`,
    errors,
  );
}

/** The `id` of a Camunda form's JSON, or null when it has none. */
function formIdOf(content: string): string | null {
  try {
    const id = (JSON.parse(content) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id !== '' ? id : null;
  } catch {
    return null;
  }
}

/**
 * Deploys BPMN and form resources together, as `actor`. Any lint error refuses the whole deploy (422, nothing
 * written). A resource identical to its latest version answers with that version and `created: false`. A
 * deploy that created something is recorded in the audit log (deploys have no process instance, so the audit
 * exporter never sees them).
 */
export async function deployResources(
  deps: ProcessAdminDeps,
  actor: string,
  resources: DeployResource[],
): Promise<DeploymentView> {
  const { engine } = deps;
  // What exists before, to tell a new version from an identical one the engine hands back.
  const knownDefinitions = new Set(
    (await engine.listProcessDefinitions()).map((d) => d.processDefinitionKey),
  );
  const knownForms = new Set<string>();
  for (const r of resources) {
    const formId = /\.form$/i.test(r.name) ? formIdOf(r.content) : null;
    if (!formId) continue; // not a form, or not one the engine will take (it says why)
    try {
      knownForms.add((await engine.getLatestForm(formId)).formKey);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  // The case processes' own convention first: the engine's lint does not know it.
  const own = await stageHeaderFindings(resources);
  if (own.length > 0) throw deployRefused(own);
  let deployment: Deployment;
  try {
    deployment = await engine.deploy(resources, { actor });
  } catch (err) {
    const findings = rejectedFindings(err);
    if (findings) throw deployRefused(findings.filter((f) => f.category === 'error'));
    throw err;
  }
  const processes = deployment.processes.map((p) => ({
    ...definitionSummary(p),
    created: !knownDefinitions.has(p.processDefinitionKey),
  }));
  const forms = deployment.forms.map((f) => ({ ...formSummary(f), created: !knownForms.has(f.formKey) }));
  const created = processes.some((p) => p.created) || forms.some((f) => f.created);
  if (created) {
    // Its own transaction after the engine's: the port's deploy takes no `within`. A crash in between leaves
    // the deploy without its audit record (the definition rows still carry time and checksum).
    await deps.sequelize.transaction((transaction) =>
      appendAudit(sequelizeSql(deps.sequelize, transaction), [
        {
          at: deps.clock.now(),
          actor,
          action: 'process.deployed',
          entityType: 'deployment',
          entityId: deployment.deploymentKey,
          payload: {
            processes: processes
              .filter((p) => p.created)
              .map(({ key, bpmnProcessId, version, resourceName, checksum }) => ({
                key,
                bpmnProcessId,
                version,
                resourceName,
                checksum,
              })),
            forms: forms
              .filter((f) => f.created)
              .map(({ key, formId, version, resourceName, checksum }) => ({
                key,
                formId,
                version,
                resourceName,
                checksum,
              })),
          },
        },
      ]),
    );
  }
  return {
    deploymentKey: deployment.deploymentKey,
    created,
    processes,
    forms,
    warnings: deployment.warnings.map(findingView),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Incidents

/** Case id and number by process instance key, for the instances that run a case. */
async function casesOf(
  sequelize: Sequelize,
  processInstanceKeys: readonly string[],
): Promise<Map<string, { id: number; caseNo: string }>> {
  const out = new Map<string, { id: number; caseNo: string }>();
  const keys = [...new Set(processInstanceKeys)];
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const rows = await sequelize.query<{
      id: number;
      case_no: string;
      process_instance_key: number | string;
    }>(
      `SELECT id, case_no, process_instance_key FROM cases WHERE process_instance_key IN (${chunk.map(() => '?').join(', ')})`,
      { replacements: chunk.map(Number), type: QueryTypes.SELECT },
    );
    for (const r of rows) out.set(String(r.process_instance_key), { id: Number(r.id), caseNo: r.case_no });
  }
  return out;
}

async function incidentViews(sequelize: Sequelize, incidents: readonly Incident[]): Promise<IncidentView[]> {
  const cases = await casesOf(
    sequelize,
    incidents.map((i) => i.processInstanceKey),
  );
  return incidents.map((i) => {
    const c = cases.get(i.processInstanceKey);
    return {
      incidentKey: i.incidentKey,
      processInstanceKey: i.processInstanceKey,
      processDefinitionKey: i.processDefinitionKey,
      bpmnProcessId: i.bpmnProcessId,
      elementId: i.elementId,
      elementInstanceKey: i.elementInstanceKey,
      jobKey: i.jobKey ?? null,
      errorType: i.errorType,
      errorMessage: i.errorMessage,
      state: i.state,
      creationTime: i.creationTime,
      caseId: c?.id ?? null,
      caseNo: c?.caseNo ?? null,
    };
  });
}

/** Incidents in a state (newest first), optionally of one instance, each with the case its instance runs. */
export async function listIncidents(
  deps: ProcessAdminDeps,
  query: { state: 'ACTIVE' | 'RESOLVED'; processInstanceKey?: string },
): Promise<IncidentView[]> {
  return incidentViews(deps.sequelize, await deps.engine.searchIncidents(query));
}

/**
 * Retries the step an incident stopped, as Operate's retry does: a job without retries first gets `retries`
 * (default 1), then the incident is resolved and the step runs again. Answers the resolved incident and the
 * instance's incidents still active afterwards (a step that fails again raises a new one).
 */
export async function retryIncident(
  deps: ProcessAdminDeps,
  actor: string,
  incidentKey: string,
  retries: number | undefined,
): Promise<{ incident: IncidentView | null; jobRetries: number | null; activeIncidents: IncidentView[] }> {
  const { engine } = deps;
  const incident = (await engine.searchIncidents({ state: 'ACTIVE' })).find(
    (i) => i.incidentKey === incidentKey,
  );
  if (!incident) {
    // Unknown or already resolved: the engine refuses, naming the incident (404 / 409). Should it succeed,
    // the incident was active but beyond the page the search returns, and there is nothing more to show.
    await engine.resolveIncident(incidentKey, { actor });
    return { incident: null, jobRetries: null, activeIncidents: [] };
  }
  let jobRetries: number | null = null;
  if (incident.errorType === 'JOB_NO_RETRIES' && incident.jobKey) {
    jobRetries = retries ?? 1;
    await engine.updateJobRetries({ jobKey: incident.jobKey, retries: jobRetries, actor });
  }
  await engine.resolveIncident(incidentKey, { actor });
  const after = await engine.searchIncidents({ processInstanceKey: incident.processInstanceKey });
  const resolved = after.find((i) => i.incidentKey === incidentKey) ?? { ...incident, state: 'RESOLVED' };
  const views = await incidentViews(deps.sequelize, [resolved, ...after.filter((i) => i.state === 'ACTIVE')]);
  return { incident: views[0], jobRetries, activeIncidents: views.slice(1) };
}

// ---------------------------------------------------------------------------------------------------------
// Process instances

/** An instance for administrators and auditors: its state, its case, its active incidents, its variables. */
export async function instanceDetail(
  deps: ProcessAdminDeps,
  processInstanceKey: string,
): Promise<{
  processInstance: ProcessInstance;
  case: { id: number; caseNo: string } | null;
  incidents: IncidentView[];
  variables: Variable[];
}> {
  const processInstance = await deps.engine.getProcessInstance(processInstanceKey);
  const [incidents, variables, cases] = await Promise.all([
    deps.engine.searchIncidents({ state: 'ACTIVE', processInstanceKey }),
    deps.engine.getVariables(processInstanceKey),
    casesOf(deps.sequelize, [processInstanceKey]),
  ]);
  return {
    processInstance,
    case: cases.get(processInstanceKey) ?? null,
    incidents: await incidentViews(deps.sequelize, incidents),
    variables,
  };
}

/** An instance's history (a page after a position), with the instance; 404 for an unknown instance. */
export async function instanceHistory(
  deps: ProcessAdminDeps,
  processInstanceKey: string,
  page: { afterPosition: number; limit: number },
): Promise<{ processInstance: ProcessInstance; events: HistoryEvent[] }> {
  const processInstance = await deps.engine.getProcessInstance(processInstanceKey);
  const events = await deps.engine.getHistory(processInstanceKey, page);
  return { processInstance, events };
}

/**
 * Sets variables on a running instance (default: its root scope) or on one of its element instances, before
 * retrying an incident. The element instance must be a scope of this instance: one holding variables, or
 * the one an incident stopped.
 */
export async function setInstanceVariables(
  deps: ProcessAdminDeps,
  actor: string,
  processInstanceKey: string,
  request: { variables: Record<string, unknown>; local: boolean; elementInstanceKey?: string },
): Promise<void> {
  const { engine } = deps;
  const instance = await engine.getProcessInstance(processInstanceKey);
  if (instance.state !== 'ACTIVE') {
    throw new ConflictError(
      'PROCESS_INSTANCE_NOT_ACTIVE',
      `Process instance ${processInstanceKey} is ${instance.state.toLowerCase()}: its variables no longer change`,
    );
  }
  const scope = request.elementInstanceKey ?? processInstanceKey;
  if (scope !== processInstanceKey) {
    const [variables, incidents] = await Promise.all([
      engine.getVariables(processInstanceKey),
      engine.searchIncidents({ state: 'ACTIVE', processInstanceKey }),
    ]);
    const scopes = new Set([
      ...variables.map((v) => v.scopeKey),
      ...incidents.map((i) => i.elementInstanceKey),
    ]);
    if (!scopes.has(scope)) {
      throw new NotFoundError(
        'SCOPE_NOT_FOUND',
        `Element instance ${scope} is not a variable scope or an incident of process instance ${processInstanceKey}`,
        [{ field: 'body.elementInstanceKey', message: 'is not a scope of this process instance' }],
      );
    }
  }
  await engine.setVariables({
    elementInstanceKey: scope,
    variables: request.variables,
    local: request.local,
    actor,
  });
}
