import test from 'ava';
import type { HistoryEvent } from '../../engine/port.ts';
import {
  type ReplayEvent,
  type ReplayState,
  type ReplayStep,
  canReplay,
  replayMarkers,
  replayState,
  replaySteps,
  variableText,
} from '../../web/src/lib/replay.ts';
import { createCaseWorld } from '../helpers/case-world.ts';
import { createTestEngine } from '../helpers/engine.ts';

// The replay is computed from histories the real engine wrote: the case lifecycle walked by the real workers,
// and the engine's own fixtures for an incident, parallel branches, a multi-instance task and local variables.

/** A history as the API sends it: JSON, so absent keys are absent rather than undefined. */
const asJson = (events: HistoryEvent[]): ReplayEvent[] => JSON.parse(JSON.stringify(events)) as ReplayEvent[];

/** The replay of a history: its steps and the state at the first step that matches. */
function replay(events: ReplayEvent[]) {
  const steps = replaySteps(events);
  const find = (kind: ReplayStep['kind'], elementId?: string, nth = 0): number => {
    const found = steps
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.kind === kind && (elementId === undefined || s.elementId === elementId));
    if (!found[nth]) throw new Error(`no step ${kind} ${elementId ?? ''} #${nth}`);
    return found[nth].i;
  };
  const at = (kind: ReplayStep['kind'], elementId?: string, nth = 0): ReplayState =>
    replayState(events, find(kind, elementId, nth), steps);
  return { steps, find, at };
}

const MINUTE = 60_000;

test('a hotline case replays stage by stage: who did what, the flows taken, the variables of the moment', async (t) => {
  // Given a case walked from 受理 to 回访, whose 受理立案 waited past its limit (the overdue branch ran)
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const filed = await w.file({
    source: 'hotline_12345',
    reporterPhone: '13812345678',
    description: '小区门口垃圾堆放三天无人清运',
    lng: 119.19292,
    lat: 32.19534,
    categoryCode: '06001',
  });
  const c = (await w.models.Case.findByPk(filed.id))!;
  w.clock.advance(5 * MINUTE);
  await w.advance(6 * MINUTE);
  await w.completeTask(filed.id, 'register', 'register', { categoryCode: '06001', urgency: 'normal' });
  await w.completeTask(filed.id, 'dispatch-city', 'dispatch', {
    dispatchUnitKind: 'town',
    dispatchUnitId: c.get('townId'),
  });
  await w.completeTask(filed.id, 'dispatch-town', 'dispatch', { handlerUnitId: c.get('villageId') });
  await w.completeTask(filed.id, 'handle', 'complete', { handleResult: '已清运' }, 'xupu.handler');
  await w.completeTask(filed.id, 'verify', 'pass', { verifyResult: 'pass' }, 'grid.worker');
  await w.completeTask(filed.id, 'close', 'close', { closeConditionMet: true }, 'city.dispatcher');
  await w.completeTask(filed.id, 'callback', 'record', { satisfaction: 'satisfied' }, 'city.dispatcher');
  await w.settle();

  // When it is replayed
  const events = asJson(await w.engine.getHistory(filed.processInstanceKey));
  const r = replay(events);

  // Then it starts with who filed it and the variables the intake set
  t.like(r.steps[0], { kind: 'started', actor: 'hotline-gateway', elementType: 'PROCESS' });
  const start = replayState(events, 0, r.steps);
  t.like(start.variables.variables, { source: 'hotline_12345', caseNo: filed.caseNo, townId: null });
  t.deepEqual(start.active, []);

  // 受理 is done by its worker, who located the case
  const accepted = r.at('completed', 'accept');
  t.is(accepted.step!.actor, 'test:case-accept');
  t.true(accepted.completed.includes('accept'));
  t.is(accepted.variables.variables.townId, c.get('townId'));
  t.true(accepted.variables.changed.includes('townId'));

  // 受理立案 is reached through the two gateways and offered to the city centre's dispatchers
  const registerReached = r.at('activated', 'register');
  t.deepEqual(registerReached.active, ['register']);
  t.deepEqual(registerReached.step!.candidateGroups, ['unit:1:dispatcher']);
  t.deepEqual(registerReached.newFlows, ['flow-accepted', 'flow-not-duplicate', 'flow-not-self-handled']);
  t.true(registerReached.completed.includes('is-duplicate'));
  t.false(registerReached.flows.includes('flow-duplicate'), 'the branch not taken stays unmarked');

  // The overdue timer runs a branch beside the waiting task: two elements are active at once
  const overdue = r.at('activated', 'notify-register-overdue');
  t.deepEqual(overdue.active, ['notify-register-overdue', 'register']);
  t.true(overdue.completed.includes('register-overdue'));

  // The dispatcher's 立案 is who, what and with which variables
  const registered = r.at('completed', 'register');
  t.like(registered.step, { actor: 'tester', action: 'register' });
  t.deepEqual(registered.step!.submitted, ['categoryCode', 'lastAction', 'urgency']);
  t.is(registered.variables.variables.lastAction, 'register');
  t.is(r.at('activated', 'register').variables.variables.lastAction, undefined, 'not before it happened');

  // The variables are those of the moment: 核查 is passed after 处置 was completed
  t.is(r.at('activated', 'verify').variables.variables.lastAction, 'complete');
  t.is(r.at('completed', 'verify').variables.variables.lastAction, 'pass');
  t.is(r.at('completed', 'verify').step!.actor, 'grid.worker');

  // 结案 leads on to 回访 through 需回访？: the flows out of 结案 are taken once it is completed
  const callback = r.at('activated', 'callback');
  t.true(callback.flows.includes('flow-closed-task') && callback.flows.includes('flow-callback'));
  t.true(callback.completed.includes('close') && callback.completed.includes('needs-callback'));
  t.false(r.at('completed', 'close').flows.includes('flow-closed-task'));

  // At the end everything is completed and nothing is active
  const last = replayState(events, r.steps.length - 1, r.steps);
  t.is(r.steps.at(-1)!.kind, 'ended');
  t.true(last.ended);
  t.deepEqual(last.active, []);
  t.true(last.completed.includes('case-closed'));
  t.true(last.flows.includes('flow-assessed'));
  t.deepEqual(last.incidents, []);
  t.is(r.steps.at(-1)!.through, events.length - 1);
});

test('an incident is marked red until it is resolved, and the fix and the retry are steps of their own', async (t) => {
  // Given a job that failed without retries, an administrator who set a variable, raised the retries and
  // resolved the incident, and a user who claimed and completed the task after the gateway
  const e = await createTestEngine();
  t.teardown(() => e.close());
  await e.deployFixture('six-step');
  const { engine } = e;
  const pi = await engine.createProcessInstance({
    bpmnProcessId: 'six-step',
    variables: { caseNo: 'A-1' },
    actor: 'city.dispatcher',
  });
  const [job] = await e.jobs('classify');
  await engine.failJob({ jobKey: job.key, retries: 0, errorMessage: 'classifier down', actor: 'classifier' });
  await engine.setVariables({
    elementInstanceKey: pi.processInstanceKey,
    variables: { urgencyHint: 'high' },
    actor: 'city.admin',
  });
  const [incident] = await engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
  await engine.updateJobRetries({ jobKey: job.key, retries: 1, actor: 'city.admin' });
  await engine.resolveIncident(incident.incidentKey, { actor: 'city.admin' });
  const [again] = await e.jobs('classify');
  await engine.completeJob({ jobKey: again.key, variables: { urgency: 'high' }, actor: 'classifier' });
  const [task] = (await engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } }))
    .items;
  await engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'zhangsan', actor: 'zhangsan' });
  await engine.completeUserTask({
    userTaskKey: task.userTaskKey,
    variables: { note: '已处理' },
    action: 'approve',
    actor: 'zhangsan',
  });
  await e.completeOne('notify');

  // When it is replayed
  const events = asJson(await engine.getHistory(pi.processInstanceKey));
  const r = replay(events);

  // Then the steps tell the story, with no step for the start event's or the gateway's instant passage
  t.deepEqual(
    r.steps.map((s) => `${s.kind}${s.elementType === 'PROCESS' ? '' : ` ${s.elementId}`}`),
    [
      'started',
      'completed start',
      'activated classify',
      'jobFailed classify',
      'incident classify',
      'variablesSet',
      'retriesUpdated classify',
      'incidentResolved classify',
      'completed classify',
      'activated handle',
      'claimed handle',
      'completed handle',
      'activated notify',
      'completed notify',
      'completed end',
      'ended',
    ],
  );
  const raised = r.at('incident', 'classify');
  t.deepEqual(raised.incidents, ['classify']);
  t.deepEqual(raised.active, ['classify']);
  t.like(raised.step, { actor: 'classifier', errorType: 'JOB_NO_RETRIES', errorMessage: 'classifier down' });
  t.like(r.steps[r.find('jobFailed')], { retries: 0, actor: 'classifier' });
  t.deepEqual(replayMarkers(raised).classify, ['replay-active', 'replay-incident', 'replay-current']);

  const fixed = r.at('variablesSet');
  t.like(fixed.step, { actor: 'city.admin', submitted: ['urgencyHint'] });
  t.deepEqual(fixed.variables.changed, ['urgencyHint']);
  t.deepEqual(fixed.incidents, ['classify'], 'still open while the data is fixed');
  t.like(r.steps[r.find('retriesUpdated')], { actor: 'city.admin', retries: 1 });

  const resolved = r.at('incidentResolved');
  t.deepEqual(resolved.incidents, []);
  t.is(resolved.incidentList.length, 1);
  t.truthy(resolved.incidentList[0].resolvedAt);
  t.false((replayMarkers(resolved).classify ?? []).includes('replay-incident'));

  // The exclusive gateway's choice is the flow taken; its default stays unmarked
  const reached = r.at('activated', 'handle');
  t.deepEqual(reached.newFlows, ['f2', 'f3']);
  t.false(reached.flows.includes('f4'));
  t.like(r.steps[r.find('claimed')], { actor: 'zhangsan', assignee: 'zhangsan' });
  t.like(r.steps[r.find('completed', 'handle')], {
    actor: 'zhangsan',
    action: 'approve',
    submitted: ['note'],
  });
});

test('parallel branches are active together and the join waits for the last one', async (t) => {
  // Given three branches completed one after the other
  const e = await createTestEngine();
  t.teardown(() => e.close());
  await e.deployFixture('fl-parallel');
  const pi = await e.engine.createProcessInstance({ bpmnProcessId: 'fl-parallel' });
  await e.completeOne('fl-branch-b', { b: 1 });
  await e.completeOne('fl-branch-a', { a: 1 });
  await e.completeOne('fl-branch-c');
  await e.completeOne('fl-after');

  // When it is replayed
  const events = asJson(await e.engine.getHistory(pi.processInstanceKey));
  const r = replay(events);

  // Then all three are active after the fork, and each finishes on its own
  const forked = r.at('activated', 'c');
  t.deepEqual(forked.active, ['a', 'b', 'c']);
  t.true(forked.completed.includes('fork'));
  const bDone = r.at('completed', 'b');
  t.deepEqual(bDone.active, ['a', 'c']);
  t.deepEqual(bDone.completed, ['b', 'fork', 'start']);
  const aDone = r.at('completed', 'a');
  t.true(aDone.flows.includes('fromB'), 'b’s token waits at the join');
  t.false(aDone.completed.includes('join'));
  const after = r.at('activated', 'after');
  t.deepEqual(after.newFlows, ['fromC', 'f2']);
  t.true(after.completed.includes('join'));
  t.deepEqual(after.active, ['after']);
});

test('a parallel multi-instance task counts its live instances and shows each one’s local variables', async (t) => {
  // Given three reviewers, answered one by one
  const e = await createTestEngine();
  t.teardown(() => e.close());
  await e.deployFixture('fl-mi-parallel-task');
  const pi = await e.engine.createProcessInstance({
    bpmnProcessId: 'fl-mi-parallel-task',
    variables: { reviewers: ['a', 'b', 'c'] },
  });
  for (const job of await e.jobs('fl-review'))
    await e.engine.completeJob({
      jobKey: job.key,
      variables: { verdict: `${String(job.variables.reviewer)}-ok` },
    });

  // When it is replayed
  const events = asJson(await e.engine.getHistory(pi.processInstanceKey));
  const r = replay(events);

  // Then each inner instance is a step; with all three live the task counts three
  t.is(r.steps.filter((s) => s.kind === 'activated' && s.elementId === 'review').length, 3);
  const all = r.at('activated', 'review', 2);
  t.deepEqual(all.activeCounts, { review: 3 });
  const reviewers = all.localScopes.filter((s) => 'reviewer' in s.variables).map((s) => s.variables.reviewer);
  t.deepEqual(reviewers, ['a', 'b', 'c']);
  t.deepEqual(all.localScopes.find((s) => 'verdicts' in s.variables)?.variables.verdicts, [null, null, null]);

  // Two answered: one left, and the answered ones' local variables are gone with their instances
  const two = r.at('completed', 'review', 1);
  t.deepEqual(two.activeCounts, { review: 1 });
  t.deepEqual(
    two.localScopes.filter((s) => 'reviewer' in s.variables).map((s) => s.variables.reviewer),
    ['c'],
  );
  t.false(two.completed.includes('review'), 'an element still running is active, not completed');

  // All answered: the output collection reaches the process
  const last = replayState(events, r.steps.length - 1, r.steps);
  t.deepEqual(last.variables.variables.verdicts, ['a-ok', 'b-ok', 'c-ok']);
  t.deepEqual(last.localScopes, []);
  t.true(last.completed.includes('review'));
});

test('input mappings are the element’s local variables while it runs, and end with it', async (t) => {
  const e = await createTestEngine();
  t.teardown(() => e.close());
  await e.deployFixture('fl-var-input-local');
  const pi = await e.engine.createProcessInstance({
    bpmnProcessId: 'fl-var-input-local',
    variables: { price: 3, qty: 2 },
  });
  await e.completeOne('fl-calc', { total: 6 });
  const events = asJson(await e.engine.getHistory(pi.processInstanceKey));
  const r = replay(events);

  const running = r.at('activated', 'calc');
  t.is(running.localScopes.length, 1);
  t.like(running.localScopes[0], {
    elementId: 'calc',
    variables: { amount: 6, currency: 'CNY' },
    changed: ['amount', 'currency'],
  });
  t.deepEqual(running.variables.variables, { price: 3, qty: 2 });
  const done = r.at('completed', 'calc');
  t.deepEqual(done.localScopes, []);
  t.deepEqual(done.variables.variables, { price: 3, qty: 2, total: 6 });
  t.deepEqual(done.variables.changed, ['total']);
  // Still running: the last step is the next task's activation, and covers every event.
  t.like(r.steps.at(-1), { kind: 'activated', elementId: 'after', through: events.length - 1 });
  t.false(replayState(events, r.steps.length - 1, r.steps).ended);
});

test('no events, or a step out of range, replay as an empty diagram', (t) => {
  t.deepEqual(replaySteps([]), []);
  const empty = replayState([], 0);
  t.is(empty.step, null);
  t.deepEqual([empty.active, empty.completed, empty.flows, empty.incidents], [[], [], [], []]);
  t.deepEqual(replayMarkers(empty), {});
});

test('the markers name each element’s state, the step’s element and the flows just taken', (t) => {
  const state = {
    ...replayState([], -1),
    active: ['handle'],
    activeCounts: { handle: 1 },
    completed: ['register'],
    terminated: ['dispatch-city'],
    incidents: ['handle'],
    flows: ['f1', 'f2'],
    newFlows: ['f2'],
    step: { elementId: 'handle', elementType: 'USER_TASK' } as ReplayStep,
  };
  t.deepEqual(replayMarkers(state), {
    register: ['replay-completed'],
    'dispatch-city': ['replay-terminated'],
    handle: ['replay-active', 'replay-incident', 'replay-current'],
    f1: ['replay-flow'],
    f2: ['replay-flow', 'replay-flow-new'],
  });
});

test('variables read as one line: strings as they are, the rest as JSON', (t) => {
  t.is(variableText('已清运'), '已清运');
  t.is(variableText(null), 'null');
  t.is(variableText(3), '3');
  t.is(variableText({ a: [1, 'x'] }), '{"a":[1,"x"]}');
});

test('the replay is offered to those who may read process diagrams', (t) => {
  const centre = { level: 'city', kind: 'centre' };
  const town = { level: 'town', kind: 'centre' };
  t.true(canReplay({ roles: ['auditor'], orgUnit: centre }));
  t.true(canReplay({ roles: ['leader'], orgUnit: town }));
  t.true(canReplay({ roles: ['dispatcher'], orgUnit: centre }));
  t.false(canReplay({ roles: ['dispatcher'], orgUnit: town }), 'a town dispatcher may not read diagrams');
  t.false(canReplay({ roles: ['handler', 'grid_worker'], orgUnit: centre }));
});
