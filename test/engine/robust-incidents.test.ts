import test, { type ExecutionContext } from 'ava';
import { ConflictError, NotFoundError } from '../../common/errors.ts';
import type { Incident, IncidentType } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

/** The one active incident of an instance, checked against what the engine must report about it. */
async function singleActiveIncident(
  t: ExecutionContext,
  te: TestEngine,
  processInstanceKey: string,
  expected: { errorType: IncidentType; elementId: string; message: RegExp; jobKey?: string },
): Promise<Incident> {
  const active = await te.engine.searchIncidents({ state: 'ACTIVE' });
  t.is(active.length, 1, 'exactly one active incident');
  const incident = active[0];
  if (!incident) throw new Error(`expected a ${expected.errorType} incident, found none`);
  t.is(incident.processInstanceKey, processInstanceKey);
  t.is(incident.errorType, expected.errorType);
  t.is(incident.elementId, expected.elementId);
  t.is(incident.state, 'ACTIVE');
  t.is(incident.jobKey, expected.jobKey);
  t.regex(incident.errorMessage, expected.message);
  const instance = await te.engine.getProcessInstance(processInstanceKey);
  t.is(instance.state, 'ACTIVE', 'an incident never ends the instance');
  t.true(instance.hasIncident);
  return incident;
}

/** Resolves an incident and checks that the instance no longer reports one. */
async function resolve(t: ExecutionContext, te: TestEngine, incident: Incident): Promise<void> {
  await te.engine.resolveIncident(incident.incidentKey, { actor: 'operator' });
  const instance = await te.engine.getProcessInstance(incident.processInstanceKey);
  t.false(instance.hasIncident);
  t.deepEqual(await te.engine.searchIncidents({ state: 'ACTIVE' }), []);
  const resolved = await te.engine.searchIncidents({ state: 'RESOLVED' });
  t.deepEqual(
    resolved.map((i) => i.incidentKey),
    [incident.incidentKey],
  );
}

const intentsOf = async (te: TestEngine, key: string, keep: (intent: string) => boolean): Promise<string[]> =>
  (await te.engine.getHistory(key)).map((e) => e.intent).filter(keep);

const isJobOrIncident = (intent: string): boolean =>
  intent.startsWith('JOB_') || intent.startsWith('INCIDENT_');

test('a job failed with no retries left raises JOB_NO_RETRIES; new retries and a resolve let a worker finish it', async (t) => {
  const te = await createTestEngine();
  try {
    // given an instance whose job a worker failed with no retries left
    await te.deployFixture('rb-one-job');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const [job] = await te.jobs('rb-work');
    t.is(job.retries, 3);
    await te.engine.failJob({ jobKey: job.key, retries: 0, errorMessage: 'SMS gateway is down' });

    // then an incident names the job and the worker's message, and the job is not handed out
    const incident = await singleActiveIncident(t, te, pi.processInstanceKey, {
      errorType: 'JOB_NO_RETRIES',
      elementId: 'work',
      message: /^SMS gateway is down$/,
      jobKey: job.key,
    });
    t.deepEqual(await te.jobs('rb-work'), []);

    // when an operator gives the job two retries and resolves the incident
    await te.engine.updateJobRetries({ jobKey: job.key, retries: 2, actor: 'operator' });
    await resolve(t, te, incident);

    // then the same job is activatable with two retries, and completing it ends the instance
    const [again] = await te.jobs('rb-work');
    t.is(again.key, job.key);
    t.is(again.retries, 2);
    await te.engine.completeJob({ jobKey: again.key, activationKey: again.activationKey });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await intentsOf(te, pi.processInstanceKey, isJobOrIncident), [
      'JOB_CREATED',
      'JOB_FAILED',
      'INCIDENT_CREATED',
      'JOB_RETRIES_UPDATED',
      'INCIDENT_RESOLVED',
      'JOB_COMPLETED',
    ]);
  } finally {
    await te.close();
  }
});

test('resolving a job incident without updating retries gives the job exactly one more try', async (t) => {
  const te = await createTestEngine();
  try {
    // given a job failed with no retries and no message
    await te.deployFixture('rb-one-job');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const [job] = await te.jobs('rb-work');
    await te.engine.failJob({ jobKey: job.key, retries: 0 });
    const first = await singleActiveIncident(t, te, pi.processInstanceKey, {
      errorType: 'JOB_NO_RETRIES',
      elementId: 'work',
      message: /No more retries left/,
      jobKey: job.key,
    });

    // when the incident is resolved as it is
    await resolve(t, te, first);

    // then the job comes back with one retry; failing that one raises a new incident
    const [retry] = await te.jobs('rb-work');
    t.is(retry.key, job.key);
    t.is(retry.retries, 1);
    await te.engine.failJob({ jobKey: retry.key, retries: 0, errorMessage: 'still down' });
    const second = (await te.engine.searchIncidents({ state: 'ACTIVE' }))[0];
    t.not(second.incidentKey, first.incidentKey);
    t.is(second.errorMessage, 'still down');
    t.true((await te.engine.getProcessInstance(pi.processInstanceKey)).hasIncident);

    // and after a second resolve a completion ends the instance
    await te.engine.resolveIncident(second.incidentKey);
    await te.completeOne('rb-work');
    const done = await te.engine.getProcessInstance(pi.processInstanceKey);
    t.is(done.state, 'COMPLETED');
    t.false(done.hasIncident);
  } finally {
    await te.close();
  }
});

test('a job failed with retries left and a back-off is handed out again only after the back-off', async (t) => {
  const te = await createTestEngine();
  try {
    // given a job failed with two retries left and a 30 s back-off
    await te.deployFixture('rb-one-job');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const [job] = await te.jobs('rb-work');
    await te.engine.failJob({ jobKey: job.key, retries: 2, retryBackOff: 30_000, errorMessage: 'busy' });

    // then no incident is raised and the job is not activatable during the back-off
    t.deepEqual(await te.engine.searchIncidents({ state: 'ACTIVE' }), []);
    t.false((await te.engine.getProcessInstance(pi.processInstanceKey)).hasIncident);
    t.deepEqual(await te.jobs('rb-work'), []);
    await te.advance(29_000);
    t.deepEqual(await te.jobs('rb-work'), []);

    // when the back-off ends
    await te.advance(1_000);

    // then the job is activatable with the retries the worker left, and completes the instance
    const [again] = await te.jobs('rb-work');
    t.is(again.key, job.key);
    t.is(again.retries, 2);
    await te.engine.completeJob({ jobKey: again.key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('a job failed with retries left and no back-off is activatable again at once', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-one-job');
    await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const [job] = await te.jobs('rb-work');

    await te.engine.failJob({ jobKey: job.key, retries: 1, errorMessage: 'flaky' });

    const [again] = await te.jobs('rb-work');
    t.is(again.key, job.key);
    t.is(again.retries, 1);
    t.deepEqual(await te.engine.searchIncidents({ state: 'ACTIVE' }), []);
  } finally {
    await te.close();
  }
});

test('an uncaught BPMN error from a job raises UNHANDLED_ERROR_EVENT; resolving makes the job activatable again', async (t) => {
  const te = await createTestEngine();
  try {
    // given a worker that throws a BPMN error nothing catches
    await te.deployFixture('rb-one-job');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const [job] = await te.jobs('rb-work');
    await te.engine.throwError({ jobKey: job.key, errorCode: 'CASE_REJECTED', errorMessage: 'not our area' });

    // then an incident names the error code, the job is in ERROR_THROWN and not handed out
    const incident = await singleActiveIncident(t, te, pi.processInstanceKey, {
      errorType: 'UNHANDLED_ERROR_EVENT',
      elementId: 'work',
      message: /'CASE_REJECTED'.*not caught/,
      jobKey: job.key,
    });
    const [rows] = await te.db.sequelize.query('SELECT state FROM engine_job WHERE job_key = ?', {
      replacements: [Number(job.key)],
    });
    t.deepEqual(rows, [{ state: 'ERROR_THROWN' }]);
    t.deepEqual(await te.jobs('rb-work'), []);

    // when the incident is resolved
    await resolve(t, te, incident);

    // then the job is activatable again and its completion ends the instance
    const [again] = await te.jobs('rb-work');
    t.is(again.key, job.key);
    await te.engine.completeJob({ jobKey: again.key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await intentsOf(te, pi.processInstanceKey, isJobOrIncident), [
      'JOB_CREATED',
      'JOB_ERROR_THROWN',
      'INCIDENT_CREATED',
      'INCIDENT_RESOLVED',
      'JOB_COMPLETED',
    ]);
  } finally {
    await te.close();
  }
});

test('a gateway with no true condition and no default flow raises CONDITION_ERROR; fixing the variable and resolving takes the flow', async (t) => {
  const te = await createTestEngine();
  try {
    // given an amount for which neither condition holds
    await te.deployFixture('rb-condition');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'rb-condition',
      variables: { amount: 50 },
    });

    // then the gateway holds an incident
    const incident = await singleActiveIncident(t, te, pi.processInstanceKey, {
      errorType: 'CONDITION_ERROR',
      elementId: 'route',
      message: /Expected at least one condition to evaluate to true, or to have a default flow/,
    });

    // when the amount is corrected and the incident resolved
    await te.engine.setVariables({ elementInstanceKey: pi.processInstanceKey, variables: { amount: 500 } });
    await resolve(t, te, incident);

    // then the gateway takes the flow to the big-amount end
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(
      history.filter((e) => e.intent === 'SEQUENCE_FLOW_TAKEN').map((e) => e.elementId),
      ['f1', 'toBig'],
    );
    t.true(history.some((e) => e.intent === 'ELEMENT_COMPLETED' && e.elementId === 'endBig'));
  } finally {
    await te.close();
  }
});

test('a correlation key that evaluates to a list raises EXTRACT_VALUE_ERROR; after a fix and resolve the message correlates', async (t) => {
  const te = await createTestEngine();
  try {
    // given an instance whose correlation key variable is a list
    await te.deployFixture('rb-message');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'rb-message',
      variables: { orderId: ['A-1', 'A-2'] },
    });

    // then the catch event holds an incident and no subscription was opened
    const incident = await singleActiveIncident(t, te, pi.processInstanceKey, {
      errorType: 'EXTRACT_VALUE_ERROR',
      elementId: 'waitPayment',
      message: /correlation key.*orderId/,
    });
    const error = await t.throwsAsync(
      te.engine.correlateMessage({ name: 'rb-payment', correlationKey: 'A-1' }),
      { instanceOf: NotFoundError },
    );
    t.is(error?.code, 'NO_SUBSCRIPTION');

    // when the key is fixed and the incident resolved
    await te.engine.setVariables({
      elementInstanceKey: pi.processInstanceKey,
      variables: { orderId: 'A-1' },
    });
    await resolve(t, te, incident);

    // then the instance waits for the message with that key, and the message ends it
    const correlated = await te.engine.correlateMessage({
      name: 'rb-payment',
      correlationKey: 'A-1',
      variables: { paid: true },
    });
    t.is(correlated.processInstanceKey, pi.processInstanceKey);
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('a failing input mapping raises IO_MAPPING_ERROR before the job exists; after a fix and resolve the job carries the mapped value', async (t) => {
  const te = await createTestEngine();
  try {
    // given an instance without the amount the input mapping asserts
    await te.deployFixture('rb-io-mapping');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-io-mapping', variables: {} });

    // then the task holds an incident and no job was created
    const incident = await singleActiveIncident(t, te, pi.processInstanceKey, {
      errorType: 'IO_MAPPING_ERROR',
      elementId: 'charge',
      message: /amount is required/,
    });
    t.deepEqual(await te.jobs('rb-charge'), []);

    // when the amount is set and the incident resolved
    await te.engine.setVariables({ elementInstanceKey: pi.processInstanceKey, variables: { amount: 120 } });
    await resolve(t, te, incident);

    // then the job is created with the mapped input and completes the instance
    const [job] = await te.jobs('rb-charge');
    t.is(job.variables.chargeAmount, 120);
    await te.engine.completeJob({ jobKey: job.key });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('a call activity whose process is not deployed raises CALLED_ELEMENT_ERROR; deploying it and resolving runs the child', async (t) => {
  const te = await createTestEngine();
  try {
    // given a parent deployed without its child
    await te.deployFixture('rb-call-parent');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-call-parent' });

    // then the call activity holds an incident naming the missing process
    const incident = await singleActiveIncident(t, te, pi.processInstanceKey, {
      errorType: 'CALLED_ELEMENT_ERROR',
      elementId: 'callChild',
      message: /'rb-call-child'.*not found/,
    });

    // when the child is deployed and the incident resolved
    await te.deployFixture('rb-call-child');
    await resolve(t, te, incident);

    // then the child runs and the parent completes with the child's variable
    const parent = await te.engine.getProcessInstance(pi.processInstanceKey);
    t.is(parent.state, 'COMPLETED');
    const vars = await te.engine.getVariables(pi.processInstanceKey);
    t.deepEqual(
      vars.map((v) => [v.name, v.value]),
      [['childResult', 'child ran']],
    );
  } finally {
    await te.close();
  }
});

test('resolving an incident that is already resolved is a conflict and changes nothing', async (t) => {
  const te = await createTestEngine();
  try {
    // given a resolved incident
    await te.deployFixture('rb-condition');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'rb-condition',
      variables: { amount: 50 },
    });
    const [incident] = await te.engine.searchIncidents({ state: 'ACTIVE' });
    await te.engine.resolveIncident(incident.incidentKey);
    // (the condition still fails, so resolving raised a fresh incident)
    const [fresh] = await te.engine.searchIncidents({ state: 'ACTIVE' });
    t.not(fresh.incidentKey, incident.incidentKey);
    const historyBefore = await te.engine.getHistory(pi.processInstanceKey);

    // when it is resolved again
    const error = await t.throwsAsync(te.engine.resolveIncident(incident.incidentKey), {
      instanceOf: ConflictError,
    });

    // then the engine says so and nothing moved
    t.is(error?.code, 'INCIDENT_RESOLVED');
    t.regex(error?.message ?? '', new RegExp(incident.incidentKey));
    t.deepEqual(await te.engine.getHistory(pi.processInstanceKey), historyBefore);
    t.deepEqual(
      (await te.engine.searchIncidents({ state: 'ACTIVE' })).map((i) => i.incidentKey),
      [fresh.incidentKey],
    );
    t.true((await te.engine.getProcessInstance(pi.processInstanceKey)).hasIncident);
  } finally {
    await te.close();
  }
});

test('resolving an unknown incident is not found', async (t) => {
  const te = await createTestEngine();
  try {
    const error = await t.throwsAsync(te.engine.resolveIncident('987654321'), { instanceOf: NotFoundError });
    t.is(error?.code, 'INCIDENT_NOT_FOUND');
    t.regex(error?.message ?? '', /987654321/);
  } finally {
    await te.close();
  }
});
