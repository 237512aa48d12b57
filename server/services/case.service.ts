import type { Sequelize } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import { dialectOf } from '../../db/connection.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import type { CategoryAttributes } from '../../db/models/category.model.ts';
import type { Models } from '../../db/models/index.ts';
import type { OrgUnitAttributes } from '../../db/models/org-unit.model.ts';
import { rowsOf } from '../../db/row-store.ts';
import type { WorkflowEngine } from '../../engine/port.ts';
import type { Intake } from '../schemas/case.schema.ts';
import { appendAudit } from './audit.service.ts';

/** The BPMN process every case runs. */
export const CASE_PROCESS_ID = 'case-lifecycle';

/** Who acts: a signed-in user (or a system channel such as the 12345 gateway). */
export interface Actor {
  userId: number | null;
  username: string;
  orgUnitId: number | null;
}

/** What the case service needs. */
export interface CaseServiceDeps {
  sequelize: Sequelize;
  models: Models;
  engine: WorkflowEngine;
  clock: Clock;
}

/** Sources whose reporters are called back (回访). */
const CALLED_BACK = new Set(['hotline_12345', 'web']);

/**
 * 受理登记: opens a case and starts its process in one transaction (the case row, its audit record and the
 * instance commit together or not at all). Posting the same source ticket again returns the existing case.
 */
export async function createCase(
  deps: CaseServiceDeps,
  actor: Actor,
  intake: Intake,
): Promise<{ case: CaseAttributes; created: boolean }> {
  const { models, engine, clock } = deps;
  if (intake.sourceTicketId) {
    const existing = await findBySourceTicket(models, intake.source, intake.sourceTicketId);
    if (existing) return { case: existing, created: false };
  }
  let categoryId: number | null = null;
  if (intake.categoryCode) {
    const category = await rowsOf<CategoryAttributes>(models.Category).find({
      code: intake.categoryCode,
      active: true,
    });
    if (!category || category.level !== 'minor') {
      throw new InvalidArgumentError(
        'UNKNOWN_CATEGORY',
        `No active category (小类) with code ${intake.categoryCode}`,
        [{ field: 'body.categoryCode', message: 'is not an active category (小类) code' }],
      );
    }
    categoryId = category.id;
  }
  const cityCentreId = await cityCentre(models);
  const now = clock.now();
  let created: CaseAttributes | undefined;
  try {
    await engine.createProcessInstance({
      bpmnProcessId: CASE_PROCESS_ID,
      actor: actor.username,
      variables: {
        source: intake.source,
        categoryCode: intake.categoryCode ?? null,
        urgency: intake.urgency,
        majorEmergency: intake.majorEmergency,
        selfHandled: intake.selfHandled,
        cityCentreId,
        townId: null,
        villageId: null,
        gridId: null,
        reporterUserId: intake.source === 'grid_report' ? actor.userId : null,
        callbackRequired: CALLED_BACK.has(intake.source),
      },
      // The case row, its number and its audit record are written on the command's own transaction (raw
      // statements: on the intake path Sequelize's create and update cost more than the engine's command).
      within: async ({ sql, processInstanceKey }) => {
        const cases = rowsOf<CaseAttributes>(models.Case);
        const row = await cases.insert(
          {
            caseNo: `tmp-${processInstanceKey}`,
            source: intake.source,
            sourceTicketId: intake.sourceTicketId ?? null,
            reporterName: intake.reporterName ?? null,
            reporterPhone: intake.reporterPhone ?? null,
            description: intake.description,
            address: intake.address ?? null,
            lng: intake.lng ?? null,
            lat: intake.lat ?? null,
            categoryId,
            urgency: intake.urgency,
            status: 'new',
            majorEmergency: intake.majorEmergency,
            processInstanceKey,
            acceptedAt: now,
            createdBy: actor.userId,
          },
          sql,
        );
        const id = row.id;
        const caseNo = caseNumber(now, id);
        await cases.update(id, { caseNo }, undefined, sql);
        created = { ...row, caseNo };
        const audit = {
          dialect: dialectOf(deps.sequelize),
          all: <T>(text: string, params?: readonly unknown[]) => sql.all<T>(text, params),
          run: (text: string, params?: readonly unknown[]) => sql.run(text, params),
        };
        await appendAudit(audit, [
          {
            at: now,
            actor: actor.username,
            action: 'case.created',
            entityType: 'case',
            entityId: String(id),
            caseId: id,
            payload: { caseNo, ...intake },
          },
        ]);
        return { caseId: id, caseNo };
      },
    });
  } catch (err) {
    // Two posts of one ticket at once: the second insert hits the unique key; answer with the first case.
    if (isUniqueViolation(err) && intake.sourceTicketId) {
      const existing = await findBySourceTicket(models, intake.source, intake.sourceTicketId);
      if (existing) return { case: existing, created: false };
    }
    throw err;
  }
  return { case: created!, created: true };
}

/** 案件编号: `YZ` + the day + the id, e.g. YZ20260105000123. */
export function caseNumber(at: number, id: number): string {
  return `YZ${new Date(at).toISOString().slice(0, 10).replace(/-/g, '')}${String(id).padStart(6, '0')}`;
}

async function findBySourceTicket(
  models: Models,
  source: CaseAttributes['source'],
  ticket: string,
): Promise<CaseAttributes | null> {
  return rowsOf<CaseAttributes>(models.Case).find({ source, sourceTicketId: ticket });
}

/** The city centre's org unit id. */
export async function cityCentre(models: Models): Promise<number> {
  const centre = await rowsOf<OrgUnitAttributes>(models.OrgUnit).find({ level: 'city', kind: 'centre' });
  if (!centre)
    throw new NotFoundError(
      'NO_CITY_CENTRE',
      'The organisation has no city centre: seed or configure it first',
    );
  return centre.id;
}
