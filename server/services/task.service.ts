import { Op, type Sequelize } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import { maskText } from '../../common/mask.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  UnexpectedError,
} from '../../common/errors.ts';
import type { Models } from '../../db/models/index.ts';
import { directSql } from '../../db/sequelize-sql.ts';
import type { CompleteUserTaskRequest, UserTask, Variables, WorkflowEngine } from '../../engine/port.ts';
import type { Principal } from './auth.service.ts';
import { type StageInput, StageInputSchema, recordStage, stageOfAction } from './case-stage.service.ts';
import { validateFormData } from './form-validation.service.ts';
import { NO_DUE } from '../exporters/task-projection.exporter.ts';
import type { InboxItem } from '../schemas/views.ts';
import { minorCategoryOptions } from './category-cache.ts';

export type { InboxItem };

/** What the task service needs. */
export interface TaskServiceDeps {
  sequelize: Sequelize;
  models: Models;
  engine: WorkflowEngine;
  clock: Clock;
  /** The case settings a stage change reads (the bounce limit the process continues with). */
  settings: { bounceLimit: number };
}

/** The actions each user task offers (docs/case-lifecycle.md); anything else is refused. */
export const TASK_ACTIONS: Record<string, string[]> = {
  register: ['register', 'void'],
  'dispatch-city': ['dispatch'],
  'dispatch-town': ['dispatch', 'joint', 'return'],
  handle: ['complete', 'return', 'extend', 'park'],
  'joint-handle': ['complete'],
  'decide-return': ['dispatch'],
  'approve-extension': ['approve', 'reject'],
  'resume-parked': ['resume'],
  'review-self-handled': ['approve', 'reject'],
  verify: ['pass', 'fail'],
  close: ['close'],
  callback: ['record'],
  supervise: ['urge'],
};

/** Inbox filters (任务中心). */
export interface InboxQuery {
  /** mine: assigned to me; groups: offered to my groups, unassigned; all: both. */
  view: 'mine' | 'groups' | 'all';
  townId?: number;
  categoryId?: number;
  source?: string;
  overdue?: boolean;
  /** Due within this many hours. */
  dueWithinHours?: number;
  sort: 'due' | 'created';
  page: number;
  pageSize: number;
}

interface TaskRow {
  user_task_key: number | string;
  case_id: number | null;
  process_instance_key: number | string;
  element_id: string;
  name: string | null;
  assignee: string | null;
  due_at: number | string | null;
  created_at: number | string;
  town_id: number | null;
  category_id: number | null;
  source: string | null;
  urgency: string | null;
  case_no: string | null;
}

const iso = (ms: number | string | null): string | null =>
  ms == null ? null : new Date(Number(ms)).toISOString();

/** The inbox counts its tasks up to here; beyond it the API says "more than 1 000" (`totalCapped`). */
export const INBOX_COUNT_CAP = 1000;

/**
 * The inbox: open tasks assigned to the user or offered to their groups, filtered, sorted by due, paged.
 *
 * Each source of tasks is a branch: every one of the user's groups (its open tasks, `task_candidate`) and the
 * tasks assigned to the user (`task`). Sorted by due (the default), a group's branch reads its open tasks in
 * due order from the index (group_name, open, due_order) and stops once it has the rows up to the end of the
 * page (migration 0009); the branches are merged and the page cut from them. The count stops at
 * INBOX_COUNT_CAP: a city dispatcher's group holds ~10 000 open tasks at a year of cases, and nobody pages
 * through them.
 */
export async function inbox(
  deps: TaskServiceDeps,
  p: Principal,
  q: InboxQuery,
): Promise<{ items: InboxItem[]; total: number; totalCapped: boolean }> {
  const groups = q.view !== 'mine' ? [...new Set(p.groups)] : [];
  const assigned = q.view !== 'groups';
  if (groups.length === 0 && !assigned) return { items: [], total: 0, totalCapped: false };

  // The filters on the task row, the same in every branch.
  const where: string[] = ["t.state = 'CREATED'"];
  const values: unknown[] = [];
  const add = (clause: string, ...v: unknown[]): void => {
    where.push(clause);
    values.push(...v);
  };
  if (q.view === 'mine') add('t.assignee = ?', p.username);
  else if (q.view === 'groups') add('t.assignee IS NULL');
  else add('(t.assignee = ? OR t.assignee IS NULL)', p.username);
  const now = deps.clock.now();
  if (q.townId != null) add('t.town_id = ?', q.townId);
  if (q.categoryId != null) add('t.category_id = ?', q.categoryId);
  if (q.source) add('t.source = ?', q.source);
  if (q.overdue) add('t.due_at < ?', now);
  if (q.dueWithinHours != null)
    add('t.due_at >= ? AND t.due_at < ?', now, now + q.dueWithinHours * 3_600_000);
  const filters = where.join(' AND ');

  // Bound parameters on the driver: the statement text is the same for every user (SQLite keeps it prepared).
  const sql = directSql(deps.sequelize);
  // From the candidates to task, in that order: left to itself SQLite's planner (no statistics) reads every
  // open task and probes the candidates, 35 ms instead of 1 at a year of cases. CROSS JOIN (SQLite) and
  // STRAIGHT_JOIN (MySQL) keep the order written.
  const join = sql.dialect === 'sqlite' ? 'CROSS JOIN' : 'STRAIGHT_JOIN';
  const fromGroup = `task_candidate tc ${join} task t ON t.user_task_key = tc.user_task_key WHERE tc.group_name = ? AND tc.open = 1 AND ${filters}`;
  const fromAssigned = `task t WHERE t.assignee = ? AND ${filters}`;
  /** Each branch as a derived table (SQLite takes ORDER BY and LIMIT in a compound's members only so). */
  const branches = (
    select: (from: 'group' | 'assigned') => string,
    tail: string,
  ): { text: string; params: unknown[] } => {
    const parts: string[] = [];
    const params: unknown[] = [];
    groups.forEach((g, i) => {
      parts.push(`SELECT * FROM (${select('group')} FROM ${fromGroup} ${tail}) g${i}`);
      params.push(g, ...values);
    });
    if (assigned) {
      parts.push(`SELECT * FROM (${select('assigned')} FROM ${fromAssigned} ${tail}) a`);
      params.push(p.username, ...values);
    }
    return { text: parts.join(' UNION '), params };
  };

  const offset = (q.page - 1) * q.pageSize;
  const page =
    q.sort === 'due'
      ? branches(
          (from) =>
            from === 'group'
              ? 'SELECT tc.user_task_key AS k, tc.due_order AS d'
              : `SELECT t.user_task_key AS k, COALESCE(t.due_at, ${NO_DUE}) AS d`,
          `ORDER BY d, k LIMIT ${offset + q.pageSize}`,
        )
      : branches(
          (from) => `SELECT ${from === 'group' ? 'tc' : 't'}.user_task_key AS k, t.created_at AS d`,
          `ORDER BY d DESC, k DESC LIMIT ${offset + q.pageSize}`,
        );
  const count = branches(
    (from) => `SELECT ${from === 'group' ? 'tc' : 't'}.user_task_key AS k`,
    `LIMIT ${INBOX_COUNT_CAP + 1}`,
  );
  const order = q.sort === 'due' ? 'x.d, x.k' : 'x.d DESC, x.k DESC';
  const rows = await sql.all<TaskRow>(
    `SELECT t.* FROM (${page.text}) x ${join} task t ON t.user_task_key = x.k ORDER BY ${order} LIMIT ${q.pageSize} OFFSET ${offset}`,
    page.params,
  );
  // A page that is not full and not past the end holds the last of the tasks: the count is known. A filtered
  // inbox (a town, a 小类) usually fits on its first page; the count is a second query (a round trip on MySQL).
  const n =
    rows.length < q.pageSize && (rows.length > 0 || offset === 0)
      ? offset + rows.length
      : Number(
          (await sql.all<{ n: number }>(`SELECT COUNT(*) AS n FROM (${count.text}) x`, count.params))[0].n,
        );
  return {
    items: rows.map(toItem),
    total: Math.min(n, INBOX_COUNT_CAP),
    totalCapped: n > INBOX_COUNT_CAP,
  };
}

function toItem(r: TaskRow): InboxItem {
  return {
    userTaskKey: String(r.user_task_key),
    name: r.name,
    elementId: r.element_id,
    caseId: r.case_id,
    caseNo: r.case_no,
    processInstanceKey: String(r.process_instance_key),
    assignee: r.assignee,
    dueAt: iso(r.due_at),
    createdAt: iso(r.created_at)!,
    townId: r.town_id,
    categoryId: r.category_id,
    source: r.source,
    urgency: r.urgency,
    actions: TASK_ACTIONS[r.element_id] ?? ['complete'],
  };
}

/** True when the task is the user's: assigned to them, or offered to one of their groups. */
function offeredTo(p: Principal, t: UserTask): boolean {
  return (
    t.assignee === p.username ||
    t.candidateGroups.some((g) => p.groups.includes(g)) ||
    t.candidateUsers.includes(p.username)
  );
}

/**
 * A task the user may see, with its form and the data to fill it: the task's variables plus the choices its
 * fields offer (categories, units to dispatch to). Someone else's task is "not found", so that nothing leaks.
 */
export async function taskDetail(
  deps: TaskServiceDeps,
  p: Principal,
  userTaskKey: string,
): Promise<{ task: UserTask & { actions: string[] }; form: unknown; data: Variables }> {
  const task = await visibleTask(deps, p, userTaskKey);
  let form: unknown = null;
  if (task.formKey && /^\d+$/.test(task.formKey))
    form = JSON.parse((await deps.engine.getForm(task.formKey)).schema);
  const variables = await processVariables(deps, task);
  const data: Variables = { ...variables, ...(await formOptions(deps, task, variables)) };
  delete data.lastAction;
  return { task: { ...task, actions: TASK_ACTIONS[task.elementId] ?? ['complete'] }, form, data };
}

/** The task's process instance's own variables (not those of inner scopes), by name. */
async function processVariables(deps: TaskServiceDeps, task: UserTask): Promise<Variables> {
  return Object.fromEntries(
    (await deps.engine.getVariables(task.processInstanceKey))
      .filter((v) => v.scopeKey === task.processInstanceKey)
      .map((v) => [v.name, v.value]),
  );
}

async function visibleTask(deps: TaskServiceDeps, p: Principal, userTaskKey: string): Promise<UserTask> {
  const task = await asTheUser(userTaskKey, () => deps.engine.getUserTask(userTaskKey));
  mustSee(p, task);
  return task;
}

/** Someone else's task is "not found", so that nothing leaks. */
function mustSee(p: Principal, task: UserTask): void {
  const seesAll = p.orgUnit.level === 'city' && (p.orgUnit.kind === 'centre' || p.roles.includes('auditor'));
  if (!seesAll && !offeredTo(p, task) && task.completedBy !== p.username)
    throw taskNotFound(task.userTaskKey);
}

/** Runs an engine call on a task, its "no such task" answered as the user's "not found". */
async function asTheUser<T>(userTaskKey: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof NotFoundError && err.code === 'USER_TASK_NOT_FOUND') throw taskNotFound(userTaskKey);
    throw err;
  }
}

function taskNotFound(key: string): NotFoundError {
  return new NotFoundError('TASK_NOT_FOUND', `No task ${key} for you`);
}

/** The tasks whose choices depend on the case's variables (the town the case is in or was sent to). */
const CHOICES_FROM_VARIABLES = new Set(['dispatch-town', 'decide-return']);

type FormSchema = Parameters<typeof validateFormData>[0];

/** A deployed form, parsed once: its schema, its field keys, and whether it has dynamic choices. */
interface DeployedForm {
  schema: FormSchema;
  hasDynamicChoices: boolean;
  fields: Set<string>;
}

/** Deployed forms, parsed, by form key: a key names one deployed version, which never changes. */
const deployedForms = new Map<string, DeployedForm>();

async function deployedForm(deps: TaskServiceDeps, formKey: string): Promise<DeployedForm> {
  let form = deployedForms.get(formKey);
  if (!form) {
    const schema = JSON.parse((await deps.engine.getForm(formKey)).schema) as FormSchema;
    // One walk: the field keys, and whether any field's choices come from the task (`valuesKey`).
    const fields = new Set<string>();
    let hasDynamicChoices = false;
    const walk = (components: unknown[] | undefined): void => {
      for (const c of components ?? []) {
        const component = c as { key?: unknown; valuesKey?: unknown; components?: unknown[] };
        if (typeof component.key === 'string') fields.add(component.key);
        if (typeof component.valuesKey === 'string') hasDynamicChoices = true;
        walk(component.components);
      }
    };
    walk(schema.components);
    form = { schema, hasDynamicChoices, fields };
    if (deployedForms.size >= 500) deployedForms.delete(deployedForms.keys().next().value as string);
    deployedForms.set(formKey, form);
  }
  return form;
}

/** The choices a task's form offers, as the variables its fields' `valuesKey` name. */
async function formOptions(deps: TaskServiceDeps, task: UserTask, variables: Variables): Promise<Variables> {
  const unitOption = (u: { get(k: string): unknown }) => ({
    label: String(u.get('name')),
    value: u.get('id') as number,
  });
  switch (task.elementId) {
    case 'register':
      return { categoryOptions: await minorCategoryOptions(deps.sequelize) };
    case 'dispatch-city': {
      const units = await deps.models.OrgUnit.findAll({
        where: {
          active: true,
          [Op.or]: [
            { level: 'town', kind: 'centre' },
            { level: 'city', kind: 'department' },
          ],
        },
        order: [
          ['level', 'DESC'],
          ['sortOrder', 'ASC'],
          ['id', 'ASC'],
        ],
      });
      return { dispatchOptions: units.map(unitOption) };
    }
    case 'dispatch-town':
    case 'decide-return': {
      const town = Number(
        variables.dispatchUnitKind === 'town' ? variables.dispatchUnitId : variables.townId,
      );
      const units = await deps.models.OrgUnit.findAll({
        where: Number.isFinite(town)
          ? { active: true, parentId: town, kind: { [Op.in]: ['station', 'department', 'joint_team'] } }
          : { active: true, kind: { [Op.in]: ['department', 'joint_team'] } },
        order: [
          ['kind', 'ASC'],
          ['sortOrder', 'ASC'],
          ['id', 'ASC'],
        ],
      });
      return { handlerOptions: units.map(unitOption) };
    }
    default:
      return {};
  }
}

/**
 * 签收: takes a task offered to the user; a task someone else holds is a conflict. The checks run inside the
 * engine's command (`check`), on the task as the command reads it: no read of its own first, and nothing
 * changes between the check and the write.
 */
export async function claimTask(deps: TaskServiceDeps, p: Principal, userTaskKey: string): Promise<void> {
  // The engine's USER_TASK_ASSIGNED event, with the actor, is the audit record (written in its transaction).
  await asTheUser(userTaskKey, () =>
    deps.engine.assignUserTask({
      userTaskKey,
      assignee: p.username,
      allowOverride: false,
      actor: p.username,
      check: (task) => {
        mustSee(p, task);
        if (!offeredTo(p, task))
          throw new ForbiddenError('NOT_YOUR_TASK', `Task ${userTaskKey} is not offered to you`);
      },
    }),
  );
}

/** 退回任务池: gives a held task back to its groups. */
export async function unclaimTask(deps: TaskServiceDeps, p: Principal, userTaskKey: string): Promise<void> {
  await asTheUser(userTaskKey, () =>
    deps.engine.unassignUserTask({
      userTaskKey,
      actor: p.username,
      check: (task) => {
        mustSee(p, task);
        if (task.assignee !== p.username)
          throw new ConflictError('NOT_HELD', `You do not hold task ${userTaskKey}`);
      },
    }),
  );
}

/**
 * Completes a task the user holds, with an action the task offers and form data that passes the form's
 * validation. The action goes to the process as `lastAction` (docs/case-lifecycle.md). The checks run inside
 * the engine's command, as for a claim.
 */
export async function completeTask(
  deps: TaskServiceDeps,
  p: Principal,
  userTaskKey: string,
  action: string,
  variables: Variables,
): Promise<void> {
  variables = await withNumbersKept(deps, userTaskKey, variables);
  const data: Variables = { ...variables, lastAction: action };
  await asTheUser(userTaskKey, () =>
    deps.engine.completeUserTask({
      userTaskKey,
      variables: data,
      action,
      actor: p.username,
      check: (task) => mayComplete(deps, p, task, action, variables),
      within: stageEntered(deps, action),
    }),
  );
}

/**
 * The API masks phone numbers in the text it answers with, the form's prefilled notes among them. A note
 * sent back as the form showed it (`已联系138****5678`) keeps the text it masks, instead of overwriting the
 * case's note with its masked copy; a note the user changed is taken as sent.
 */
async function withNumbersKept(
  deps: TaskServiceDeps,
  userTaskKey: string,
  variables: Variables,
): Promise<Variables> {
  const shown = Object.entries(variables).filter(([, v]) => typeof v === 'string' && v.includes('****'));
  if (shown.length === 0) return variables;
  const task = await asTheUser(userTaskKey, () => deps.engine.getUserTask(userTaskKey));
  const current = await processVariables(deps, task);
  const kept: Variables = { ...variables };
  for (const [name, value] of shown) {
    const original = current[name];
    if (typeof original === 'string' && original !== value && maskText(original) === value)
      kept[name] = original;
  }
  return kept;
}

/** Whether the user may complete the task with this action and these form values; throws why not. */
async function mayComplete(
  deps: TaskServiceDeps,
  p: Principal,
  task: UserTask,
  action: string,
  variables: Variables,
): Promise<void> {
  const userTaskKey = task.userTaskKey;
  mustSee(p, task);
  if (task.state !== 'CREATED')
    throw new ConflictError('TASK_NOT_OPEN', `Task ${userTaskKey} is already ${task.state.toLowerCase()}`);
  if (task.assignee !== p.username) {
    throw new ConflictError(
      'NOT_HELD',
      `Claim task ${userTaskKey} before completing it${task.assignee ? `: ${task.assignee} holds it` : ''}`,
    );
  }
  const actions = TASK_ACTIONS[task.elementId] ?? ['complete'];
  if (!actions.includes(action)) {
    throw new InvalidArgumentError(
      'UNKNOWN_ACTION',
      `Task ${task.elementId} offers ${actions.join(', ')}, not "${action}"`,
      [{ field: 'body.action', message: `must be one of ${actions.join(', ')}` }],
    );
  }
  if (!task.formKey || !/^\d+$/.test(task.formKey)) return;
  const form = await deployedForm(deps, task.formKey);
  // The dynamic choices (units to dispatch to, categories) as the task offers them now, for the check only.
  // Last, so that a client cannot send choices of its own.
  let choices: Variables = {};
  if (form.hasDynamicChoices) {
    const current = CHOICES_FROM_VARIABLES.has(task.elementId) ? await processVariables(deps, task) : {};
    choices = await formOptions(deps, task, current);
  }
  const problems = validateFormData(form.schema, { ...variables, lastAction: action, ...choices });
  if (problems.length > 0) {
    throw new InvalidArgumentError(
      'FORM_INVALID',
      `The form is not complete: ${problems.map((x) => x.message).join('; ')}`,
      problems,
    );
  }
  // Only the form's fields reach the case: a variable the form does not have (a counter, the case id, the
  // handling unit) would otherwise change the process behind the form's back.
  const unknown = Object.keys(variables).filter((k) => k !== 'lastAction' && !form.fields.has(k));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      'FORM_UNKNOWN_FIELD',
      `The form of task ${task.elementId} has no field ${unknown.join(', ')}`,
      unknown.map((k) => ({ field: `body.variables.${k}`, message: 'is not a field of this task’s form' })),
    );
  }
}

/**
 * The completion's own writes when the action enters a stage (the task's `stage.<action>` header, ADR 0005):
 * the stage recorded on the case in the completion's transaction, its limits and counters returned to the
 * process; nothing when the action enters none.
 */
export function stageEntered(
  deps: Pick<TaskServiceDeps, 'models' | 'clock' | 'settings'>,
  action: string,
): CompleteUserTaskRequest['within'] {
  return async ({ task, sql, variables }) => {
    const stage = stageOfAction(task.customHeaders, action);
    if (!stage) return undefined;
    return recordStage(deps.models, stage, stageInput(task, variables), deps.clock.now(), deps.settings, sql);
  };
}

/** The process variables a stage change reads, as visible from the task; a task of a case always has them. */
function stageInput(task: UserTask, visible: Variables): StageInput {
  const parsed = StageInputSchema.safeParse(visible);
  if (!parsed.success) {
    throw new UnexpectedError(
      `task ${task.userTaskKey} (${task.elementId}) cannot record its stage: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
