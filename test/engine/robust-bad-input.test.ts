import test, { type ExecutionContext } from 'ava';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import { DeployRejectedError } from '../../engine/embedded/embedded-engine.ts';
import { type TestEngine, createTestEngine, fixture } from '../helpers/engine.ts';

const TABLES = [
  'engine_process_definition',
  'engine_process_instance',
  'engine_element_instance',
  'engine_variable',
  'engine_job',
  'engine_user_task',
  'engine_incident',
  'engine_timer',
  'engine_message',
  'engine_message_subscription',
  'engine_history_event',
];

/** Row counts of the engine's tables, and the job and user task states: what a rejected command must not touch. */
async function snapshot(te: TestEngine): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) {
    const [rows] = await te.db.sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`);
    out[table] = Number((rows as { n: number | string }[])[0].n);
  }
  const [jobs] = await te.db.sequelize.query(
    'SELECT job_key, state, retries FROM engine_job ORDER BY job_key',
  );
  const [tasks] = await te.db.sequelize.query(
    'SELECT user_task_key, state, assignee FROM engine_user_task ORDER BY user_task_key',
  );
  out.jobs = JSON.stringify(jobs);
  out.tasks = JSON.stringify(tasks);
  return out;
}

/** Runs a command that must be rejected, and proves it left the engine as it was. */
async function rejected<E extends Error>(
  t: ExecutionContext,
  te: TestEngine,
  command: () => Promise<unknown>,
  expected: { instanceOf: new (...args: never[]) => E; code: string; field?: string; message?: RegExp },
  watch: string[] = [],
): Promise<E | undefined> {
  const before = await snapshot(te);
  const histories = await Promise.all(watch.map((k) => te.engine.getHistory(k)));
  const error = await t.throwsAsync(command(), { instanceOf: expected.instanceOf });
  t.is((error as { code?: string } | undefined)?.code, expected.code);
  if (expected.field !== undefined) {
    t.deepEqual(
      (error as { errors?: { field: string }[] } | undefined)?.errors?.map((e) => e.field),
      [expected.field],
    );
  }
  if (expected.message) t.regex(error?.message ?? '', expected.message);
  t.deepEqual(await snapshot(te), before, 'the engine state is unchanged');
  for (const [i, key] of watch.entries()) {
    t.deepEqual(await te.engine.getHistory(key), histories[i], `history of ${key} is unchanged`);
  }
  return error;
}

test('deploying malformed XML is rejected with the parse problem and deploys nothing', async (t) => {
  const te = await createTestEngine();
  try {
    // given a deployed process
    await te.deployFixture('six-step');
    const definitions = await te.engine.listProcessDefinitions();

    // when a resource with a mismatched closing tag is deployed with a valid one
    const broken = fixture('rb-one-job.bpmn').content.replace('</bpmn:serviceTask>', '</bpmn:userTask>');
    const error = await rejected(
      t,
      te,
      () => te.engine.deploy([{ name: 'rb-broken.bpmn', content: broken }, fixture('rb-condition.bpmn')]),
      {
        instanceOf: DeployRejectedError,
        code: 'DEPLOY_REJECTED',
        message: /rb-broken\.bpmn.*closing tag mismatch/,
      },
    );

    // then it is an InvalidArgumentError and the definitions are as they were
    t.true(error instanceof InvalidArgumentError);
    t.deepEqual(await te.engine.listProcessDefinitions(), definitions);
  } finally {
    await te.close();
  }
});

test('deploying a diagram with an unsupported element is rejected naming the element', async (t) => {
  const te = await createTestEngine();
  try {
    // given a diagram whose gateway is a complex gateway
    const complex = fixture('rb-condition.bpmn')
      .content.replace('<bpmn:exclusiveGateway id="route"', '<bpmn:complexGateway id="route"')
      .replace('</bpmn:exclusiveGateway>', '</bpmn:complexGateway>');

    // when it is deployed
    const error = await rejected(
      t,
      te,
      () => te.engine.deploy([{ name: 'rb-complex.bpmn', content: complex }]),
      {
        instanceOf: DeployRejectedError,
        code: 'DEPLOY_REJECTED',
        message: /route/,
      },
    );

    // then the finding names the resource and the gateway
    t.true(error?.errors?.some((e) => e.field === 'rb-complex.bpmn#route'));
    t.true(error?.findings.some((f) => f.elementId === 'route' && f.category === 'error'));
    t.deepEqual(await te.engine.listProcessDefinitions(), []);
  } finally {
    await te.close();
  }
});

test('deploying identical content twice returns the same version', async (t) => {
  const te = await createTestEngine();
  try {
    const first = await te.engine.deploy([fixture('rb-one-job.bpmn')]);
    const second = await te.engine.deploy([fixture('rb-one-job.bpmn')]);

    t.is(second.processes[0].version, 1);
    t.is(second.processes[0].processDefinitionKey, first.processes[0].processDefinitionKey);
    const listed = await te.engine.listProcessDefinitions({ bpmnProcessId: 'rb-one-job' });
    t.deepEqual(
      listed.map((d) => d.version),
      [1],
    );
  } finally {
    await te.close();
  }
});

test('a deployment that declares one process id in two resources is rejected, as Zeebe does', async (t) => {
  const te = await createTestEngine();
  try {
    const one = fixture('rb-one-job.bpmn');
    const twin = { name: 'rb-one-job-copy.bpmn', content: one.content.replace('name="', 'name="copy ') };
    await t.throwsAsync(te.engine.deploy([one, twin]), {
      instanceOf: DeployRejectedError,
      message: /rb-one-job.*also declared in rb-one-job\.bpmn/,
    });
    t.deepEqual(await te.engine.listProcessDefinitions(), []);
  } finally {
    await te.close();
  }
});

test('a changed diagram becomes version 2 while running instances stay on version 1', async (t) => {
  const te = await createTestEngine();
  try {
    // given an instance of version 1 waiting at its job
    await te.deployFixture('rb-one-job');
    const old = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });

    // when a diagram with another job type is deployed under the same id
    const changed = fixture('rb-one-job.bpmn').content.replace('type="rb-work"', 'type="rb-work-v2"');
    const deployment = await te.engine.deploy([{ name: 'rb-one-job.bpmn', content: changed }]);

    // then it is version 2, new instances use it, and the old instance still runs version 1
    t.is(deployment.processes[0].version, 2);
    const fresh = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    t.is(fresh.version, 2);
    t.is((await te.engine.getProcessInstance(old.processInstanceKey)).version, 1);
    const [oldJob] = await te.jobs('rb-work');
    t.is(oldJob.processInstanceKey, old.processInstanceKey);
    t.is(oldJob.processDefinitionVersion, 1);
    const [newJob] = await te.jobs('rb-work-v2');
    t.is(newJob.processInstanceKey, fresh.processInstanceKey);
    await te.engine.completeJob({ jobKey: oldJob.key });
    t.is((await te.engine.getProcessInstance(old.processInstanceKey)).state, 'COMPLETED');
    const pinned = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job', version: 1 });
    t.is(pinned.version, 1);
  } finally {
    await te.close();
  }
});

test('creating an instance of an unknown process or version is not found and creates nothing', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-one-job');

    await rejected(t, te, () => te.engine.createProcessInstance({ bpmnProcessId: 'rb-nowhere' }), {
      instanceOf: NotFoundError,
      code: 'PROCESS_NOT_FOUND',
      message: /rb-nowhere/,
    });
    await rejected(
      t,
      te,
      () => te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job', version: 7 }),
      {
        instanceOf: NotFoundError,
        code: 'PROCESS_NOT_FOUND',
        message: /version 7/,
      },
    );
    await rejected(t, te, () => te.engine.createProcessInstance({ variables: {} }), {
      instanceOf: InvalidArgumentError,
      code: 'MISSING_FIELD',
      field: 'bpmnProcessId',
    });
  } finally {
    await te.close();
  }
});

test('variables that are not JSON are rejected naming the field, and nothing is created', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-one-job');
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const cases: [unknown, string][] = [
      [[1, 2], 'variables'],
      ['text', 'variables'],
      [new Map([['a', 1]]), 'variables'],
      [{ amount: Number.NaN }, 'variables.amount'],
      [{ amount: Number.POSITIVE_INFINITY }, 'variables.amount'],
      [{ when: new Date('2026-01-05T00:00:00Z') }, 'variables.when'],
      [{ callback: () => 1 }, 'variables.callback'],
      [{ big: 10n }, 'variables.big'],
      [{ order: circular }, 'variables.order.self'],
      [{ address: { city: 'Suzhou', zip: undefined } }, 'variables.address.zip'],
      [{ list: [1, { n: Number.NaN }] }, 'variables.list[1].n'],
    ];
    for (const [variables, field] of cases) {
      await rejected(
        t,
        te,
        () =>
          te.engine.createProcessInstance({
            bpmnProcessId: 'rb-one-job',
            variables: variables as Record<string, unknown>,
          }),
        { instanceOf: InvalidArgumentError, code: 'INVALID_VARIABLES', field },
      );
    }
  } finally {
    await te.close();
  }
});

test('a job completion with variables that are not JSON is rejected and the job can still be completed', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-one-job');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const [job] = await te.jobs('rb-work');

    await rejected(
      t,
      te,
      () => te.engine.completeJob({ jobKey: job.key, variables: { result: { score: Number.NaN } } }),
      { instanceOf: InvalidArgumentError, code: 'INVALID_VARIABLES', field: 'variables.result.score' },
      [pi.processInstanceKey],
    );

    await te.engine.completeJob({
      jobKey: job.key,
      activationKey: job.activationKey,
      variables: { result: 'ok' },
    });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
  } finally {
    await te.close();
  }
});

test('commands on unknown or finished jobs are not found and name the key', async (t) => {
  const te = await createTestEngine();
  try {
    // given a running instance and a finished job
    await te.deployFixture('six-step');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'six-step' });
    const finished = await te.completeOne('classify', { urgency: 'low' });
    const watch = [pi.processInstanceKey];

    for (const jobKey of ['424242', finished.key]) {
      const named = new RegExp(`\\b${jobKey}\\b`);
      const expected = { instanceOf: NotFoundError, code: 'JOB_NOT_FOUND', message: named };
      await rejected(t, te, () => te.engine.completeJob({ jobKey }), expected, watch);
      await rejected(t, te, () => te.engine.failJob({ jobKey, retries: 1 }), expected, watch);
      await rejected(t, te, () => te.engine.throwError({ jobKey, errorCode: 'X' }), expected, watch);
      await rejected(t, te, () => te.engine.updateJobRetries({ jobKey, retries: 3 }), expected, watch);
    }
  } finally {
    await te.close();
  }
});

test('commands on unknown user tasks are not found, and on finished ones a conflict, naming the key', async (t) => {
  const te = await createTestEngine();
  try {
    // given a completed user task
    await te.deployFixture('six-step');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'six-step' });
    await te.completeOne('classify', { urgency: 'low' });
    const [task] = (
      await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } })
    ).items;
    await te.engine.completeUserTask({ userTaskKey: task.userTaskKey });
    const watch = [pi.processInstanceKey];

    const unknown = { instanceOf: NotFoundError, code: 'USER_TASK_NOT_FOUND', message: /\b434343\b/ };
    await rejected(t, te, () => te.engine.completeUserTask({ userTaskKey: '434343' }), unknown, watch);
    await rejected(
      t,
      te,
      () => te.engine.assignUserTask({ userTaskKey: '434343', assignee: 'li' }),
      unknown,
      watch,
    );
    await rejected(t, te, () => te.engine.unassignUserTask({ userTaskKey: '434343' }), unknown, watch);
    await rejected(
      t,
      te,
      () => te.engine.updateUserTask({ userTaskKey: '434343', changeset: { priority: 10 } }),
      unknown,
      watch,
    );

    const closed = {
      instanceOf: ConflictError,
      code: 'TASK_NOT_OPEN',
      message: new RegExp(`\\b${task.userTaskKey}\\b.*completed`),
    };
    await rejected(t, te, () => te.engine.completeUserTask({ userTaskKey: task.userTaskKey }), closed, watch);
    await rejected(
      t,
      te,
      () => te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li' }),
      closed,
      watch,
    );
  } finally {
    await te.close();
  }
});

test('malformed keys are rejected as invalid arguments naming the field', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-one-job');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const watch = [pi.processInstanceKey];

    for (const bad of ['abc', '-1', '0', '1.5', '', ' 12', '12345678901234567890']) {
      const invalid = (field: string) => ({ instanceOf: InvalidArgumentError, code: 'INVALID_KEY', field });
      await rejected(t, te, () => te.engine.completeJob({ jobKey: bad }), invalid('jobKey'), watch);
      await rejected(t, te, () => te.engine.failJob({ jobKey: bad, retries: 0 }), invalid('jobKey'), watch);
      await rejected(
        t,
        te,
        () => te.engine.completeUserTask({ userTaskKey: bad }),
        invalid('userTaskKey'),
        watch,
      );
      await rejected(t, te, () => te.engine.getProcessInstance(bad), invalid('processInstanceKey'), watch);
      await rejected(t, te, () => te.engine.cancelProcessInstance(bad), invalid('processInstanceKey'), watch);
      await rejected(t, te, () => te.engine.resolveIncident(bad), invalid('incidentKey'), watch);
      await rejected(
        t,
        te,
        () => te.engine.setVariables({ elementInstanceKey: bad, variables: { a: 1 } }),
        invalid('elementInstanceKey'),
        watch,
      );
    }
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'ACTIVE');
  } finally {
    await te.close();
  }
});

test('out-of-range numbers in commands are rejected naming the field', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-one-job');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-one-job' });
    const [job] = await te.jobs('rb-work');
    const watch = [pi.processInstanceKey];
    const invalid = (field: string) => ({ instanceOf: InvalidArgumentError, code: 'INVALID_FIELD', field });

    await rejected(
      t,
      te,
      () => te.engine.failJob({ jobKey: job.key, retries: -1 }),
      invalid('retries'),
      watch,
    );
    await rejected(
      t,
      te,
      () => te.engine.failJob({ jobKey: job.key, retries: 1, retryBackOff: -5 }),
      invalid('retryBackOff'),
      watch,
    );
    await rejected(
      t,
      te,
      () => te.engine.activateJobs({ type: 'rb-work', worker: 'w', maxJobsToActivate: 0, timeout: 1000 }),
      invalid('maxJobsToActivate'),
      watch,
    );
    await rejected(
      t,
      te,
      () => te.engine.activateJobs({ type: 'rb-work', worker: 'w', maxJobsToActivate: 1, timeout: 0 }),
      invalid('timeout'),
      watch,
    );
  } finally {
    await te.close();
  }
});
