import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { lintCamunda88 } from '../../engine/deploy/lint.ts';
import { readBpmn } from '../../engine/deploy/read-bpmn.ts';
import type { ActivatedJob, DeployResource, UserTask, Variables } from '../../engine/port.ts';
import { TASK_ACTIONS } from '../../server/services/task.service.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

// The case lifecycle process of docs/case-lifecycle.md, driven without workers: each test plays the workers
// (completing jobs with the variables a worker would return) and the users (completing user tasks with form
// fields and an action), and checks the path the case took.

const PROCESSES = path.join(import.meta.dirname, '..', '..', 'processes');
const BPMN_FILE = path.join(PROCESSES, 'case-lifecycle.bpmn');
const FORMS = path.join(PROCESSES, 'forms');

const CONTRACT_JOB_TYPES = [
  'case-accept',
  'case-merge',
  'case-route',
  'case-stage',
  'case-notify',
  'case-assess',
];
const CONTRACT_STAGES = [
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
];
/** The user tasks of the contract (each with the form of the same id): element id → candidate group pattern. */
const CONTRACT_USER_TASKS: Record<string, string> = {
  register: 'unit:<cityCentreId>:dispatcher',
  'dispatch-city': 'unit:<cityCentreId>:dispatcher',
  'dispatch-town': 'unit:<dispatchUnitId>:dispatcher',
  handle: 'unit:<handlerUnitId>:handler',
  'joint-handle': 'unit:<jointUnitId>:handler',
  'decide-return': 'unit:<cityCentreId>:supervisor',
  'approve-extension': 'unit:<cityCentreId>:supervisor',
  'resume-parked': 'unit:<cityCentreId>:supervisor',
  'review-self-handled': 'unit:<townId>:dispatcher',
  verify: 'grid:<gridId>:grid_worker',
  close: 'unit:<cityCentreId>:dispatcher',
  callback: 'unit:<cityCentreId>:dispatcher',
  supervise: 'unit:<cityCentreId>:supervisor',
};

// Org units of the test city.
const CITY = 1;
const TOWN = 20;
const VILLAGE = 300;
const VILLAGE_2 = 301;
const DEPT = 40;
const DEPT_2 = 41;
const GRID = 7000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function resources(): DeployResource[] {
  const forms = readdirSync(FORMS)
    .filter((f) => f.endsWith('.form'))
    .map((f) => ({ name: f, content: readFileSync(path.join(FORMS, f), 'utf8') }));
  return [{ name: 'case-lifecycle.bpmn', content: readFileSync(BPMN_FILE, 'utf8') }, ...forms];
}

/** One case instance and what it went through. */
interface Run {
  te: TestEngine;
  pik: string;
  /** Element ids of the user tasks completed, in order. */
  tasks: string[];
  /** The stages recorded, in order: by a completion's `stage.<action>` header or by a case-stage job. */
  stages: string[];
  /** The stage the last completion's action entered, until a `stage()` step checks it. */
  entered?: { stage: string; by: string };
  /** The counters a case-stage worker keeps on the case row. */
  counters: { returnCount: number; reworkCount: number; reopenCount: number; extensionCount: number };
  bounceLimit: number;
}

const START_VARIABLES: Variables = {
  caseId: 1,
  caseNo: 'GF-2026-000001',
  source: 'hotline_12345',
  categoryCode: '06001',
  urgency: 'normal',
  majorEmergency: false,
  selfHandled: false,
  cityCentreId: CITY,
  townId: TOWN,
  villageId: VILLAGE,
  gridId: GRID,
  reporterUserId: null,
  callbackRequired: true,
};

/** Runs a scenario on a fresh engine with the process and its forms deployed. */
async function withCase(
  t: ExecutionContext,
  variables: Variables,
  scenario: (run: Run) => Promise<void>,
): Promise<void> {
  const te = await createTestEngine();
  try {
    const deployment = await te.engine.deploy(resources());
    t.deepEqual(deployment.warnings, [], 'the process deploys without lint findings');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'case-lifecycle',
      variables: { ...START_VARIABLES, ...variables },
    });
    const run: Run = {
      te,
      pik: pi.processInstanceKey,
      tasks: [],
      stages: [],
      counters: { returnCount: 0, reworkCount: 0, reopenCount: 0, extensionCount: 0 },
      bounceLimit: 2,
    };
    await scenario(run);
  } finally {
    await te.close();
  }
}

/** Activates the open jobs of a type (all of them). */
async function activate(run: Run, type: string): Promise<ActivatedJob[]> {
  return run.te.engine.activateJobs({
    type,
    worker: 'test-worker',
    maxJobsToActivate: 50,
    timeout: 10 * 60_000,
  });
}

/** Completes the single open job of a type, as its worker would, and returns it. */
async function job(run: Run, type: string, variables: Variables = {}): Promise<ActivatedJob> {
  const jobs = await activate(run, type);
  if (jobs.length !== 1) {
    throw new Error(
      `expected one ${type} job, got ${jobs.length} (${jobs.map((j) => j.elementId).join(', ')}); open user tasks: ${(await openTasks(run)).join(', ')}`,
    );
  }
  await run.te.engine.completeJob({ jobKey: jobs[0].key, variables });
  return jobs[0];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What recording a stage returns to the process (the limits and counters), as recordStage would. */
function stageVariables(run: Run, expected: string, extra: Variables = {}): Variables {
  const now = run.te.clock.now();
  const c = run.counters;
  if (expected === 'returned') c.returnCount++;
  if (expected === 'rework') c.reworkCount++;
  if (expected === 'reopened') c.reopenCount++;
  if (expected === 'extended') c.extensionCount++;
  const handling = ['handling', 'extended', 'resumed', 'rework', 'reopened'].includes(expected);
  const variables: Variables = {
    stageDueAt: iso(now + 30 * MINUTE),
    stageWarnAt: iso(now + 15 * MINUTE),
    ...c,
    bounceLimit: run.bounceLimit,
    ...(handling ? { handleDueAt: iso(now + 24 * HOUR), handleWarnAt: iso(now + 12 * HOUR) } : {}),
    ...extra,
  };
  return variables;
}

/**
 * The next stage of the case: entered by the action of the task just completed (its `stage.<action>`
 * header, recorded with the completion, ADR 0005), or else by the single case-stage job, completed here as
 * its worker would; either way it must be `expected`.
 */
async function stage(run: Run, expected: string, extra: Variables = {}): Promise<void> {
  if (run.entered) {
    const { stage: entered, by } = run.entered;
    run.entered = undefined;
    if (entered !== expected) throw new Error(`expected stage ${expected}, but ${by} entered ${entered}`);
    return;
  }
  const variables = stageVariables(run, expected, extra);
  const done = await job(run, 'case-stage', variables);
  if (done.customHeaders.stage !== expected) {
    throw new Error(
      `expected case-stage(${expected}), got case-stage(${done.customHeaders.stage}) at ${done.elementId}`,
    );
  }
  run.stages.push(expected);
}

/**
 * Completes the case-route job as its worker would: a certain route to a unit of a kind whose
 * `stage.<kind>` header names a stage enters that stage with the completion (ADR 0005, amended).
 */
async function route(run: Run, variables: Variables): Promise<void> {
  if (run.entered) throw new Error(`stage ${run.entered.stage} entered by ${run.entered.by} was not checked`);
  const [routeJob] = await activate(run, 'case-route');
  if (!routeJob) throw new Error(`no case-route job; open user tasks: ${(await openTasks(run)).join(', ')}`);
  const kind = variables.autoRouteUnitId == null ? undefined : String(variables.dispatchUnitKind);
  const entered = kind ? routeJob.customHeaders[`stage.${kind}`] : undefined;
  await run.te.engine.completeJob({
    jobKey: routeJob.key,
    variables,
    within: entered ? async () => stageVariables(run, entered) : undefined,
  });
  if (entered) {
    run.entered = { stage: entered, by: `case-route(${kind})` };
    run.stages.push(entered);
  }
}

/** The open user tasks of the case, by element id. */
async function openTasks(run: Run): Promise<string[]> {
  const { items } = await run.te.engine.searchUserTasks({
    filter: { processInstanceKey: run.pik, state: 'CREATED' },
  });
  return items.map((i) => i.elementId).sort();
}

/** The open user tasks with an element id. */
async function tasksAt(run: Run, elementId: string): Promise<UserTask[]> {
  const { items } = await run.te.engine.searchUserTasks({
    filter: { processInstanceKey: run.pik, state: 'CREATED', elementId },
    sort: [{ field: 'creationDate' }],
  });
  return items;
}

/** Completes the single open user task with an element id, as the API does: form fields plus lastAction. */
async function task(run: Run, elementId: string, action: string, fields: Variables = {}): Promise<UserTask> {
  const items = await tasksAt(run, elementId);
  if (items.length !== 1) {
    throw new Error(
      `expected one open ${elementId} task, got ${items.length}; open: ${(await openTasks(run)).join(', ')}`,
    );
  }
  await completeTask(run, items[0], action, fields);
  return items[0];
}

/**
 * Completes a user task as the task service does: when its `stage.<action>` header names a stage, the
 * completion returns what recording that stage would (the test plays recordStage, as it plays the workers).
 */
async function completeTask(run: Run, ut: UserTask, action: string, fields: Variables = {}): Promise<void> {
  if (run.entered) throw new Error(`stage ${run.entered.stage} entered by ${run.entered.by} was not checked`);
  const entered = ut.customHeaders[`stage.${action}`];
  await run.te.engine.completeUserTask({
    userTaskKey: ut.userTaskKey,
    variables: { ...fields, lastAction: action },
    action,
    within: entered ? async () => stageVariables(run, entered) : undefined,
  });
  run.tasks.push(ut.elementId);
  if (entered) {
    run.entered = { stage: entered, by: `${ut.elementId}(${action})` };
    run.stages.push(entered);
  }
}

async function rootVariables(run: Run): Promise<Record<string, unknown>> {
  const vars = await run.te.engine.getVariables(run.pik);
  return Object.fromEntries(vars.filter((v) => v.scopeKey === run.pik).map((v) => [v.name, v.value]));
}

async function state(run: Run): Promise<string> {
  return (await run.te.engine.getProcessInstance(run.pik)).state;
}

// The usual steps of a case.

async function accept(run: Run, variables: Variables = { located: true, duplicateOf: null }): Promise<void> {
  await job(run, 'case-accept', variables);
}

async function registerCase(run: Run, fields: Variables = {}): Promise<void> {
  await accept(run);
  await task(run, 'register', 'register', {
    categoryCode: '06001',
    urgency: 'normal',
    majorEmergency: false,
    ...fields,
  });
  await stage(run, 'registered');
}

async function dispatchToTown(run: Run): Promise<void> {
  await task(run, 'dispatch-city', 'dispatch', { dispatchUnitId: TOWN, dispatchUnitKind: 'town' });
  await stage(run, 'dispatched');
}

async function townDispatch(run: Run, handlerUnitId = VILLAGE): Promise<void> {
  await task(run, 'dispatch-town', 'dispatch', { handlerUnitId });
  await stage(run, 'handling');
}

/** From an open `handle` task to the end: handled, verified, closed, called back (when required), assessed. */
async function finish(run: Run, { callback = true } = {}): Promise<void> {
  await task(run, 'handle', 'complete', { handleResult: '已清理完毕' });
  await stage(run, 'handled');
  await task(run, 'verify', 'pass', { verifyResult: 'pass', verifyNote: '' });
  await stage(run, 'verified');
  await task(run, 'close', 'close', { closeConditionMet: true });
  await stage(run, 'closed');
  if (callback)
    await task(run, 'callback', 'record', { satisfaction: 'satisfied', callbackNote: '群众满意' });
  await job(run, 'case-assess');
}

/** The instance completed with nothing left open: no user task, no job, no incident. */
async function assertCompleted(t: ExecutionContext, run: Run): Promise<void> {
  t.is(await state(run), 'COMPLETED');
  t.deepEqual(await openTasks(run), []);
  for (const type of CONTRACT_JOB_TYPES) t.deepEqual(await activate(run, type), [], `no open ${type} job`);
  t.deepEqual(await run.te.engine.searchIncidents({ processInstanceKey: run.pik }), []);
}

// ---------------------------------------------------------------------------------------------------------
// The paths of the contract

test('straight through: register, dispatch to a town, town dispatch, handle, verify, close, call back, assess', async (t) => {
  await withCase(t, {}, async (run) => {
    await accept(run);
    const register = await task(run, 'register', 'register', {
      categoryCode: '06001',
      urgency: 'normal',
      majorEmergency: false,
    });
    t.deepEqual(register.candidateGroups, [`unit:${CITY}:dispatcher`]);
    t.truthy(register.formKey, 'register has its linked form');
    await stage(run, 'registered');
    await route(run, { autoRouteUnitId: null });
    const dispatchCity = await task(run, 'dispatch-city', 'dispatch', {
      dispatchUnitId: TOWN,
      dispatchUnitKind: 'town',
    });
    t.deepEqual(dispatchCity.candidateGroups, [`unit:${CITY}:dispatcher`]);
    await stage(run, 'dispatched');
    const dispatchTown = await task(run, 'dispatch-town', 'dispatch', { handlerUnitId: VILLAGE });
    t.deepEqual(dispatchTown.candidateGroups, [`unit:${TOWN}:dispatcher`]);
    await stage(run, 'handling');
    const [handle] = await tasksAt(run, 'handle');
    t.deepEqual(handle.candidateGroups, [`unit:${VILLAGE}:handler`]);
    await completeTask(run, handle, 'complete', { handleResult: '已清理完毕', photoIds: '501,502' });
    await stage(run, 'handled');
    const [verify] = await tasksAt(run, 'verify');
    t.deepEqual(verify.candidateGroups, [`grid:${GRID}:grid_worker`]);
    await completeTask(run, verify, 'pass', { verifyResult: 'pass' });
    await stage(run, 'verified');
    const close = await task(run, 'close', 'close', { closeConditionMet: true });
    t.deepEqual(close.candidateGroups, [`unit:${CITY}:dispatcher`]);
    await stage(run, 'closed');
    const callback = await task(run, 'callback', 'record', {
      satisfaction: 'satisfied',
      callbackNote: '满意',
    });
    t.deepEqual(callback.candidateGroups, [`unit:${CITY}:dispatcher`]);
    t.is(await state(run), 'ACTIVE', 'assessment is still to come');
    await job(run, 'case-assess');

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, ['registered', 'dispatched', 'handling', 'handled', 'verified', 'closed']);
    await assertCompleted(t, run);
  });
});

test('auto-routed to a department: no dispatch-city task, the department handles, no call-back when not required', async (t) => {
  await withCase(t, { callbackRequired: false, source: 'city_management' }, async (run) => {
    await accept(run);
    await task(run, 'register', 'register', {
      categoryCode: '01001',
      urgency: 'urgent',
      majorEmergency: false,
    });
    await stage(run, 'registered');
    await route(run, {
      autoRouteUnitId: DEPT,
      dispatchUnitId: DEPT,
      dispatchUnitKind: 'department',
      handlerUnitId: DEPT,
    });
    await stage(run, 'handling');
    const [handle] = await tasksAt(run, 'handle');
    t.deepEqual(handle.candidateGroups, [`unit:${DEPT}:handler`]);
    await finish(run, { callback: false });

    t.deepEqual(run.tasks, ['register', 'handle', 'verify', 'close']);
    t.deepEqual(run.stages, ['registered', 'handling', 'handled', 'verified', 'closed']);
    await assertCompleted(t, run);
  });
});

test('a department chosen in dispatch-city handles the case itself, whatever handling unit was set before', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    await registerCase(run);
    // the rule engine had a guess, but was not certain
    await route(run, { autoRouteUnitId: null, handlerUnitId: DEPT });
    await task(run, 'dispatch-city', 'dispatch', { dispatchUnitId: DEPT_2, dispatchUnitKind: 'department' });
    await stage(run, 'handling');
    const [handle] = await tasksAt(run, 'handle');
    t.deepEqual(handle.candidateGroups, [`unit:${DEPT_2}:handler`]);
    t.is((await rootVariables(run)).handlerUnitId, DEPT_2);
    await finish(run, { callback: false });
    t.deepEqual(run.tasks, ['register', 'dispatch-city', 'handle', 'verify', 'close']);
    await assertCompleted(t, run);
  });
});

test('returned twice, then the centre decides (bounceLimit 2): back to dispatch-town, then decide-return', async (t) => {
  await withCase(t, {}, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run, VILLAGE);
    await task(run, 'handle', 'return', { returnReason: '不属本村职责' });
    await stage(run, 'returned');
    t.deepEqual(await openTasks(run), ['dispatch-town'], 'below the limit the return goes back to the town');
    await townDispatch(run, VILLAGE_2);
    const [second] = await tasksAt(run, 'handle');
    t.deepEqual(second.candidateGroups, [`unit:${VILLAGE_2}:handler`]);
    await completeTask(run, second, 'return', { returnReason: '也不属本社区职责' });
    await stage(run, 'returned');
    const [decide] = await tasksAt(run, 'decide-return');
    t.deepEqual(decide.candidateGroups, [`unit:${CITY}:supervisor`]);
    await completeTask(run, decide, 'dispatch', { handlerUnitId: DEPT, decisionNote: '由城管局处置' });
    await stage(run, 'handling');
    const [third] = await tasksAt(run, 'handle');
    t.deepEqual(third.candidateGroups, [`unit:${DEPT}:handler`]);
    await finish(run);

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'dispatch-town',
      'handle',
      'decide-return',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, [
      'registered',
      'dispatched',
      'handling',
      'returned',
      'handling',
      'returned',
      'handling',
      'handled',
      'verified',
      'closed',
    ]);
    await assertCompleted(t, run);
  });
});

test('a return goes back to whoever dispatched: dispatch-city for a department or a town, dispatch-town for its stations', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    run.bounceLimit = 3;
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    // the city sends it to a department, which returns it
    await task(run, 'dispatch-city', 'dispatch', { dispatchUnitId: DEPT, dispatchUnitKind: 'department' });
    await stage(run, 'handling');
    await task(run, 'handle', 'return', { returnReason: '不属本部门职责' });
    await stage(run, 'returned');
    t.deepEqual(await openTasks(run), ['dispatch-city']);
    // the city sends it to a town, whose centre returns it
    await dispatchToTown(run);
    await task(run, 'dispatch-town', 'return', { returnReason: '不在本镇辖区' });
    await stage(run, 'returned');
    t.deepEqual(
      await openTasks(run),
      ['dispatch-city'],
      'a town return goes back to the city, not to the town',
    );
    // again to the town, which dispatches to a station, which returns it: now at the limit
    await dispatchToTown(run);
    await townDispatch(run, VILLAGE);
    await task(run, 'handle', 'return', { returnReason: '不属本村职责' });
    await stage(run, 'returned');
    t.deepEqual(await openTasks(run), ['decide-return'], 'returnCount 3 is not below bounceLimit 3');
    await task(run, 'decide-return', 'dispatch', { handlerUnitId: VILLAGE_2 });
    await stage(run, 'handling');
    await finish(run, { callback: false });

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'handle',
      'dispatch-city',
      'dispatch-town',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'decide-return',
      'handle',
      'verify',
      'close',
    ]);
    t.deepEqual(run.stages, [
      'registered',
      'handling',
      'returned',
      'dispatched',
      'returned',
      'dispatched',
      'handling',
      'returned',
      'handling',
      'handled',
      'verified',
      'closed',
    ]);
    await assertCompleted(t, run);
  });
});

test('a town return at the bounce limit goes to decide-return', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    run.bounceLimit = 1;
    await registerCase(run);
    await route(run, { autoRouteUnitId: TOWN, dispatchUnitId: TOWN, dispatchUnitKind: 'town' });
    await stage(run, 'dispatched');
    await task(run, 'dispatch-town', 'return', { returnReason: '不在本镇辖区' });
    await stage(run, 'returned');
    await task(run, 'decide-return', 'dispatch', { handlerUnitId: DEPT });
    await stage(run, 'handling');
    await finish(run, { callback: false });
    t.deepEqual(run.tasks, ['register', 'dispatch-town', 'decide-return', 'handle', 'verify', 'close']);
    t.deepEqual(run.stages, [
      'registered',
      'dispatched',
      'returned',
      'handling',
      'handled',
      'verified',
      'closed',
    ]);
    await assertCompleted(t, run);
  });
});

test('extension approved: the supervisor approves, the limit moves, the handling timers follow the new limit', async (t) => {
  await withCase(t, {}, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await task(run, 'handle', 'extend', { extensionDays: 3, extensionReason: '需协调物业' });
    const [approve] = await tasksAt(run, 'approve-extension');
    t.deepEqual(approve.candidateGroups, [`unit:${CITY}:supervisor`]);
    await completeTask(run, approve, 'approve', { extensionDays: 3 });
    const now = run.te.clock.now();
    await stage(run, 'extended', { handleWarnAt: iso(now + 48 * HOUR), handleDueAt: iso(now + 96 * HOUR) });
    t.deepEqual(await openTasks(run), ['handle']);
    // past the old limit (24 h) nothing fires: the timers were set again from the extended limit
    await run.te.advance(30 * HOUR);
    t.deepEqual(await activate(run, 'case-notify'), []);
    await finish(run);

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'approve-extension',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, [
      'registered',
      'dispatched',
      'handling',
      'extended',
      'handled',
      'verified',
      'closed',
    ]);
    await assertCompleted(t, run);
  });
});

test('extension rejected: back to handle without a stage change', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await task(run, 'handle', 'extend', { extensionDays: 10, extensionReason: '人手不足' });
    await task(run, 'approve-extension', 'reject', { extensionRejectReason: '理由不充分' });
    t.deepEqual(await openTasks(run), ['handle']);
    t.deepEqual(await activate(run, 'case-stage'), []);
    await finish(run, { callback: false });
    t.deepEqual(run.stages, ['registered', 'dispatched', 'handling', 'handled', 'verified', 'closed']);
    await assertCompleted(t, run);
  });
});

test('parked and resumed: case-stage(parked), resume-parked, case-stage(resumed), handle again', async (t) => {
  await withCase(t, {}, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await task(run, 'handle', 'park', { parkCategory: 'budget', parkReason: '需列入明年预算' });
    await stage(run, 'parked');
    const [resume] = await tasksAt(run, 'resume-parked');
    t.deepEqual(resume.candidateGroups, [`unit:${CITY}:supervisor`]);
    // parked: the handling clock is stopped, the handling timers are gone with the handle task
    await run.te.advance(40 * HOUR);
    t.deepEqual(await activate(run, 'case-notify'), []);
    await completeTask(run, resume, 'resume', { resumeNote: '资金已落实' });
    await stage(run, 'resumed');
    await finish(run);

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'resume-parked',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, [
      'registered',
      'dispatched',
      'handling',
      'parked',
      'resumed',
      'handled',
      'verified',
      'closed',
    ]);
    await assertCompleted(t, run);
  });
});

test('joint handling with three units: a joint-handle task per unit, then the lead unit reports back in handle', async (t) => {
  await withCase(t, {}, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await task(run, 'dispatch-town', 'joint', { jointUnitIds: [DEPT, VILLAGE, DEPT_2], leadUnitId: DEPT });
    await stage(run, 'handling');
    const joint = await tasksAt(run, 'joint-handle');
    t.deepEqual(
      joint.map((j) => j.candidateGroups),
      [[`unit:${DEPT}:handler`], [`unit:${VILLAGE}:handler`], [`unit:${DEPT_2}:handler`]],
    );
    t.deepEqual(await tasksAt(run, 'handle'), [], 'the lead reports back only after every unit is done');
    // the units finish in any order
    await completeTask(run, joint[2], 'complete', { jointResult: '部门二已完成' });
    await completeTask(run, joint[0], 'complete', { jointResult: '牵头部门已完成' });
    t.deepEqual(await openTasks(run), ['joint-handle']);
    await completeTask(run, joint[1], 'complete', { jointResult: '村已完成' });
    const [handle] = await tasksAt(run, 'handle');
    t.deepEqual(handle.candidateGroups, [`unit:${DEPT}:handler`], 'the lead unit reports back');
    t.deepEqual((await rootVariables(run)).jointResults, ['牵头部门已完成', '村已完成', '部门二已完成']);
    await finish(run);

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'joint-handle',
      'joint-handle',
      'joint-handle',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, ['registered', 'dispatched', 'handling', 'handled', 'verified', 'closed']);
    await assertCompleted(t, run);
  });
});

test('joint handling: the lead unit named by the town reports back even when it is not listed first', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await task(run, 'dispatch-town', 'joint', { jointUnitIds: [VILLAGE, DEPT], leadUnitId: DEPT });
    await stage(run, 'handling');
    for (const jt of await tasksAt(run, 'joint-handle'))
      await completeTask(run, jt, 'complete', { jointResult: '完成' });
    const [handle] = await tasksAt(run, 'handle');
    t.deepEqual(handle.candidateGroups, [`unit:${DEPT}:handler`]);
    await finish(run, { callback: false });
    await assertCompleted(t, run);
  });
});

test('joint handling without a lead unit named: the first of jointUnitIds leads', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await task(run, 'dispatch-town', 'joint', { jointUnitIds: [DEPT_2, DEPT] });
    await stage(run, 'handling');
    for (const jt of await tasksAt(run, 'joint-handle'))
      await completeTask(run, jt, 'complete', { jointResult: '完成' });
    const [handle] = await tasksAt(run, 'handle');
    t.deepEqual(handle.candidateGroups, [`unit:${DEPT_2}:handler`]);
    await finish(run, { callback: false });
    await assertCompleted(t, run);
  });
});

test('self-handled and approved: registered, reviewed by the town, closed and assessed without dispatch', async (t) => {
  await withCase(
    t,
    { selfHandled: true, source: 'grid_report', reporterUserId: 9, callbackRequired: false },
    async (run) => {
      await accept(run);
      await stage(run, 'registered');
      const [review] = await tasksAt(run, 'review-self-handled');
      t.deepEqual(review.candidateGroups, [`unit:${TOWN}:dispatcher`]);
      await completeTask(run, review, 'approve', {});
      await stage(run, 'closed');
      await job(run, 'case-assess');

      t.deepEqual(run.tasks, ['review-self-handled']);
      t.deepEqual(run.stages, ['registered', 'closed']);
      await assertCompleted(t, run);
    },
  );
});

test('self-handled but rejected: the case goes to normal dispatch', async (t) => {
  await withCase(t, { selfHandled: true, source: 'grid_report', callbackRequired: false }, async (run) => {
    await accept(run);
    await stage(run, 'registered');
    await task(run, 'review-self-handled', 'reject', { reviewNote: '未处置到位' });
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await finish(run, { callback: false });

    t.deepEqual(run.tasks, [
      'review-self-handled',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'verify',
      'close',
    ]);
    t.deepEqual(run.stages, ['registered', 'dispatched', 'handling', 'handled', 'verified', 'closed']);
    await assertCompleted(t, run);
  });
});

test('verification failed, then reworked: case-stage(rework), handle again, verified', async (t) => {
  await withCase(t, {}, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await task(run, 'handle', 'complete', { handleResult: '已处理' });
    await stage(run, 'handled');
    await task(run, 'verify', 'fail', { verifyResult: 'fail', verifyNote: '垃圾未清运' });
    await stage(run, 'rework');
    const [again] = await tasksAt(run, 'handle');
    t.deepEqual(again.candidateGroups, [`unit:${VILLAGE}:handler`], 'the same unit reworks');
    await finish(run);

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'verify',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, [
      'registered',
      'dispatched',
      'handling',
      'handled',
      'rework',
      'handled',
      'verified',
      'closed',
    ]);
    await assertCompleted(t, run);
  });
});

test('unsatisfied call-back reopens once; a second unsatisfied call-back does not reopen', async (t) => {
  await withCase(t, {}, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await task(run, 'handle', 'complete', { handleResult: '已处理' });
    await stage(run, 'handled');
    await task(run, 'verify', 'pass', { verifyResult: 'pass' });
    await stage(run, 'verified');
    await task(run, 'close', 'close', { closeConditionMet: true });
    await stage(run, 'closed');
    await task(run, 'callback', 'record', { satisfaction: 'unsatisfied', callbackNote: '仍有异味' });
    await stage(run, 'reopened');
    t.deepEqual(await openTasks(run), ['handle']);
    await task(run, 'handle', 'complete', { handleResult: '已消杀' });
    await stage(run, 'handled');
    await task(run, 'verify', 'pass', { verifyResult: 'pass' });
    await stage(run, 'verified');
    await task(run, 'close', 'close', { closeConditionMet: true });
    await stage(run, 'closed');
    await task(run, 'callback', 'record', { satisfaction: 'unsatisfied', callbackNote: '仍不满意' });
    await job(run, 'case-assess');

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'verify',
      'close',
      'callback',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, [
      'registered',
      'dispatched',
      'handling',
      'handled',
      'verified',
      'closed',
      'reopened',
      'handled',
      'verified',
      'closed',
    ]);
    await assertCompleted(t, run);
  });
});

test('duplicate: merged into the open case and ended', async (t) => {
  await withCase(t, {}, async (run) => {
    await accept(run, { located: true, duplicateOf: 42 });
    await job(run, 'case-merge');
    t.deepEqual(run.tasks, []);
    t.deepEqual(run.stages, []);
    await assertCompleted(t, run);
  });
});

test('void: the dispatcher voids the case at registration', async (t) => {
  await withCase(t, {}, async (run) => {
    await accept(run, { located: false, duplicateOf: null });
    await task(run, 'register', 'void', { voidReason: '无效信息' });
    await stage(run, 'voided');
    t.deepEqual(run.tasks, ['register']);
    t.deepEqual(run.stages, ['voided']);
    await assertCompleted(t, run);
  });
});

test('major emergency: the leaders are notified in parallel and the case still completes', async (t) => {
  await withCase(t, { urgency: 'emergency' }, async (run) => {
    await accept(run);
    // the dispatcher flags it at registration
    await task(run, 'register', 'register', {
      categoryCode: '10001',
      urgency: 'emergency',
      majorEmergency: true,
    });
    await stage(run, 'registered');
    const [leaders] = await activate(run, 'case-notify');
    t.is(leaders.elementId, 'notify-leaders');
    t.deepEqual(leaders.customHeaders, { template: 'emergency', audience: 'leaders' });
    // handling goes on while the notification is still being sent
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await finish(run);
    t.is(await state(run), 'ACTIVE', 'the notification branch is still open');
    await run.te.engine.completeJob({ jobKey: leaders.key });

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    t.deepEqual(run.stages, ['registered', 'dispatched', 'handling', 'handled', 'verified', 'closed']);
    await assertCompleted(t, run);
  });
});

test('no leaders notification without a major emergency', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    t.deepEqual(await activate(run, 'case-notify'), []);
    await dispatchToTown(run);
    await townDispatch(run);
    await finish(run, { callback: false });
    await assertCompleted(t, run);
  });
});

test('handling overdue: a warning to the handlers at handleWarnAt, then overdue notice and supervise while handle stays open', async (t) => {
  await withCase(t, {}, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run); // handleWarnAt +12 h, handleDueAt +24 h

    await run.te.advance(11 * HOUR);
    t.deepEqual(await activate(run, 'case-notify'), [], 'nothing before the warning time');
    await run.te.advance(2 * HOUR);
    const [warning] = await activate(run, 'case-notify');
    t.is(warning.elementId, 'notify-handle-warning');
    t.deepEqual(warning.customHeaders, { template: 'warning', audience: 'handlers' });
    await run.te.engine.completeJob({ jobKey: warning.key });
    t.deepEqual(await openTasks(run), ['handle']);

    await run.te.advance(12 * HOUR);
    const [overdue] = await activate(run, 'case-notify');
    t.is(overdue.elementId, 'notify-handle-overdue');
    t.deepEqual(overdue.customHeaders, { template: 'overdue', audience: 'supervisors' });
    await run.te.engine.completeJob({ jobKey: overdue.key });
    t.deepEqual(await openTasks(run), ['handle', 'supervise'], 'handle stays open beside supervise');
    const [supervise] = await tasksAt(run, 'supervise');
    t.deepEqual(supervise.candidateGroups, [`unit:${CITY}:supervisor`]);
    await completeTask(run, supervise, 'urge', { superviseMethod: 'phone', superviseNote: '请今日办结' });
    t.deepEqual(await openTasks(run), ['handle']);
    await finish(run);

    t.deepEqual(run.tasks, [
      'register',
      'dispatch-city',
      'dispatch-town',
      'supervise',
      'handle',
      'verify',
      'close',
      'callback',
    ]);
    await assertCompleted(t, run);
  });
});

test('overdue registration and dispatch notify the supervisors and leave the task open', async (t) => {
  await withCase(t, {}, async (run) => {
    await accept(run);
    // nothing has set a stage limit yet: registration has the accept limit of 10 minutes
    await run.te.advance(11 * MINUTE);
    const [registerOverdue] = await activate(run, 'case-notify');
    t.is(registerOverdue.elementId, 'notify-register-overdue');
    t.deepEqual(registerOverdue.customHeaders, { template: 'overdue', audience: 'supervisors' });
    await run.te.engine.completeJob({ jobKey: registerOverdue.key });
    t.deepEqual(await openTasks(run), ['register']);
    await task(run, 'register', 'register', {
      categoryCode: '06001',
      urgency: 'normal',
      majorEmergency: false,
    });
    await stage(run, 'registered'); // stageDueAt +30 min
    await route(run, { autoRouteUnitId: null });

    await run.te.advance(31 * MINUTE);
    const [cityOverdue] = await activate(run, 'case-notify');
    t.is(cityOverdue.elementId, 'notify-dispatch-city-overdue');
    t.deepEqual(cityOverdue.customHeaders, { template: 'overdue', audience: 'supervisors' });
    await run.te.engine.completeJob({ jobKey: cityOverdue.key });
    await dispatchToTown(run); // stageDueAt +30 min

    await run.te.advance(31 * MINUTE);
    const [townOverdue] = await activate(run, 'case-notify');
    t.is(townOverdue.elementId, 'notify-dispatch-town-overdue');
    t.deepEqual(townOverdue.customHeaders, { template: 'overdue', audience: 'supervisors' });
    await run.te.engine.completeJob({ jobKey: townOverdue.key });
    t.deepEqual(await openTasks(run), ['dispatch-town']);
    await townDispatch(run);
    await finish(run);
    await assertCompleted(t, run);
  });
});

test('missing variables take the default flows: no duplicate, not self-handled, manual dispatch, handled, verified', async (t) => {
  await withCase(t, { callbackRequired: null }, async (run) => {
    await accept(run, {});
    await task(run, 'register', 'register', {});
    await stage(run, 'registered');
    await route(run, {});
    await task(run, 'dispatch-city', 'dispatch', { dispatchUnitId: TOWN, dispatchUnitKind: 'town' });
    await stage(run, 'dispatched');
    await townDispatch(run);
    // completed without any action or form field (e.g. straight from a task list): the default flows apply.
    // The engine's default action is `complete`, so handle enters `handled` by its header; verify and close
    // name no such action and enter no stage (the API always names one of the task's actions).
    for (const elementId of ['handle', 'verify', 'close']) {
      const [ut] = await tasksAt(run, elementId);
      const entered: string | undefined = ut.customHeaders['stage.complete'];
      await run.te.engine.completeUserTask({
        userTaskKey: ut.userTaskKey,
        variables: { lastAction: null },
        within: entered ? async () => stageVariables(run, entered) : undefined,
      });
      t.is(entered ?? 'none', elementId === 'handle' ? 'handled' : 'none');
    }
    await job(run, 'case-assess');
    t.deepEqual(run.stages, ['registered', 'dispatched', 'handling']);
    await assertCompleted(t, run);
  });
});

test('verification: without an action verifyResult decides; an action wins over a verifyResult left from an earlier round', async (t) => {
  await withCase(t, { callbackRequired: false }, async (run) => {
    await registerCase(run);
    await route(run, { autoRouteUnitId: null });
    await dispatchToTown(run);
    await townDispatch(run);
    await task(run, 'handle', 'complete', { handleResult: '已处理' });
    await stage(run, 'handled');
    // a form submitted without an action (lastAction is still 'complete' from handle): verifyResult decides
    // the path; an action the task does not offer enters no stage (only the API's actions name one)
    const [first] = await tasksAt(run, 'verify');
    await run.te.engine.completeUserTask({
      userTaskKey: first.userTaskKey,
      variables: { verifyResult: 'fail', verifyNote: '未清运' },
    });
    t.deepEqual(await openTasks(run), ['handle']);
    await task(run, 'handle', 'complete', { handleResult: '已清运' });
    await stage(run, 'handled');
    // the API completes with the action only; verifyResult is still 'fail' from the first round
    await task(run, 'verify', 'pass');
    await stage(run, 'verified');
    t.deepEqual(await openTasks(run), ['close']);
    await task(run, 'close', 'close', { closeConditionMet: true });
    await stage(run, 'closed');
    await job(run, 'case-assess');
    await assertCompleted(t, run);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The model itself

/* eslint-disable @typescript-eslint/no-explicit-any -- the moddle tree is untyped */
type Moddle = any;

async function model(): Promise<{ definitions: Moddle; process: Moddle; elements: Moddle[] }> {
  const { definitions } = await readBpmn(readFileSync(BPMN_FILE, 'utf8'));
  const process = definitions.rootElements.find((e: Moddle) => e.$type === 'bpmn:Process');
  const elements: Moddle[] = [];
  const walk = (container: Moddle) => {
    for (const fe of container.flowElements ?? []) {
      elements.push(fe);
      if (fe.flowElements) walk(fe);
    }
  };
  walk(process);
  return { definitions, process, elements };
}

const ext = (el: Moddle, type: string): Moddle | undefined =>
  (el.extensionElements?.values ?? []).find((e: Moddle) => e.$type === type);

test('the process passes the Camunda 8.8 lint', async (t) => {
  const { definitions } = await readBpmn(readFileSync(BPMN_FILE, 'utf8'));
  const issues = await lintCamunda88(definitions);
  t.deepEqual(
    issues.filter((i) => i.category === 'error'),
    [],
  );
});

test('the process is case-lifecycle, executable, for Camunda 8.8', async (t) => {
  const { definitions, process } = await model();
  t.is(process.id, 'case-lifecycle');
  t.is(process.name, '案件处置流程');
  t.true(process.isExecutable);
  t.is(definitions.$attrs['modeler:executionPlatform'], 'Camunda Cloud');
  t.is(definitions.$attrs['modeler:executionPlatformVersion'], '8.8.0');
});

test('every user task is a Camunda user task with a linked form that exists, and the contract user tasks are all there', async (t) => {
  const { elements } = await model();
  const userTasks = elements.filter((e) => e.$type === 'bpmn:UserTask');
  const formIds = new Map(
    readdirSync(FORMS)
      .filter((f) => f.endsWith('.form'))
      .map((f) => {
        const schema = JSON.parse(readFileSync(path.join(FORMS, f), 'utf8')) as { id: string; type: string };
        t.is(schema.type, 'default', f);
        t.is(`${schema.id}.form`, f, 'a form file is named after its form id');
        return [schema.id, f];
      }),
  );
  t.deepEqual(userTasks.map((u) => u.id).sort(), Object.keys(CONTRACT_USER_TASKS).sort());
  for (const ut of userTasks) {
    t.truthy(ext(ut, 'zeebe:UserTask'), `${ut.id} is a Camunda user task`);
    const form = ext(ut, 'zeebe:FormDefinition');
    t.is(form?.formId, ut.id, `${ut.id} links the form of the contract`);
    t.true(formIds.has(form?.formId), `${ut.id}: form ${form?.formId} has a .form file`);
    const groups: string = ext(ut, 'zeebe:AssignmentDefinition')?.candidateGroups ?? '';
    const [, prefix, variable, role] = /^(unit|grid):<(\w+)>:(\w+)$/.exec(CONTRACT_USER_TASKS[ut.id])!;
    t.true(
      groups.includes(`"${prefix}:" + string(${variable}) + ":${role}"`),
      `${ut.id} candidates ${groups} name ${CONTRACT_USER_TASKS[ut.id]}`,
    );
  }
  t.deepEqual(
    [...formIds.keys()].sort(),
    Object.keys(CONTRACT_USER_TASKS).sort(),
    'no form without its task',
  );
});

test('the stages user actions enter are headers of their tasks, each a known stage for an action the task offers', async (t) => {
  const { elements } = await model();
  const entered: Record<string, Record<string, string>> = {};
  for (const ut of elements.filter((e) => e.$type === 'bpmn:UserTask')) {
    const headers: [string, string][] = (ext(ut, 'zeebe:TaskHeaders')?.values ?? []).map((h: Moddle) => [
      h.key,
      h.value,
    ]);
    for (const [key, value] of headers) {
      const action = /^stage\.(.+)$/.exec(key)?.[1];
      t.truthy(action, `${ut.id}: header ${key} is a stage.<action> header`);
      t.true(TASK_ACTIONS[ut.id]?.includes(action!), `${ut.id}: ${key} names an action the task offers`);
      t.true(CONTRACT_STAGES.includes(value), `${ut.id}: ${key} names the stage ${value}`);
      (entered[ut.id] ??= {})[action!] = value;
    }
  }
  // ADR 0005: the stage a user's action enters is recorded with the completion, not by a job after it.
  t.deepEqual(entered, {
    register: { register: 'registered', void: 'voided' },
    'review-self-handled': { approve: 'closed' },
    handle: { complete: 'handled' },
    verify: { pass: 'verified', fail: 'rework' },
    close: { close: 'closed' },
  });
});

test('every job type is one of the contract, with the headers the contract names', async (t) => {
  const { elements } = await model();
  const types = new Set<string>();
  for (const el of elements) {
    const def = ext(el, 'zeebe:TaskDefinition');
    if (!def) continue;
    types.add(def.type);
    t.true(CONTRACT_JOB_TYPES.includes(def.type), `${el.id}: ${def.type}`);
    const headers = Object.fromEntries(
      (ext(el, 'zeebe:TaskHeaders')?.values ?? []).map((h: Moddle) => [h.key, h.value]),
    );
    if (def.type === 'case-stage')
      t.true(CONTRACT_STAGES.includes(headers.stage), `${el.id} stage ${headers.stage}`);
    // ADR 0005, amended: a certain route enters the next stage, named per kind of unit routed to.
    if (def.type === 'case-route')
      t.deepEqual(headers, { 'stage.department': 'handling', 'stage.town': 'dispatched' }, el.id);
    if (def.type === 'case-notify') {
      t.true(
        ['overdue', 'warning', 'emergency'].includes(headers.template),
        `${el.id} template ${headers.template}`,
      );
      t.true(
        ['supervisors', 'leaders', 'reporter', 'handlers'].includes(headers.audience),
        `${el.id} audience`,
      );
    }
    if (!['case-stage', 'case-notify', 'case-route'].includes(def.type))
      t.deepEqual(headers, {}, `${el.id} has no headers`);
  }
  t.deepEqual([...types].sort(), [...CONTRACT_JOB_TYPES].sort(), 'every worker of the contract has work');
});

test('every exclusive gateway that branches has a default flow, so a missing variable never strands a case', async (t) => {
  const { elements } = await model();
  for (const gw of elements.filter((e) => e.$type === 'bpmn:ExclusiveGateway' && e.outgoing.length > 1)) {
    t.truthy(gw.default, `${gw.id} has a default flow`);
    for (const flow of gw.outgoing) {
      if (flow !== gw.default) t.truthy(flow.conditionExpression?.body, `${flow.id} has a condition`);
    }
  }
});

test('the timers are non-interrupting and use the limits of the contract', async (t) => {
  const { elements } = await model();
  const timers: Record<string, { on: string; interrupting: boolean; date: string }> = Object.fromEntries(
    elements
      .filter((e) => e.$type === 'bpmn:BoundaryEvent')
      .map((e) => [
        e.id,
        {
          on: e.attachedToRef.id,
          interrupting: e.cancelActivity !== false,
          date: e.eventDefinitions[0].timeDate?.body as string,
        },
      ]),
  );
  t.like(timers['handle-warning'], { on: 'handle', interrupting: false, date: '=handleWarnAt' });
  t.like(timers['handle-overdue'], { on: 'handle', interrupting: false, date: '=handleDueAt' });
  t.like(timers['dispatch-city-overdue'], { on: 'dispatch-city', interrupting: false, date: '=stageDueAt' });
  t.like(timers['dispatch-town-overdue'], { on: 'dispatch-town', interrupting: false, date: '=stageDueAt' });
  t.like(timers['register-overdue'], { on: 'register', interrupting: false });
  t.true(timers['register-overdue'].date.includes('stageDueAt'));
  t.true(Object.values(timers).every((x) => !x.interrupting));
});

test('the diagram shows every element and flow, and no two shapes overlap', async (t) => {
  const { definitions, elements } = await model();
  const plane = definitions.diagrams[0].plane;
  const shapes = new Map<string, Moddle>();
  const edges = new Set<string>();
  for (const di of plane.planeElement) {
    if (di.$type === 'bpmndi:BPMNShape') shapes.set(di.bpmnElement.id, di);
    if (di.$type === 'bpmndi:BPMNEdge') edges.add(di.bpmnElement.id);
  }
  for (const el of elements) {
    if (el.$type === 'bpmn:SequenceFlow') t.true(edges.has(el.id), `edge for ${el.id}`);
    else t.true(shapes.has(el.id), `shape for ${el.id}`);
  }
  const boxes = [...shapes.entries()].map(([id, s]) => ({
    id,
    host: s.bpmnElement.attachedToRef?.id,
    ...s.bounds,
  }));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (a.host === b.id || b.host === a.id) continue;
      const overlap =
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      t.false(overlap, `${a.id} overlaps ${b.id}`);
    }
  }
});
