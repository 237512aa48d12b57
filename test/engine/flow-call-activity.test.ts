import test from 'ava';
import { ConflictError, NotFoundError } from '../../common/errors.ts';
import type { HistoryEvent, WorkflowEngine } from '../../engine/port.ts';
import { createTestEngine } from '../helpers/engine.ts';

/** Root-scope variables of an instance as a plain object. */
async function rootVariables(engine: WorkflowEngine, pik: string): Promise<Record<string, unknown>> {
  const vars = await engine.getVariables(pik);
  return Object.fromEntries(vars.filter((v) => v.scopeKey === pik).map((v) => [v.name, v.value]));
}

/** The lifecycle intents of one element, in order (variable and job events left out). */
function lifecycle(history: HistoryEvent[], elementId: string): string[] {
  return history
    .filter((e) => e.elementId === elementId && e.intent.startsWith('ELEMENT_'))
    .map((e) => e.intent);
}

test('a call activity starts the child with all parent variables, waits for it, and gets all child variables back', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-call-parent', 'fl-call-child');

    // when
    const parent = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-call-parent',
      variables: { caseId: 1, secret: 's' },
    });
    const pik = parent.processInstanceKey;

    // then: the child runs with a copy of the parent's variables
    const [job] = await te.jobs('fl-child-work');
    t.not(job.processInstanceKey, pik);
    t.is(job.bpmnProcessId, 'fl-call-child');
    const child = await te.engine.getProcessInstance(job.processInstanceKey);
    t.is(child.state, 'ACTIVE');
    t.is(child.parentProcessInstanceKey, pik);
    const callKey = (await te.engine.getHistory(pik)).find(
      (e) => e.intent === 'ELEMENT_ACTIVATED' && e.elementId === 'callChild',
    )?.elementInstanceKey;
    t.is(child.parentElementInstanceKey, callKey);
    t.deepEqual(await rootVariables(te.engine, child.processInstanceKey), { caseId: 1, secret: 's' });
    t.deepEqual(job.variables, { caseId: 1, secret: 's' });

    // and: the parent waits
    t.deepEqual(await te.jobs('fl-parent-after'), []);

    // when
    await te.engine.completeJob({ jobKey: job.key, variables: { childResult: 'done' } });

    // then
    t.is((await te.engine.getProcessInstance(child.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pik), { caseId: 1, childResult: 'done', secret: 's' });
    t.is((await te.jobs('fl-parent-after')).length, 1);
    t.deepEqual(lifecycle(await te.engine.getHistory(pik), 'callChild'), [
      'ELEMENT_ACTIVATED',
      'ELEMENT_COMPLETED',
    ]);
  } finally {
    await te.close();
  }
});

test('with both propagations turned off the child gets only the input mappings and the parent only the output mappings', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-call-parent-mapped', 'fl-call-child');
    const parent = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-call-parent-mapped',
      variables: { caseId: 1, secret: 's' },
    });
    const pik = parent.processInstanceKey;

    // when
    const [job] = await te.jobs('fl-child-work');

    // then
    t.deepEqual(await rootVariables(te.engine, job.processInstanceKey), { childCase: 1 });
    t.deepEqual(job.variables, { childCase: 1 });

    // when
    await te.engine.completeJob({ jobKey: job.key, variables: { childResult: 'done', extra: 1 } });

    // then
    t.deepEqual(await rootVariables(te.engine, pik), { caseId: 1, outcome: 'done', secret: 's' });
    t.is((await te.jobs('fl-parent-after')).length, 1);
  } finally {
    await te.close();
  }
});

test('cancelling the parent cancels the called child, which cannot be cancelled on its own', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-call-parent', 'fl-call-child');
    const parent = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-call-parent' });
    const [job] = await te.jobs('fl-child-work');
    const childKey = job.processInstanceKey;

    // when / then: the child alone is refused
    await t.throwsAsync(te.engine.cancelProcessInstance(childKey), {
      instanceOf: ConflictError,
      code: 'CHILD_INSTANCE',
    });

    // when
    await te.engine.cancelProcessInstance(parent.processInstanceKey);

    // then
    t.is((await te.engine.getProcessInstance(parent.processInstanceKey)).state, 'TERMINATED');
    t.is((await te.engine.getProcessInstance(childKey)).state, 'TERMINATED');
    const childHistory = await te.engine.getHistory(childKey);
    t.deepEqual(lifecycle(childHistory, 'childWork'), ['ELEMENT_ACTIVATED', 'ELEMENT_TERMINATED']);
    t.is(childHistory.at(-1)?.intent, 'PROCESS_INSTANCE_TERMINATED');
    await t.throwsAsync(te.engine.completeJob({ jobKey: job.key }), { instanceOf: NotFoundError });
  } finally {
    await te.close();
  }
});

test('calling a process that is not deployed raises CALLED_ELEMENT_ERROR; deploying it and resolving starts the child', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-call-parent');

    // when
    const parent = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-call-parent',
      variables: { caseId: 9 },
    });

    // then
    const [incident] = await te.engine.searchIncidents({ processInstanceKey: parent.processInstanceKey });
    t.is(incident.errorType, 'CALLED_ELEMENT_ERROR');
    t.is(incident.elementId, 'callChild');
    t.regex(incident.errorMessage, /fl-call-child/);

    // when
    await te.deployFixture('fl-call-child');
    await te.engine.resolveIncident(incident.incidentKey);

    // then
    const [job] = await te.jobs('fl-child-work');
    t.deepEqual(job.variables, { caseId: 9 });
    t.is(
      (await te.engine.getProcessInstance(job.processInstanceKey)).parentProcessInstanceKey,
      parent.processInstanceKey,
    );
    await te.engine.completeJob({ jobKey: job.key });
    t.is((await te.jobs('fl-parent-after')).length, 1);
    t.false((await te.engine.getProcessInstance(parent.processInstanceKey)).hasIncident);
  } finally {
    await te.close();
  }
});

test('a BPMN error thrown in the child is caught by the error boundary on the call activity and the child ends terminated', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-call-parent-error', 'fl-call-child');
    const parent = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-call-parent-error',
      variables: { caseId: 1 },
    });
    const pik = parent.processInstanceKey;
    const [job] = await te.jobs('fl-child-work');

    // when
    await te.engine.throwError({
      jobKey: job.key,
      errorCode: 'CHILD_FAILED',
      errorMessage: 'no grid found',
      variables: { reason: 'no grid' },
    });

    // then
    const child = await te.engine.getProcessInstance(job.processInstanceKey);
    t.is(child.state, 'TERMINATED');
    t.false(child.hasIncident);
    const history = await te.engine.getHistory(pik);
    t.deepEqual(lifecycle(history, 'callChild'), ['ELEMENT_ACTIVATED', 'ELEMENT_TERMINATED']);
    t.deepEqual(lifecycle(history, 'childFailed'), ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED']);
    const [handle] = await te.jobs('fl-handle-failure');
    t.deepEqual(handle.variables, { caseId: 1, reason: 'no grid' });
    t.deepEqual(await te.jobs('fl-parent-after'), []);
    t.deepEqual(await te.engine.searchIncidents({ processInstanceKey: pik }), []);
  } finally {
    await te.close();
  }
});

test('a call activity takes the called process id from a FEEL expression', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-call-dynamic', 'fl-call-child');

    // when
    const parent = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-call-dynamic',
      variables: { childProcess: 'fl-call-child' },
    });

    // then
    const [job] = await te.jobs('fl-child-work');
    t.is(job.bpmnProcessId, 'fl-call-child');
    const child = await te.engine.getProcessInstance(job.processInstanceKey);
    t.is(child.bpmnProcessId, 'fl-call-child');
    t.is(child.parentProcessInstanceKey, parent.processInstanceKey);
  } finally {
    await te.close();
  }
});

test('a child that completes without waiting returns its variables to the parent in the same command', async (t) => {
  const te = await createTestEngine();
  try {
    // given: the child is the script-only process, chosen by FEEL
    await te.deployFixture('fl-call-dynamic', 'fl-script-task');

    // when
    const parent = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-call-dynamic',
      variables: { childProcess: 'fl-script-task', a: 2, b: 3 },
    });

    // then
    const [after] = await te.jobs('fl-parent-after');
    t.is(after.processInstanceKey, parent.processInstanceKey);
    t.deepEqual(await rootVariables(te.engine, parent.processInstanceKey), {
      a: 2,
      b: 3,
      childProcess: 'fl-script-task',
      sum: 5,
      summary: { total: 10, label: 'sum-5' },
    });
    t.deepEqual(lifecycle(await te.engine.getHistory(parent.processInstanceKey), 'callChild'), [
      'ELEMENT_ACTIVATED',
      'ELEMENT_COMPLETED',
    ]);
  } finally {
    await te.close();
  }
});
