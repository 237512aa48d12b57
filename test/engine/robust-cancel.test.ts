import test from 'ava';
import { NotFoundError } from '../../common/errors.ts';
import { createTestEngine } from '../helpers/engine.ts';

test('cancelling an instance terminates its job, user task and timer and ends it TERMINATED', async (t) => {
  const te = await createTestEngine();
  try {
    // given an instance waiting in parallel at an activated job, a claimed user task and a one-hour timer
    await te.deployFixture('rb-cancel');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-cancel' });
    const [job] = await te.jobs('rb-cancel-work');
    const [task] = (
      await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } })
    ).items;
    await te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li' });

    // when it is cancelled
    await te.engine.cancelProcessInstance(pi.processInstanceKey, { actor: 'supervisor' });

    // then the instance is TERMINATED and its history ends with that
    const ended = await te.engine.getProcessInstance(pi.processInstanceKey);
    t.is(ended.state, 'TERMINATED');
    t.is(ended.endDate, new Date(te.clock.now()).toISOString());
    const history = await te.engine.getHistory(pi.processInstanceKey);
    t.is(history.at(-1)?.intent, 'PROCESS_INSTANCE_TERMINATED');
    t.is(history.at(-1)?.actor, 'supervisor');
    const cancelled = history.filter(
      (e) => e.position > history.findLast((x) => x.intent === 'USER_TASK_ASSIGNED')!.position,
    );
    t.deepEqual(
      cancelled
        .filter((e) => e.intent === 'ELEMENT_TERMINATED')
        .map((e) => e.elementId)
        .sort(),
      ['cancelWait', 'cancelReview', 'cancelWork'].sort(),
    );
    t.true(cancelled.some((e) => e.intent === 'JOB_CANCELED' && e.elementId === 'cancelWork'));
    t.true(cancelled.some((e) => e.intent === 'USER_TASK_CANCELED' && e.elementId === 'cancelReview'));

    // and the job is gone: the worker's completion is not found and nothing is handed out
    const error = await t.throwsAsync(
      te.engine.completeJob({ jobKey: job.key, activationKey: job.activationKey }),
      { instanceOf: NotFoundError },
    );
    t.is(error?.code, 'JOB_NOT_FOUND');
    t.deepEqual(await te.jobs('rb-cancel-work'), []);

    // and the user task is CANCELED and out of the inbox
    t.is((await te.engine.getUserTask(task.userTaskKey)).state, 'CANCELED');
    t.is((await te.engine.searchUserTasks({ filter: { state: 'CREATED' } })).total, 0);

    // and the timer is gone: two hours later nothing fires
    const length = history.length;
    await te.advance(2 * 3600_000);
    t.is((await te.engine.getHistory(pi.processInstanceKey)).length, length);
    const [timers] = await te.db.sequelize.query('SELECT COUNT(*) AS n FROM engine_timer');
    t.is(Number((timers as { n: number | string }[])[0].n), 0);
  } finally {
    await te.close();
  }
});

test('cancelling an instance twice is not found the second time', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-cancel');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'rb-cancel' });
    await te.engine.cancelProcessInstance(pi.processInstanceKey);
    const history = await te.engine.getHistory(pi.processInstanceKey);

    const error = await t.throwsAsync(te.engine.cancelProcessInstance(pi.processInstanceKey), {
      instanceOf: NotFoundError,
    });

    t.is(error?.code, 'PROCESS_INSTANCE_NOT_ACTIVE');
    t.regex(error?.message ?? '', new RegExp(`\\b${pi.processInstanceKey}\\b`));
    t.deepEqual(await te.engine.getHistory(pi.processInstanceKey), history);
  } finally {
    await te.close();
  }
});

test('cancelling an unknown instance is not found', async (t) => {
  const te = await createTestEngine();
  try {
    const error = await t.throwsAsync(te.engine.cancelProcessInstance('565656'), {
      instanceOf: NotFoundError,
    });
    t.regex(error?.message ?? '', /565656/);
  } finally {
    await te.close();
  }
});

test('cancelling an instance with an open incident resolves the incident', async (t) => {
  const te = await createTestEngine();
  try {
    // given an instance stuck at a CONDITION_ERROR
    await te.deployFixture('rb-condition');
    const pi = await te.engine.createProcessInstance({
      bpmnProcessId: 'rb-condition',
      variables: { amount: 50 },
    });
    t.is((await te.engine.searchIncidents({ state: 'ACTIVE' })).length, 1);

    // when it is cancelled
    await te.engine.cancelProcessInstance(pi.processInstanceKey);

    // then no incident stays open on the terminated instance
    t.deepEqual(await te.engine.searchIncidents({ state: 'ACTIVE' }), []);
    const ended = await te.engine.getProcessInstance(pi.processInstanceKey);
    t.is(ended.state, 'TERMINATED');
    t.false(ended.hasIncident);
  } finally {
    await te.close();
  }
});
