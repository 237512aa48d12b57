import { z } from 'zod';
import { ForbiddenError } from '../../../common/errors.ts';
import { CASE_SOURCES } from '../../../db/models/case.model.ts';
import { IntakeSchema } from '../../schemas/case.schema.ts';
import { caseAuditTrail } from '../../services/audit.service.ts';
import { caseDetail, searchCases } from '../../services/case-query.service.ts';
import { createCase } from '../../services/case.service.ts';
import { hasRole } from '../../services/scope.service.ts';
import type { ApiRouter } from '../api-router.ts';
import { principal } from '../auth.middleware.ts';
import type { HttpDeps } from '../deps.ts';
import { parseInput } from '../validate.ts';

/** Case search query. */
export const CaseSearchSchema = z.object({
  status: z.string().max(24).optional(),
  townId: z.coerce.number().int().positive().optional(),
  categoryId: z.coerce.number().int().positive().optional(),
  source: z.enum(CASE_SOURCES).optional(),
  q: z.string().trim().max(100).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
});

const IdParams = z.object({ id: z.coerce.number().int().positive() });

/** One audit record as the replay lists it: no payload, the hash shortened. */
const AuditRecordViewSchema = z.object({
  chainSeq: z.number().int(),
  at: z.iso.datetime(),
  actor: z.string(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string().nullable(),
  /** The first 12 hex digits of the record's SHA-256. */
  hash: z.string(),
  /** An engine record's events (one command on the instance, ADR 0007), in order, without their values. */
  events: z
    .array(
      z.object({
        intent: z.string(),
        elementId: z.string().nullable(),
        elementType: z.string().nullable(),
        /** A variable event's variable name (its value is not listed). */
        name: z.string().optional(),
      }),
    )
    .optional(),
});

/** `GET /api/cases/:id/audit` response: the case's audit chain (审计链), verified, and its records in order. */
export const CaseAuditSchema = z.object({
  verification: z.object({
    ok: z.boolean(),
    records: z.number().int(),
    chains: z.number().int(),
    broken: z
      .object({ seq: z.number().int(), chain: z.string(), chainSeq: z.number().int(), reason: z.string() })
      .optional(),
  }),
  records: z.array(AuditRecordViewSchema),
  /** True when the chain has more records than are listed. */
  truncated: z.boolean(),
});

/** Intake, search, detail, history and audit trail of cases, on the API router (ADR 0006). */
export function caseRoutes(deps: HttpDeps, api: ApiRouter): void {
  const signedIn = { auth: true };

  api.post('/api/cases', signedIn, async (req) => {
    const p = principal(req);
    const intake = parseInput(IntakeSchema, req.body, 'body');
    // Who may file: dispatchers for every channel, grid workers only their own reports.
    const gridReport = intake.source === 'grid_report' && hasRole(p, 'grid_worker');
    if (!gridReport && !hasRole(p, 'dispatcher')) {
      throw new ForbiddenError(
        'FORBIDDEN',
        'Filing a case needs the dispatcher role (grid workers file grid reports)',
      );
    }
    const { case: c, created } = await createCase(
      deps,
      { userId: p.userId, username: p.username, orgUnitId: p.orgUnit.id },
      intake,
    );
    const detail = await caseDetail(deps.sequelize, p, c.id);
    return {
      status: created ? 201 : 200,
      headers: { Location: `/api/cases/${c.id}` },
      json: { ...detail, created },
    };
  });

  api.get('/api/cases', signedIn, async (req) => {
    const q = parseInput(CaseSearchSchema, req.query, 'query');
    return { status: 200, json: await searchCases(deps.sequelize, principal(req), q) };
  });

  api.get('/api/cases/:id', signedIn, async (req) => {
    const { id } = parseInput(IdParams, req.params, 'params');
    return { status: 200, json: await caseDetail(deps.sequelize, principal(req), id) };
  });

  api.get('/api/cases/:id/history', signedIn, async (req) => {
    const { id } = parseInput(IdParams, req.params, 'params');
    const detail = await caseDetail(deps.sequelize, principal(req), id);
    const key = detail.case.processInstanceKey;
    const history = key ? await deps.engine.getHistory(key) : [];
    const instance = key ? await deps.engine.getProcessInstance(key) : null;
    return { status: 200, json: { processInstance: instance, events: history } };
  });

  api.get('/api/cases/:id/audit', signedIn, async (req) => {
    const { id } = parseInput(IdParams, req.params, 'params');
    // Scoped like the case: outside one's scope this is the same 404 as a case that does not exist.
    await caseDetail(deps.sequelize, principal(req), id);
    return { status: 200, json: await caseAuditTrail(deps.sequelize, id) };
  });
}
