import { z } from 'zod';

// Request and response shapes of the process administration API (definitions, forms, deploy, incidents,
// instances). Keys are Zeebe keys: decimal strings at the boundary, as engine/port.ts has them.

/** A Zeebe key as the API takes it: a positive whole number written in decimal (up to 19 digits). */
export const KeySchema = z.string().regex(/^[1-9]\d{0,18}$/, 'must be a key (a positive whole number)');

/** `:key` path parameter of definitions, incidents and process instances. */
export const KeyParamsSchema = z.object({ key: KeySchema });

/** `:formId` path parameter: the `id` of a Camunda form. */
export const FormIdParamsSchema = z.object({ formId: z.string().min(1).max(255) });

/** `:formKey` path parameter. */
export const FormKeyParamsSchema = z.object({ formKey: KeySchema });

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * `GET /api/process-definitions` query: the latest version of each process by default, every version of one
 * process with `bpmnProcessId`, every version of every process with `all=true`.
 */
export const ProcessDefinitionQuerySchema = z.object({
  bpmnProcessId: z.string().trim().min(1).max(255).optional(),
  all: flag.default(false),
});

/** A deployed process definition, as the API lists it. */
export const ProcessDefinitionSummarySchema = z.object({
  key: KeySchema,
  bpmnProcessId: z.string(),
  name: z.string().nullable(),
  version: z.number().int().positive(),
  deployedAt: z.iso.datetime(),
  resourceName: z.string(),
  /** SHA-256 of the deployed resource. */
  checksum: z.string(),
});

/** `GET /api/process-definitions` response. */
export const ProcessDefinitionListSchema = z.object({ items: z.array(ProcessDefinitionSummarySchema) });

/** A deployed form, without its schema. */
export const FormSummarySchema = z.object({
  key: KeySchema,
  formId: z.string(),
  version: z.number().int().positive(),
  deployedAt: z.iso.datetime(),
  resourceName: z.string(),
  checksum: z.string(),
});

/** `GET /api/forms/:formId` and `GET /api/forms/key/:formKey` response: the form and its Camunda form JSON. */
export const FormResponseSchema = FormSummarySchema.extend({ schema: z.unknown() });

/** What a resource's name must look like: BPMN (`.bpmn`, `.bpmn20.xml`, `.xml`) or a Camunda form (`.form`). */
const RESOURCE_NAME = /^[^/\\]+\.(bpmn|xml|form)$/i;
const BPMN_NAME = /^[^/\\]+\.(bpmn|xml)$/i;

/** A resource to lint or deploy. A `.form` must be JSON with a string `id`. */
export const DeployResourceSchema = z
  .object({
    name: z
      .string()
      .trim()
      .max(255)
      .regex(RESOURCE_NAME, 'must be a file name ending in .bpmn or .form (no folders)'),
    content: z.string().min(1, 'is empty').max(2_000_000),
  })
  .superRefine((r, ctx) => {
    if (!/\.form$/i.test(r.name)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.content);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'is not valid JSON (a .form is JSON)' });
      return;
    }
    const id = (parsed as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'the form has no "id"' });
    }
  });

/** `POST /api/process-definitions` and `…/lint` JSON body: BPMN and form resources, deployed together. */
export const DeployBodySchema = z.object({
  resources: z
    .array(DeployResourceSchema)
    .min(1, 'must list at least one resource')
    .max(50)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'is listed twice' });
        seen.add(r.name);
      });
    }),
});

/** Query of a raw `application/xml` body to lint or deploy: the resource name it is stored under. */
export const RawBpmnQuerySchema = z.object({
  name: z
    .string()
    .trim()
    .max(255)
    .regex(BPMN_NAME, 'must be a file name ending in .bpmn')
    .default('process.bpmn'),
});

/** One lint finding on one element. */
export const LintFindingSchema = z.object({
  resource: z.string(),
  /** Empty when the finding is about the whole resource (e.g. malformed XML). */
  elementId: z.string(),
  rule: z.string(),
  message: z.string(),
  category: z.enum(['error', 'warn']),
});

/** `POST /api/process-definitions/lint` response (200 even when there are errors: it is a check). */
export const LintResponseSchema = z.object({ findings: z.array(LintFindingSchema) });

/** `POST /api/process-definitions` response: what the deploy produced; `created: false` for identical content. */
export const DeploymentResponseSchema = z.object({
  deploymentKey: KeySchema,
  /** True when at least one process or form got a new version. */
  created: z.boolean(),
  processes: z.array(ProcessDefinitionSummarySchema.extend({ created: z.boolean() })),
  forms: z.array(FormSummarySchema.extend({ created: z.boolean() })),
  /** Lint warnings: the deploy went through. */
  warnings: z.array(LintFindingSchema),
});

/** One entry of the problem's `errors[]` when a deploy is refused (422): the element and the rule. */
export const DeployProblemErrorSchema = z.object({
  /** `<resource>#<elementId>` (just the resource when the finding is about the whole file). */
  field: z.string(),
  message: z.string(),
  resource: z.string(),
  elementId: z.string(),
  rule: z.string(),
});

/** `GET /api/incidents` query. */
export const IncidentQuerySchema = z.object({
  state: z.enum(['ACTIVE', 'RESOLVED']).default('ACTIVE'),
  processInstanceKey: KeySchema.optional(),
});

/** An incident, with the case its instance runs (when it runs one). */
export const IncidentViewSchema = z.object({
  incidentKey: KeySchema,
  processInstanceKey: KeySchema,
  processDefinitionKey: KeySchema,
  bpmnProcessId: z.string(),
  elementId: z.string(),
  elementInstanceKey: KeySchema,
  jobKey: KeySchema.nullable(),
  errorType: z.string(),
  errorMessage: z.string(),
  state: z.enum(['ACTIVE', 'RESOLVED']),
  creationTime: z.iso.datetime(),
  caseId: z.number().int().nullable(),
  caseNo: z.string().nullable(),
});

/** `GET /api/incidents` response. */
export const IncidentListSchema = z.object({ items: z.array(IncidentViewSchema) });

/** `POST /api/incidents/:key/retry` body (optional): the retries a failed job gets before it runs again. */
export const RetryIncidentSchema = z.object({
  retries: z.number().int().min(1).max(10).optional(),
});

/**
 * `POST /api/incidents/:key/retry` response: the incident, now resolved (null only when the engine resolved
 * one beyond the page its search returns), the retries its job got (null: not a job incident), and the
 * instance's incidents active after the retry (a step that fails again raises a new one).
 */
export const RetryIncidentResponseSchema = z.object({
  incident: IncidentViewSchema.nullable(),
  jobRetries: z.number().int().nullable(),
  activeIncidents: z.array(IncidentViewSchema),
});

/**
 * `PUT /api/process-instances/:key/variables` body: variables to set before retrying an incident, on the
 * instance (default) or on one of its element instances; `local` keeps them on that scope.
 */
export const SetVariablesSchema = z.object({
  variables: z
    .record(z.string().min(1).max(255), z.unknown())
    .refine((v) => Object.keys(v).length > 0, 'must set at least one variable'),
  local: z.boolean().default(false),
  elementInstanceKey: KeySchema.optional(),
});

/** `GET /api/process-instances/:key/history` query: a page of events after a position. */
export const HistoryQuerySchema = z.object({
  afterPosition: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
});

/** A process instance (engine/port.ts `ProcessInstance`). */
export const ProcessInstanceSchema = z.object({
  processInstanceKey: KeySchema,
  processDefinitionKey: KeySchema,
  bpmnProcessId: z.string(),
  version: z.number().int().positive(),
  state: z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED']),
  startDate: z.iso.datetime(),
  endDate: z.iso.datetime().optional(),
  parentProcessInstanceKey: KeySchema.optional(),
  parentElementInstanceKey: KeySchema.optional(),
  hasIncident: z.boolean(),
});

/** `GET /api/process-instances/:key` response: the instance, its case, its active incidents, its variables. */
export const ProcessInstanceDetailSchema = z.object({
  processInstance: ProcessInstanceSchema,
  case: z.object({ id: z.number().int(), caseNo: z.string() }).nullable(),
  incidents: z.array(IncidentViewSchema),
  variables: z.array(z.object({ scopeKey: KeySchema, name: z.string(), value: z.unknown() })),
});

/** One history event (engine/port.ts `HistoryEvent`). */
export const HistoryEventSchema = z.object({
  position: z.number().int(),
  processInstanceKey: KeySchema,
  processDefinitionKey: KeySchema,
  elementInstanceKey: KeySchema.optional(),
  elementId: z.string().optional(),
  elementType: z.string().optional(),
  intent: z.string(),
  actor: z.string().optional(),
  timestamp: z.iso.datetime(),
  payload: z.record(z.string(), z.unknown()),
});

/** `GET /api/process-instances/:key/history` response. */
export const ProcessInstanceHistorySchema = z.object({
  processInstance: ProcessInstanceSchema,
  events: z.array(HistoryEventSchema),
});
