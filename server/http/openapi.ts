import { z } from 'zod';
import {
  AttachmentIdParamsSchema,
  AttachmentListSchema,
  AttachmentUploadResultSchema,
  AttachmentUploadSchema,
} from '../schemas/attachment.schema.ts';
import { IntakeSchema } from '../schemas/case.schema.ts';
import {
  DeployBodySchema,
  DeploymentResponseSchema,
  FormIdParamsSchema,
  FormKeyParamsSchema,
  FormResponseSchema,
  HistoryQuerySchema,
  IncidentListSchema,
  IncidentQuerySchema,
  KeyParamsSchema,
  LintResponseSchema,
  ProcessDefinitionListSchema,
  ProcessDefinitionQuerySchema,
  ProcessDefinitionSummarySchema,
  ProcessInstanceDetailSchema,
  ProcessInstanceHistorySchema,
  RetryIncidentResponseSchema,
  RetryIncidentSchema,
  SetVariablesSchema,
} from '../schemas/process.schema.ts';
import {
  CategoryListSchema,
  CategoryQuerySchema,
  CategorySchema,
  CreateUserSchema,
  GridFeatureCollectionSchema,
  GridFeatureSchema,
  GridLocateQuerySchema,
  GridLocationSchema,
  GridQuerySchema,
  OrgUnitListSchema,
  OrgUnitQuerySchema,
  OrgUnitSchema,
  OrgUnitTreeSchema,
  ReferenceIdParamsSchema,
  UpdateUserSchema,
  UserPageSchema,
  UserQuerySchema,
  UserViewSchema,
} from '../schemas/reference.schema.ts';
import { LoginSchema } from './routes/auth.routes.ts';
import { CaseAuditSchema, CaseSearchSchema } from './routes/case.routes.ts';
import { CompleteSchema, InboxSchema } from './routes/task.routes.ts';

/** One documented operation of the API. The test in test/server/openapi.test.ts holds this list and the routers equal. */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax (`/api/cases/:id`). */
  path: string;
  tag: string;
  summary: string;
  /** Who may call it; `signed-in` for everyone with a session, `public` for no session. */
  roles: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success response's JSON schema, where one is declared. */
  response?: z.ZodType;
  /** The body's media type when it is not JSON (the body schema then describes its parts). */
  bodyMediaType?: string;
  /** Another media type the body may come in (e.g. raw XML), described in words. */
  rawBody?: { mediaType: string; description: string };
  /** Success status and description; the response content is described in words where no schema exists. */
  success: { status: number; description: string; mediaType?: string };
  /** Error statuses this operation may answer besides 401. */
  errors?: number[];
}

const Key = 'a Zeebe-style key (decimal digits)';

/** Every operation of the API. */
export const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Sign in: a session token (also set as the gf_session cookie) and who you are',
    roles: 'public',
    body: LoginSchema,
    success: { status: 200, description: '{ token, expiresAt, user }' },
    errors: [400],
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    tag: 'auth',
    summary: 'Sign out (ends the session)',
    roles: 'public',
    success: { status: 204, description: 'Signed out' },
  },
  {
    method: 'get',
    path: '/api/auth/me',
    tag: 'auth',
    summary: 'Who am I: user, org unit, roles, grids, candidate groups',
    roles: 'signed-in',
    success: { status: 200, description: '{ user }' },
  },
  {
    method: 'post',
    path: '/api/cases',
    tag: 'cases',
    summary:
      '受理登记: file a case from any channel; the same source ticket again returns the same case (200, created false)',
    roles: 'dispatcher; grid_worker for source grid_report',
    body: IntakeSchema,
    success: {
      status: 201,
      description: '{ case, timeline, created: true } (200 with created false for a repeat)',
    },
    errors: [400, 403],
  },
  {
    method: 'get',
    path: '/api/cases',
    tag: 'cases',
    summary: '案件查询: search the cases in your scope',
    roles: 'signed-in (scoped: city centre all, a town its own, a unit what it handles)',
    query: CaseSearchSchema,
    success: {
      status: 200,
      description:
        '{ items, total, totalCapped }: newest first; total counts to 10 000, then totalCapped is true',
    },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/cases/:id',
    tag: 'cases',
    summary: 'A case with its timeline (404 outside your scope, exactly as for a case that does not exist)',
    roles: 'signed-in (scoped)',
    success: { status: 200, description: '{ case, timeline, … }' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/cases/:id/history',
    tag: 'cases',
    summary: "The history events of the case's process instance, in order (for replay)",
    roles: 'signed-in (scoped)',
    success: { status: 200, description: '{ processInstance, events }' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/cases/:id/audit',
    tag: 'cases',
    summary:
      "The case's audit chain (审计链) verified from its first record, and its records without payloads (for replay)",
    roles: 'signed-in (scoped)',
    response: CaseAuditSchema,
    success: { status: 200, description: '{ verification, records, truncated }' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/tasks',
    tag: 'tasks',
    summary: '任务中心: your tasks and your groups’ tasks, filtered, sorted by due, paged',
    roles: 'signed-in',
    query: InboxSchema,
    success: {
      status: 200,
      description:
        '{ items, total, totalCapped }: most urgent first; total counts to 1 000, then totalCapped is true',
    },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/tasks/:key',
    tag: 'tasks',
    summary: 'A task with its form (form-js schema), its actions and the data the form starts from',
    roles: 'signed-in (offered to you, held or done by you; the city centre sees all)',
    success: { status: 200, description: '{ task, form, data }' },
    errors: [400, 404],
  },
  {
    method: 'post',
    path: '/api/tasks/:key/claim',
    tag: 'tasks',
    summary: '签收: take a task offered to you',
    roles: 'a candidate of the task',
    success: { status: 204, description: 'Claimed' },
    errors: [400, 403, 404, 409],
  },
  {
    method: 'post',
    path: '/api/tasks/:key/unclaim',
    tag: 'tasks',
    summary: 'Give a task you hold back to its groups',
    roles: 'the assignee',
    success: { status: 204, description: 'Unclaimed' },
    errors: [400, 404, 409],
  },
  {
    method: 'post',
    path: '/api/tasks/:key/complete',
    tag: 'tasks',
    summary:
      'Complete a task you hold with one of its actions and the form’s data (validated against the form)',
    roles: 'the assignee',
    body: CompleteSchema,
    success: { status: 204, description: 'Completed' },
    errors: [400, 404, 409],
  },
  // Attachments
  {
    method: 'post',
    path: '/api/cases/:id/attachments',
    tag: 'cases',
    summary:
      'Attach photos or documents (multipart `file` parts, ≤ 9 × 10 MB; the type is sniffed from the bytes: JPEG, PNG, WebP, GIF, HEIC, PDF, MP4). The same bytes again return the existing attachment.',
    roles: 'anyone who can see the case, except auditors',
    params: AttachmentIdParamsSchema,
    body: AttachmentUploadSchema,
    bodyMediaType: 'multipart/form-data',
    response: AttachmentUploadResultSchema,
    success: { status: 201, description: 'Stored (200 when every file was already attached)' },
    errors: [400, 403, 404, 409, 413, 415],
  },
  {
    method: 'get',
    path: '/api/cases/:id/attachments',
    tag: 'cases',
    summary: "The case's attachments",
    roles: 'signed-in (scoped)',
    params: AttachmentIdParamsSchema,
    response: AttachmentListSchema,
    success: { status: 200, description: '{ items }' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/attachments/:id',
    tag: 'cases',
    summary: 'Download an attachment (ETag = sha256, nosniff, RFC 5987 file name)',
    roles: "signed-in (scoped through the attachment's case)",
    params: AttachmentIdParamsSchema,
    success: {
      status: 200,
      description: 'The bytes, in the stored (sniffed) type',
      mediaType: 'application/octet-stream',
    },
    errors: [400, 404],
  },
  // Reference data
  {
    method: 'get',
    path: '/api/org-units',
    tag: 'reference',
    summary: 'The organisation as a flat list (each unit after its parent)',
    roles: 'signed-in',
    query: OrgUnitQuerySchema,
    response: OrgUnitListSchema,
    success: { status: 200, description: '{ items }' },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/org-units/tree',
    tag: 'reference',
    summary: 'The organisation as a tree: city centre, towns and parks, stations, departments, joint teams',
    roles: 'signed-in',
    response: OrgUnitTreeSchema,
    success: { status: 200, description: '{ roots }' },
  },
  {
    method: 'get',
    path: '/api/org-units/:id',
    tag: 'reference',
    summary: 'One org unit',
    roles: 'signed-in',
    params: ReferenceIdParamsSchema,
    response: OrgUnitSchema,
    success: { status: 200, description: 'The unit' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/grids',
    tag: 'reference',
    summary:
      'Grids as a GeoJSON FeatureCollection (MultiPolygon, WGS84), valid today; by town, village or bbox',
    roles: 'signed-in',
    query: GridQuerySchema,
    response: GridFeatureCollectionSchema,
    success: { status: 200, description: 'FeatureCollection', mediaType: 'application/geo+json' },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/grids/locate',
    tag: 'reference',
    summary: 'The grid, village and town containing a point (all null outside every grid)',
    roles: 'signed-in',
    query: GridLocateQuerySchema,
    response: GridLocationSchema,
    success: { status: 200, description: '{ grid, village, town }' },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/grids/:id',
    tag: 'reference',
    summary: 'One grid as a GeoJSON Feature (retired grids too: old cases point at them)',
    roles: 'signed-in',
    params: ReferenceIdParamsSchema,
    response: GridFeatureSchema,
    success: { status: 200, description: 'Feature', mediaType: 'application/geo+json' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/categories',
    tag: 'reference',
    summary: 'Categories (大类/小类) with their remit and time limits per stage (working minutes)',
    roles: 'signed-in',
    query: CategoryQuerySchema,
    response: CategoryListSchema,
    success: { status: 200, description: '{ items }' },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/categories/:id',
    tag: 'reference',
    summary: 'One category',
    roles: 'signed-in',
    params: ReferenceIdParamsSchema,
    response: CategorySchema,
    success: { status: 200, description: 'The category' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/users',
    tag: 'users',
    summary: 'Users (phones masked, never a password hash)',
    roles: 'admin',
    query: UserQuerySchema,
    response: UserPageSchema,
    success: { status: 200, description: '{ items, total, page, pageSize }' },
    errors: [400, 403],
  },
  {
    method: 'get',
    path: '/api/users/:id',
    tag: 'users',
    summary: 'One user',
    roles: 'admin',
    params: ReferenceIdParamsSchema,
    response: UserViewSchema,
    success: { status: 200, description: 'The user' },
    errors: [400, 403, 404],
  },
  {
    method: 'post',
    path: '/api/users',
    tag: 'users',
    summary: 'Create a user (argon2id password hash; audited)',
    roles: 'admin',
    body: CreateUserSchema,
    response: UserViewSchema,
    success: { status: 201, description: 'Created' },
    errors: [400, 403, 409],
  },
  {
    method: 'patch',
    path: '/api/users/:id',
    tag: 'users',
    summary:
      'Change a user: name, phone, password, roles, unit, grids, active (deactivating ends their sessions)',
    roles: 'admin',
    params: ReferenceIdParamsSchema,
    body: UpdateUserSchema,
    response: UserViewSchema,
    success: { status: 200, description: 'The changed user' },
    errors: [400, 403, 404, 409],
  },
  // Processes and incidents
  {
    method: 'get',
    path: '/api/process-definitions',
    tag: 'processes',
    summary: 'Process definitions: the latest of each, the versions of one (bpmnProcessId), or all',
    roles: 'admin, auditor, leader, the city centre',
    query: ProcessDefinitionQuerySchema,
    response: ProcessDefinitionListSchema,
    success: { status: 200, description: '{ items }' },
    errors: [400, 403],
  },
  {
    method: 'post',
    path: '/api/process-definitions/lint',
    tag: 'processes',
    summary: 'Lint BPMN and forms with the Camunda 8.8 rules and the engine’s own (200 even with errors)',
    roles: 'admin',
    body: DeployBodySchema,
    rawBody: {
      mediaType: 'application/xml',
      description: 'Or one BPMN file as the raw body, named by ?name=',
    },
    response: LintResponseSchema,
    success: { status: 200, description: '{ findings }' },
    errors: [400, 403, 415],
  },
  {
    method: 'post',
    path: '/api/process-definitions',
    tag: 'processes',
    summary:
      'Deploy BPMN and forms as new versions; identical content returns the existing version (200, created false); a diagram that fails lint is refused (422) and nothing is deployed',
    roles: 'admin',
    body: DeployBodySchema,
    rawBody: {
      mediaType: 'application/xml',
      description: 'Or one BPMN file as the raw body, named by ?name=',
    },
    response: DeploymentResponseSchema,
    success: { status: 201, description: 'Deployed' },
    errors: [400, 403, 415, 422],
  },
  {
    method: 'get',
    path: '/api/process-definitions/:key',
    tag: 'processes',
    summary: 'One process definition version',
    roles: 'admin, auditor, leader, the city centre',
    params: KeyParamsSchema,
    response: ProcessDefinitionSummarySchema,
    success: { status: 200, description: 'The definition' },
    errors: [400, 403, 404],
  },
  {
    method: 'get',
    path: '/api/process-definitions/:key/xml',
    tag: 'processes',
    summary: 'The BPMN XML of a version (replay draws the version an instance ran on)',
    roles: 'admin, auditor, leader, the city centre',
    params: KeyParamsSchema,
    success: { status: 200, description: 'BPMN 2.0 XML', mediaType: 'application/xml' },
    errors: [400, 403, 404],
  },
  {
    method: 'get',
    path: '/api/forms/key/:formKey',
    tag: 'processes',
    summary: 'A deployed form version (form-js JSON)',
    roles: 'signed-in',
    params: FormKeyParamsSchema,
    response: FormResponseSchema,
    success: { status: 200, description: 'The form' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/forms/:formId',
    tag: 'processes',
    summary: 'The latest version of a form by its id',
    roles: 'signed-in',
    params: FormIdParamsSchema,
    response: FormResponseSchema,
    success: { status: 200, description: 'The form' },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/incidents',
    tag: 'incidents',
    summary: '异常: incidents with their element, error and case',
    roles: 'admin, auditor, the city centre’s dispatchers and supervisors',
    query: IncidentQuerySchema,
    response: IncidentListSchema,
    success: { status: 200, description: '{ items }' },
    errors: [400, 403],
  },
  {
    method: 'post',
    path: '/api/incidents/:key/retry',
    tag: 'incidents',
    summary: 'Retry the failed step (a job incident gets its retries back first)',
    roles: 'admin',
    params: KeyParamsSchema,
    body: RetryIncidentSchema,
    response: RetryIncidentResponseSchema,
    success: { status: 200, description: 'Resolved; a step that fails again shows in activeIncidents' },
    errors: [400, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/api/process-instances/:key',
    tag: 'incidents',
    summary: 'A process instance with its case, active incidents and variables',
    roles: 'admin, auditor',
    params: KeyParamsSchema,
    response: ProcessInstanceDetailSchema,
    success: { status: 200, description: 'The instance' },
    errors: [400, 403, 404],
  },
  {
    method: 'get',
    path: '/api/process-instances/:key/history',
    tag: 'incidents',
    summary: 'The history events of an instance, in order, paged',
    roles: 'admin, auditor',
    params: KeyParamsSchema,
    query: HistoryQuerySchema,
    response: ProcessInstanceHistorySchema,
    success: { status: 200, description: '{ events, … }' },
    errors: [400, 403, 404],
  },
  {
    method: 'put',
    path: '/api/process-instances/:key/variables',
    tag: 'incidents',
    summary: 'Fix variables before a retry (audited through the engine’s events)',
    roles: 'admin',
    params: KeyParamsSchema,
    body: SetVariablesSchema,
    success: { status: 204, description: 'Set' },
    errors: [400, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    tag: 'meta',
    summary: 'This document',
    roles: 'public',
    success: { status: 200, description: 'OpenAPI 3.1' },
  },
];

/** Shared schema definitions ($defs of recursive schemas), collected into components.schemas. */
type Components = Record<string, unknown>;

/** A zod schema as JSON Schema; its $defs (recursive schemas) move into components under a unique prefix. */
function jsonSchema(schema: z.ZodType, components: Components, prefix: string): Record<string, unknown> {
  const {
    $schema: _ignored,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  if (!$defs) return rest;
  const rename = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rename);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          k === '$ref' && typeof v === 'string'
            ? v.replace('#/$defs/', `#/components/schemas/${prefix}_`)
            : rename(v),
        ]),
      );
    }
    return value;
  };
  for (const [name, def] of Object.entries($defs)) components[`${prefix}_${name}`] = rename(def);
  return rename(rest) as Record<string, unknown>;
}

const operationId = (op: Operation): string =>
  op.method +
  op.path
    .replace(/^\/api\//, '/')
    .split(/[/\-.]/)
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${part[1].toUpperCase()}${part.slice(2)}` : part))
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, '{$1}');

const PROBLEM = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input: `errors[]` names each field (`body.x`, `query.x`, `params.x`)',
  401: 'Not signed in',
  403: 'Your roles do not allow it',
  404: 'Not found, or outside your scope (the same answer)',
  409: 'Conflicts with the current state',
  413: 'Too large',
  415: 'Unsupported media type',
  422: 'Refused by a rule (e.g. a diagram that fails lint)',
};

/** The OpenAPI 3.1 document of the API, built from the same zod schemas that validate the requests. */
export function openApiDocument(info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Components = {};
  for (const op of OPERATIONS) {
    const id = operationId(op);
    const parameters: Record<string, unknown>[] = [];
    const paramSchemas = op.params
      ? ((jsonSchema(op.params, components, id) as { properties?: Record<string, unknown> }).properties ?? {})
      : {};
    for (const name of (op.path.match(/:([A-Za-z]+)/g) ?? []).map((n) => n.slice(1))) {
      parameters.push({
        name,
        in: 'path',
        required: true,
        schema: paramSchemas[name] ?? { type: 'string', pattern: '^[0-9]+$' },
        ...(name === 'key' ? { description: Key } : {}),
      });
    }
    if (op.query) {
      const schema = jsonSchema(op.query, components, id) as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    const responseSchema = op.response ? jsonSchema(op.response, components, id) : {};
    const responses: Record<string, unknown> = {
      [op.success.status]: {
        description: op.success.description,
        ...(op.success.status === 204
          ? {}
          : { content: { [op.success.mediaType ?? 'application/json']: { schema: responseSchema } } }),
      },
    };
    for (const status of [...(op.roles === 'public' ? [] : [401]), ...(op.errors ?? [])]) {
      responses[status] = { ...PROBLEM, description: STATUS_TEXT[status] ?? 'Error' };
    }
    const content: Record<string, unknown> = {};
    if (op.body)
      content[op.bodyMediaType ?? 'application/json'] = { schema: jsonSchema(op.body, components, id) };
    if (op.rawBody) content[op.rawBody.mediaType] = { schema: { type: 'string' } };
    const requestBody = Object.keys(content).length
      ? { required: true, content, ...(op.rawBody ? { description: op.rawBody.description } : {}) }
      : undefined;
    (paths[openApiPath(op.path)] ??= {})[op.method] = {
      operationId: id,
      tags: [op.tag],
      summary: op.summary,
      description: `Who: ${op.roles}.`,
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      ...(op.roles === 'public' ? { security: [] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gridflow API',
      version: info.version,
      description:
        '网格化社会治理 case management: intake, the task inbox, cases, processes, reference data. ' +
        'Sign in with POST /api/auth/login; send the token as `Authorization: Bearer …` or the gf_session cookie.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'gf_session' },
      },
      schemas: {
        ...components,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'message'],
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
