import { UnsupportedMediaTypeError } from '../../../common/errors.ts';
import express, { type Request, type RequestHandler, Router } from 'express';
import { ForbiddenError, InvalidArgumentError } from '../../../common/errors.ts';
import type { DeployResource } from '../../../engine/port.ts';
import type { Principal } from '../../services/auth.service.ts';
import {
  DeployBodySchema,
  FormIdParamsSchema,
  FormKeyParamsSchema,
  HistoryQuerySchema,
  IncidentQuerySchema,
  KeyParamsSchema,
  ProcessDefinitionQuerySchema,
  RawBpmnQuerySchema,
  RetryIncidentSchema,
  SetVariablesSchema,
} from '../../schemas/process.schema.ts';
import {
  canReadDefinitions,
  canReadIncidents,
  definitionSummary,
  deployResources,
  formView,
  instanceDetail,
  instanceHistory,
  lintResources,
  listDefinitions,
  listIncidents,
  retryIncident,
  setInstanceVariables,
} from '../../services/process-admin.service.ts';
import { principal, requireAuth, requireRole } from '../auth.middleware.ts';
import type { HttpDeps } from '../deps.ts';
import { parseInput } from '../validate.ts';

const XML_TYPES = ['application/xml', 'text/xml'];

/** Requires a principal the policy admits; 403 naming who may otherwise. */
function allow(policy: (p: Principal) => boolean, who: string): RequestHandler {
  return (req, _res, next) => {
    if (!policy(principal(req))) return next(new ForbiddenError('FORBIDDEN', `This is for ${who}`));
    next();
  };
}

/**
 * The resources of a lint or deploy request: a JSON body `{ resources: [...] }`, or one raw BPMN document
 * (`application/xml`, `text/xml`) named by `?name=`. Any other body type is refused (415).
 */
function resourcesOf(req: Request): DeployResource[] {
  if (req.is(XML_TYPES)) {
    const { name } = parseInput(RawBpmnQuerySchema, req.query, 'query');
    const content = typeof req.body === 'string' ? req.body : '';
    if (content.trim() === '') {
      throw new InvalidArgumentError('MISSING_FIELD', 'The XML body is empty', [
        { field: 'body', message: 'is empty' },
      ]);
    }
    return [{ name, content }];
  }
  if (req.is('application/json') === false) {
    throw new UnsupportedMediaTypeError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send application/json ({ resources: [...] }) or application/xml, not ${req.get('content-type')}`,
    );
  }
  return parseInput(DeployBodySchema, req.body, 'body').resources;
}

/**
 * Process administration: definitions (list, versions, XML, lint, deploy), forms, incidents (list, retry),
 * and process instances (detail, history, variables) for administrators and auditors.
 */
export function processRoutes(deps: HttpDeps): Router {
  const router = Router();
  const auth = requireAuth(deps);
  const readDefinitions = allow(
    canReadDefinitions,
    'administrators, auditors, leaders and the city centre’s dispatchers and supervisors',
  );
  const readIncidents = allow(
    canReadIncidents,
    'administrators, auditors and the city centre’s dispatchers and supervisors',
  );
  const admin = requireRole('admin');
  const adminOrAuditor = requireRole('admin', 'auditor');
  const xmlBody = express.text({ type: XML_TYPES, limit: '2mb' });

  // Definitions

  router.get('/api/process-definitions', auth, readDefinitions, async (req, res) => {
    const query = parseInput(ProcessDefinitionQuerySchema, req.query, 'query');
    res.json({ items: await listDefinitions(deps.engine, query) });
  });

  router.post('/api/process-definitions/lint', auth, admin, xmlBody, async (req, res) => {
    res.json({ findings: await lintResources(deps.engine, resourcesOf(req)) });
  });

  router.post('/api/process-definitions', auth, admin, xmlBody, async (req, res) => {
    const deployment = await deployResources(deps, principal(req).username, resourcesOf(req));
    res.status(deployment.created ? 201 : 200).json(deployment);
  });

  router.get('/api/process-definitions/:key', auth, readDefinitions, async (req, res) => {
    const { key } = parseInput(KeyParamsSchema, req.params, 'params');
    res.json(definitionSummary(await deps.engine.getProcessDefinition(key)));
  });

  router.get('/api/process-definitions/:key/xml', auth, readDefinitions, async (req, res) => {
    const { key } = parseInput(KeyParamsSchema, req.params, 'params');
    const definition = await deps.engine.getProcessDefinition(key);
    res.type('application/xml').send(definition.xml);
  });

  // Forms (any signed-in user: the web app renders task forms from them)

  router.get('/api/forms/key/:formKey', auth, async (req, res) => {
    const { formKey } = parseInput(FormKeyParamsSchema, req.params, 'params');
    res.json(formView(await deps.engine.getForm(formKey)));
  });

  router.get('/api/forms/:formId', auth, async (req, res) => {
    const { formId } = parseInput(FormIdParamsSchema, req.params, 'params');
    res.json(formView(await deps.engine.getLatestForm(formId)));
  });

  // Incidents

  router.get('/api/incidents', auth, readIncidents, async (req, res) => {
    const query = parseInput(IncidentQuerySchema, req.query, 'query');
    res.json({ items: await listIncidents(deps, query) });
  });

  router.post('/api/incidents/:key/retry', auth, admin, async (req, res) => {
    const { key } = parseInput(KeyParamsSchema, req.params, 'params');
    const { retries } = parseInput(RetryIncidentSchema, req.body, 'body');
    res.json(await retryIncident(deps, principal(req).username, key, retries));
  });

  // Process instances (everyone else reads a case's history at /api/cases/:id/history)

  router.get('/api/process-instances/:key', auth, adminOrAuditor, async (req, res) => {
    const { key } = parseInput(KeyParamsSchema, req.params, 'params');
    res.json(await instanceDetail(deps, key));
  });

  router.get('/api/process-instances/:key/history', auth, adminOrAuditor, async (req, res) => {
    const { key } = parseInput(KeyParamsSchema, req.params, 'params');
    const page = parseInput(HistoryQuerySchema, req.query, 'query');
    res.json(await instanceHistory(deps, key, page));
  });

  router.put('/api/process-instances/:key/variables', auth, admin, async (req, res) => {
    const { key } = parseInput(KeyParamsSchema, req.params, 'params');
    const body = parseInput(SetVariablesSchema, req.body, 'body');
    await setInstanceVariables(deps, principal(req).username, key, body);
    res.status(204).end();
  });

  return router;
}
