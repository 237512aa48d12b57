import { z } from 'zod';
import { InvalidArgumentError, NotFoundError, UnexpectedError } from '../../common/errors.ts';
import type { Models } from '../../db/models/index.ts';
import { type TxSql, rowsOf } from '../../db/row-store.ts';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import { updateCase } from './scope.service.ts';
import { addWorkingMinutes, warningAt, workingMinutesBetween } from './deadline.ts';
import { categoryById } from './category-cache.ts';

/** The stages `case-stage` records (docs/case-lifecycle.md). */
export const STAGES = [
  'registered',
  'voided',
  'dispatched',
  'handling',
  'returned',
  'extended',
  'parked',
  'resumed',
  'handled',
  'verified',
  'rework',
  'closed',
  'reopened',
] as const;
/** One stage. */
export type Stage = (typeof STAGES)[number];

const optionalId = z.number().int().nullish();
const count = z.number().int().min(0).optional();

/** The process variables a stage change reads, as the `case-stage` job and a completing user task see them. */
export const StageInputSchema = z.object({
  caseId: z.number().int(),
  cityCentreId: z.number().int().optional(),
  dispatchUnitId: optionalId,
  dispatchUnitKind: z.enum(['town', 'department']).nullish(),
  handlerUnitId: optionalId,
  returnCount: count,
  reworkCount: count,
  reopenCount: count,
  extensionCount: count,
  /** 延期: working days granted by the centre. */
  extensionDays: z.number().min(0).max(365).nullish(),
  /** 挂账: what was left of the handling limit when the case was parked (working minutes). */
  parkedRemainingMin: z.number().min(0).nullish(),
});
/** The process variables a stage change reads. */
export type StageInput = z.infer<typeof StageInputSchema>;

/** What a user task's stage headers start with: `stage.<action>` names the stage the action enters. */
export const STAGE_HEADER_PREFIX = 'stage.';

/** The header on a user task that names the stage an action enters (`stage.register` → `registered`). */
export const stageHeader = (action: string): string => `${STAGE_HEADER_PREFIX}${action}`;

/**
 * The stage an action enters, from the task's headers (ADR 0005): a user task's action, or the outcome of a
 * job that decides (`case-route`: the kind of unit routed to). Undefined when the action enters none; a header
 * naming an unknown stage is a defect of the diagram, refused before anything is written.
 */
export function stageOfAction(headers: Record<string, string>, action: string): Stage | undefined {
  const stage = headers[stageHeader(action)];
  if (stage === undefined) return undefined;
  if (!STAGES.includes(stage as Stage)) {
    throw new UnexpectedError(`the task's header ${stageHeader(action)} names an unknown stage "${stage}"`);
  }
  return stage as Stage;
}

/** Defaults when a category has no limits of its own (working minutes). */
const DEFAULT_LIMITS = { accept: 10, dispatch: 30, handle: 480, verify: 60, close: 30 };

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Records a stage change on the case — status, stage timestamps, the handling unit, the limits — and returns
 * the variables the process continues with (`stageDueAt`, `stageWarnAt`, `handleDueAt`, counters). Idempotent:
 * the same stage recorded twice writes the same values (a job may be worked twice). With `sql`, the case row is
 * written there (the job completion's transaction, so the stage and the completion commit together).
 */
export async function recordStage(
  models: Models,
  stage: Stage,
  input: StageInput,
  now: number,
  settings: { bounceLimit: number },
  sql?: TxSql,
): Promise<Record<string, unknown>> {
  if (!STAGES.includes(stage)) {
    throw new InvalidArgumentError('UNKNOWN_STAGE', `case-stage got an unknown stage "${String(stage)}"`);
  }
  const cases = rowsOf<CaseAttributes>(models.Case);
  const c = await cases.get(input.caseId, sql);
  if (!c) throw new NotFoundError('CASE_NOT_FOUND', `No case with id ${input.caseId}`);
  const category = c.categoryId ? ((await categoryById(models, c.categoryId)) ?? undefined) : undefined;
  const limits = {
    dispatch: category?.limitDispatchMin ?? DEFAULT_LIMITS.dispatch,
    handle: category?.limitHandleMin ?? DEFAULT_LIMITS.handle,
    verify: category?.limitVerifyMin ?? DEFAULT_LIMITS.verify,
    close: category?.limitCloseMin ?? DEFAULT_LIMITS.close,
  };
  const patch: Partial<CaseAttributes> = {};
  const out: Record<string, unknown> = {};
  const stageLimit = (minutes: number): void => {
    out.stageDueAt = iso(addWorkingMinutes(now, minutes));
    out.stageWarnAt = iso(warningAt(now, minutes));
  };
  const handlingFor = (minutes: number): void => {
    const due = addWorkingMinutes(now, minutes);
    patch.handleDueAt = due;
    out.handleDueAt = iso(due);
    out.handleWarnAt = iso(warningAt(now, minutes));
  };

  switch (stage) {
    case 'registered':
      patch.status = 'registered';
      patch.registeredAt = c.registeredAt ?? now;
      stageLimit(limits.dispatch);
      Object.assign(out, {
        returnCount: input.returnCount ?? 0,
        reworkCount: input.reworkCount ?? 0,
        reopenCount: input.reopenCount ?? 0,
        extensionCount: input.extensionCount ?? 0,
        bounceLimit: settings.bounceLimit,
      });
      break;
    case 'voided':
      patch.status = 'voided';
      patch.voidedAt = c.voidedAt ?? now;
      break;
    case 'dispatched':
      patch.status = 'dispatched';
      patch.dispatchedAt = c.dispatchedAt ?? now;
      if (input.dispatchUnitId != null) patch.handlingUnitId = input.dispatchUnitId;
      stageLimit(limits.dispatch);
      if (input.cityCentreId != null) {
        out.returnToGroup =
          input.dispatchUnitKind === 'town' && input.dispatchUnitId != null
            ? `unit:${input.dispatchUnitId}:dispatcher`
            : `unit:${input.cityCentreId}:dispatcher`;
      }
      break;
    case 'handling':
      patch.status = 'handling';
      patch.dispatchedAt = c.dispatchedAt ?? now;
      if (input.handlerUnitId != null) patch.handlingUnitId = input.handlerUnitId;
      handlingFor(limits.handle);
      break;
    case 'returned':
      patch.status = 'returned';
      out.returnCount = (input.returnCount ?? 0) + 1;
      stageLimit(limits.dispatch);
      break;
    case 'extended': {
      const days = input.extensionDays ?? 0;
      if (!Number.isFinite(days) || days < 0) {
        throw new InvalidArgumentError(
          'INVALID_EXTENSION',
          `extensionDays must be a number of working days, got ${days}`,
        );
      }
      const base = c.handleDueAt ?? now;
      const due = addWorkingMinutes(base, days * 480);
      patch.status = 'handling';
      patch.handleDueAt = due;
      out.handleDueAt = iso(due);
      out.handleWarnAt = iso(warningAt(now, workingMinutesBetween(now, due)));
      out.extensionCount = (input.extensionCount ?? 0) + (days > 0 ? 1 : 0);
      break;
    }
    case 'parked':
      // 挂账: the clock stops; what is left of the limit waits for the case to resume.
      patch.status = 'parked';
      out.parkedRemainingMin = Math.max(0, workingMinutesBetween(now, c.handleDueAt ?? now));
      break;
    case 'resumed':
      patch.status = 'handling';
      handlingFor(input.parkedRemainingMin ?? limits.handle);
      break;
    case 'handled':
      patch.status = 'handled';
      patch.handledAt = now;
      stageLimit(limits.verify);
      break;
    case 'verified':
      patch.status = 'verified';
      patch.verifiedAt = now;
      stageLimit(limits.close);
      break;
    case 'rework':
      patch.status = 'handling';
      patch.handledAt = null;
      out.reworkCount = (input.reworkCount ?? 0) + 1;
      handlingFor(limits.handle);
      break;
    case 'closed':
      patch.status = 'closed';
      patch.closedAt = c.closedAt ?? now;
      break;
    case 'reopened':
      patch.status = 'handling';
      patch.closedAt = null;
      patch.handledAt = null;
      patch.verifiedAt = null;
      out.reopenCount = (input.reopenCount ?? 0) + 1;
      handlingFor(limits.handle);
      break;
  }
  await updateCase(models, c, patch, sql);
  return out;
}
