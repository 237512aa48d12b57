import test from 'ava';
import { NotFoundError } from '../../common/errors.ts';
import type { HistoryEvent, Variable, WorkflowEngine } from '../../engine/port.ts';
import { createTestEngine, fixture } from '../helpers/engine.ts';

/** Root-scope variables of an instance as a plain object. */
async function rootVariables(engine: WorkflowEngine, pik: string): Promise<Record<string, unknown>> {
  const vars: Variable[] = await engine.getVariables(pik);
  return Object.fromEntries(vars.filter((v) => v.scopeKey === pik).map((v) => [v.name, v.value]));
}

/** [elementId, elementType] of every element activation, in order. */
function activations(history: HistoryEvent[]): [string | undefined, string | undefined][] {
  return history.filter((e) => e.intent === 'ELEMENT_ACTIVATED').map((e) => [e.elementId, e.elementType]);
}

test('a service task hands its worker a job with the custom headers and retries from the BPMN', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-service-task');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-service-task',
      variables: { caseId: 42 },
    });

    // when
    const jobs = await te.jobs('fl-work');

    // then
    t.is(jobs.length, 1);
    const job = jobs[0];
    t.is(job.type, 'fl-work');
    t.is(job.elementId, 'work');
    t.is(job.bpmnProcessId, 'fl-service-task');
    t.is(job.processInstanceKey, pi.processInstanceKey);
    t.is(job.processDefinitionVersion, 1);
    t.is(job.retries, 5);
    t.deepEqual(job.customHeaders, { region: 'north', channel: 'hotline' });
    t.deepEqual(job.variables, { caseId: 42 });

    await te.engine.completeJob({ jobKey: job.key, variables: { gridCode: 'G-7' } });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), { caseId: 42, gridCode: 'G-7' });
  } finally {
    await te.close();
  }
});

test('send, business-rule, message-throw and message-end elements with a task definition each wait for a job', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-job-kinds');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-job-kinds' });

    // when / then: one job at a time, in flow order
    const steps: [string, string][] = [
      ['fl-send', 'send'],
      ['fl-rule', 'rule'],
      ['fl-publish', 'publish'],
      ['fl-notify', 'notify'],
    ];
    for (const [type, elementId] of steps) {
      for (const [other] of steps.filter(([o]) => o !== type)) t.deepEqual(await te.jobs(other), []);
      const job = await te.completeOne(type, { [`${elementId}Done`]: true });
      t.is(job.elementId, elementId);
    }

    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(activations(history), [
      ['start', 'START_EVENT'],
      ['send', 'SEND_TASK'],
      ['rule', 'BUSINESS_RULE_TASK'],
      ['publish', 'INTERMEDIATE_THROW_EVENT'],
      ['notify', 'END_EVENT'],
    ]);
    t.deepEqual(
      history.filter((e) => e.intent === 'JOB_COMPLETED').map((e) => e.elementId),
      ['send', 'rule', 'publish', 'notify'],
    );
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), {
      notifyDone: true,
      publishDone: true,
      ruleDone: true,
      sendDone: true,
    });
  } finally {
    await te.close();
  }
});

test('a script task evaluates its FEEL expression into the result variable without a job', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-script-task');

    // when
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-script-task',
      variables: { a: 2, b: 3 },
    });

    // then
    t.is(pi.state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), {
      a: 2,
      b: 3,
      sum: 5,
      summary: { total: 10, label: 'sum-5' },
    });
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.false(history.some((e) => e.intent === 'JOB_CREATED'));
    t.deepEqual(
      history.filter((e) => e.intent === 'ELEMENT_COMPLETED').map((e) => [e.elementId, e.elementType]),
      [
        ['start', 'START_EVENT'],
        ['sum', 'SCRIPT_TASK'],
        ['summary', 'SCRIPT_TASK'],
        ['end', 'END_EVENT'],
      ],
    );
  } finally {
    await te.close();
  }
});

test('a user task takes assignee, candidates, dates, priority and headers from static text', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-user-task-static');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-user-task-static' });

    // when
    const found = await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } });

    // then
    t.is(found.total, 1);
    const task = found.items[0];
    t.is(task.name, 'Approve');
    t.is(task.elementId, 'approve');
    t.is(task.state, 'CREATED');
    t.is(task.assignee, 'lisi');
    t.deepEqual(task.candidateGroups, ['town-centre', 'city-centre']);
    t.deepEqual(task.candidateUsers, ['wang', 'zhao']);
    t.is(task.dueDate, '2026-02-01T02:00:00.000Z');
    t.is(task.followUpDate, '2026-01-30T01:00:00.000Z');
    t.is(task.priority, 80);
    t.deepEqual(task.customHeaders, { stage: 'verify' });
    t.is(task.formKey, undefined);

    await te.engine.completeUserTask({
      userTaskKey: task.userTaskKey,
      variables: { approved: true },
      actor: 'lisi',
    });
    const done = await te.engine.getUserTask(task.userTaskKey);
    t.is(done.state, 'COMPLETED');
    t.is(done.completedBy, 'lisi');
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), { approved: true });
  } finally {
    await te.close();
  }
});

test('a user task evaluates assignee, candidates, due and follow-up dates and priority from FEEL', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-user-task-feel');
    const variables = {
      handler: 'zhangsan',
      groups: ['town-a', 'town-b'],
      lead: 'wu',
      receivedAt: '2026-01-05T08:00:00Z',
    };

    // when
    const urgent = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-user-task-feel',
      variables: { ...variables, urgent: true },
    });
    const routine = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-user-task-feel',
      variables: { ...variables, urgent: false },
    });

    // then
    const [task] = (
      await te.engine.searchUserTasks({ filter: { processInstanceKey: urgent.processInstanceKey } })
    ).items;
    t.is(task.assignee, 'zhangsan');
    t.deepEqual(task.candidateGroups, ['town-a', 'town-b']);
    t.deepEqual(task.candidateUsers, ['wu', 'zhao']);
    t.is(task.dueDate, '2026-01-08T08:00:00.000Z');
    // the engine clock starts at 2026-01-05T01:00Z; follow-up is now() + 12 hours
    t.is(task.followUpDate, '2026-01-05T13:00:00.000Z');
    t.is(task.priority, 90);
    const [other] = (
      await te.engine.searchUserTasks({ filter: { processInstanceKey: routine.processInstanceKey } })
    ).items;
    t.is(other.priority, 30);
  } finally {
    await te.close();
  }
});

test('a user task with an embedded form carries the camunda-forms:bpmn form key', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-user-task-embedded-form');

    // when
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-user-task-embedded-form' });

    // then
    const [task] = (
      await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } })
    ).items;
    t.is(task.elementId, 'intake');
    t.is(task.formKey, 'camunda-forms:bpmn:UserTaskForm_intake');
  } finally {
    await te.close();
  }
});

test('a user task linked by form id gets the key of the form deployed with the BPMN', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    const deployment = await te.engine.deploy([
      fixture('fl-user-task-linked-form.bpmn'),
      fixture('fl-user-task-linked-form.form'),
    ]);
    t.is(deployment.forms.length, 1);
    t.is(deployment.forms[0].formId, 'fl-approval-form');

    // when
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-user-task-linked-form' });

    // then
    const [task] = (
      await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } })
    ).items;
    t.is(task.formKey, deployment.forms[0].formKey);
    const form = await te.engine.getForm(task.formKey!);
    t.is(form.formId, 'fl-approval-form');
    t.is((JSON.parse(form.schema) as { id: string }).id, 'fl-approval-form');
  } finally {
    await te.close();
  }
});

test('a user task linked to a form that is not deployed raises FORM_NOT_FOUND until the form is deployed and the incident resolved', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-user-task-linked-form');

    // when
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-user-task-linked-form' });

    // then
    const [incident] = await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey });
    t.is(incident.errorType, 'FORM_NOT_FOUND');
    t.is(incident.elementId, 'approve');
    t.is(
      (await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } })).total,
      0,
    );

    const deployment = await te.engine.deploy([fixture('fl-user-task-linked-form.form')]);
    await te.engine.resolveIncident(incident.incidentKey);
    const [task] = (
      await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } })
    ).items;
    t.is(task.formKey, deployment.forms[0].formKey);
    t.false((await te.engine.getProcessInstance(pi.processInstanceKey)).hasIncident);
  } finally {
    await te.close();
  }
});

test('a receive task waits for its message with the correlation key and merges the message variables', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-receive-task');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'fl-receive-task',
      variables: { orderId: 'O-1' },
    });

    // when / then: another key does not reach it
    await t.throwsAsync(te.engine.correlateMessage({ name: 'fl-payment-received', correlationKey: 'O-2' }), {
      instanceOf: NotFoundError,
      code: 'NO_SUBSCRIPTION',
    });
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'ACTIVE');

    const result = await te.engine.correlateMessage({
      name: 'fl-payment-received',
      correlationKey: 'O-1',
      variables: { paid: 120 },
    });
    t.is(result.processInstanceKey, pi.processInstanceKey);
    t.is((await te.engine.getProcessInstance(pi.processInstanceKey)).state, 'COMPLETED');
    t.deepEqual(await rootVariables(te.engine, pi.processInstanceKey), { orderId: 'O-1', paid: 120 });
  } finally {
    await te.close();
  }
});

test('manual tasks, plain tasks and none intermediate throw events pass straight through', async (t) => {
  const te = await createTestEngine();
  try {
    // given
    await te.deployFixture('fl-pass-through');

    // when
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'fl-pass-through' });

    // then
    t.is(pi.state, 'COMPLETED');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.deepEqual(activations(history), [
      ['start', 'START_EVENT'],
      ['manual', 'MANUAL_TASK'],
      ['plain', 'TASK'],
      ['milestone', 'INTERMEDIATE_THROW_EVENT'],
      ['end', 'END_EVENT'],
    ]);
    t.deepEqual(
      history.filter((e) => e.intent === 'ELEMENT_COMPLETED').map((e) => e.elementId),
      ['start', 'manual', 'plain', 'milestone', 'end'],
    );
    t.is(history.at(-1)?.intent, 'PROCESS_INSTANCE_COMPLETED');
  } finally {
    await te.close();
  }
});

test('a user task whose due date expression is null gets no due date, as in Zeebe', async (t) => {
  const te = await createTestEngine();
  t.teardown(() => te.close());
  const xml = fixture('fl-user-task-feel.bpmn').content;
  await te.engine.deploy([{ name: 'due-null.bpmn', content: xml }]);
  const pi = await te.engine.createProcessInstance({
    bpmnProcessId: 'fl-user-task-feel',
    variables: { handler: 'zhang3', groups: ['g1'], lead: 'li4', urgent: false, receivedAt: null },
  });
  const tasks = await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } });
  t.is(tasks.total, 1);
  t.is(tasks.items[0].dueDate, undefined);
  t.truthy(tasks.items[0].followUpDate);
  t.deepEqual(await te.engine.searchIncidents({ processInstanceKey: pi.processInstanceKey }), []);
});
