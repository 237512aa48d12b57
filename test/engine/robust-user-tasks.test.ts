import test from 'ava';
import { QueryTypes } from 'sequelize';
import { ConflictError, NotFoundError } from '../../common/errors.ts';
import type { ExportContext, UserTask, Variables } from '../../engine/port.ts';
import { type TestEngine, createTestEngine } from '../helpers/engine.ts';

/** Starts a review and returns its user task. */
async function startReview(te: TestEngine, groups: string[], due: string): Promise<UserTask> {
  const pi = await te.engine.createProcessInstance({
    bpmnProcessId: 'rb-user-task',
    variables: { groups, due },
  });
  const found = await te.engine.searchUserTasks({ filter: { processInstanceKey: pi.processInstanceKey } });
  if (found.items.length !== 1) throw new Error(`expected one user task, got ${found.items.length}`);
  return found.items[0];
}

test('a claim fails while someone else holds the task, and succeeds once it is unassigned', async (t) => {
  const te = await createTestEngine();
  try {
    // given a review claimed by li
    await te.deployFixture('rb-user-task');
    const task = await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');
    t.is(task.assignee, undefined);
    await te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li', allowOverride: false });

    // when wang claims it
    const error = await t.throwsAsync(
      te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'wang', allowOverride: false }),
      { instanceOf: ConflictError },
    );

    // then the claim is refused and li keeps it
    t.is(error?.code, 'TASK_ALREADY_ASSIGNED');
    t.regex(error?.message ?? '', /"li"/);
    t.is((await te.engine.getUserTask(task.userTaskKey)).assignee, 'li');

    // when li's claim is released, wang's claim goes through
    await te.engine.unassignUserTask({ userTaskKey: task.userTaskKey, actor: 'li' });
    t.is((await te.engine.getUserTask(task.userTaskKey)).assignee, undefined);
    await te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'wang', allowOverride: false });
    t.is((await te.engine.getUserTask(task.userTaskKey)).assignee, 'wang');

    // and a supervisor's assignment (override allowed) replaces wang
    await te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'zhao', actor: 'supervisor' });
    t.is((await te.engine.getUserTask(task.userTaskKey)).assignee, 'zhao');

    const events = (await te.engine.getHistory(task.processInstanceKey))
      .filter((e) => e.intent === 'USER_TASK_ASSIGNED' || e.intent === 'USER_TASK_UNASSIGNED')
      .map((e) => [e.intent, e.actor, e.payload.assignee ?? null]);
    t.deepEqual(events, [
      ['USER_TASK_ASSIGNED', 'li', 'li'],
      ['USER_TASK_UNASSIGNED', 'li', null],
      ['USER_TASK_ASSIGNED', 'wang', 'wang'],
      ['USER_TASK_ASSIGNED', 'supervisor', 'zhao'],
    ]);
  } finally {
    await te.close();
  }
});

test('updating due date, priority and candidate groups shows in the task and in searches', async (t) => {
  const te = await createTestEngine();
  try {
    // given a review offered to reviewers
    await te.deployFixture('rb-user-task');
    const task = await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');
    t.is(task.priority, 50);
    t.deepEqual(task.candidateGroups, ['reviewers']);
    t.is(task.dueDate, '2026-01-08T09:00:00.000Z');

    // when it is moved to supervisors with a later due date and a higher priority
    await te.engine.updateUserTask({
      userTaskKey: task.userTaskKey,
      changeset: { dueDate: '2026-02-01T08:00:00.000Z', priority: 80, candidateGroups: ['supervisors'] },
      actor: 'dispatcher',
    });

    // then the task and the searches by group see the change
    const updated = await te.engine.getUserTask(task.userTaskKey);
    t.is(updated.dueDate, '2026-02-01T08:00:00.000Z');
    t.is(updated.priority, 80);
    t.deepEqual(updated.candidateGroups, ['supervisors']);
    t.is((await te.engine.searchUserTasks({ filter: { candidateGroups: ['supervisors'] } })).total, 1);
    t.is((await te.engine.searchUserTasks({ filter: { candidateGroups: ['reviewers'] } })).total, 0);
    const before = await te.engine.searchUserTasks({ filter: { dueBefore: '2026-01-10T00:00:00.000Z' } });
    t.is(before.total, 0);
    const update = (await te.engine.getHistory(task.processInstanceKey)).find(
      (e) => e.intent === 'USER_TASK_UPDATED',
    );
    t.is(update?.actor, 'dispatcher');
    t.deepEqual(update?.payload.changes, {
      dueDate: '2026-02-01T08:00:00.000Z',
      priority: 80,
      candidateGroups: ['supervisors'],
    });
  } finally {
    await te.close();
  }
});

test('searches filter by state, assignee, candidate group, instance and due date, sort by due date and page', async (t) => {
  const te = await createTestEngine();
  try {
    // given five reviews: one assigned, one completed
    await te.deployFixture('rb-user-task');
    const a = await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');
    const b = await startReview(te, ['reviewers', 'supervisors'], '2026-01-06T09:00:00.000Z');
    const c = await startReview(te, ['supervisors'], '2026-01-07T09:00:00.000Z');
    const d = await startReview(te, ['reviewers'], '2026-01-20T09:00:00.000Z');
    const e = await startReview(te, ['reviewers'], '2026-01-05T12:00:00.000Z');
    await te.engine.assignUserTask({ userTaskKey: d.userTaskKey, assignee: 'li' });
    await te.engine.completeUserTask({ userTaskKey: e.userTaskKey, actor: 'li' });
    const name = new Map([a, b, c, d, e].map((task, i) => [task.userTaskKey, 'abcde'[i]]));
    const names = (r: { items: UserTask[] }): string[] => r.items.map((task) => name.get(task.userTaskKey)!);

    // then every filter, sort and page holds
    const open = await te.engine.searchUserTasks({
      filter: { state: 'CREATED' },
      sort: [{ field: 'dueDate', order: 'ASC' }],
    });
    t.deepEqual(names(open), ['b', 'c', 'a', 'd']);
    t.is(open.total, 4);

    const reviewersLatestFirst = await te.engine.searchUserTasks({
      filter: { state: 'CREATED', candidateGroups: ['reviewers'] },
      sort: [{ field: 'dueDate', order: 'DESC' }],
    });
    t.deepEqual(names(reviewersLatestFirst), ['d', 'a', 'b']);

    const anyOfGroups = await te.engine.searchUserTasks({
      filter: { state: 'CREATED', candidateGroups: ['supervisors', 'nobody'] },
      sort: [{ field: 'dueDate' }],
    });
    t.deepEqual(names(anyOfGroups), ['b', 'c']);

    t.deepEqual(names(await te.engine.searchUserTasks({ filter: { assignee: 'li' } })), ['d']);
    t.deepEqual(names(await te.engine.searchUserTasks({ filter: { state: 'CREATED', unassigned: true } })), [
      'a',
      'b',
      'c',
    ]);
    t.deepEqual(
      names(await te.engine.searchUserTasks({ filter: { processInstanceKey: c.processInstanceKey } })),
      ['c'],
    );
    t.deepEqual(names(await te.engine.searchUserTasks({ filter: { state: 'COMPLETED' } })), ['e']);

    const dueSoon = await te.engine.searchUserTasks({
      filter: { state: 'CREATED', dueBefore: '2026-01-08T00:00:00.000Z' },
      sort: [{ field: 'dueDate', order: 'ASC' }],
    });
    t.deepEqual(names(dueSoon), ['b', 'c']);
    t.is(dueSoon.total, 2);

    const page = await te.engine.searchUserTasks({
      filter: { state: 'CREATED' },
      sort: [{ field: 'dueDate', order: 'ASC' }],
      page: { from: 1, limit: 2 },
    });
    t.deepEqual(names(page), ['c', 'a']);
    t.is(page.total, 4);

    const pastTheEnd = await te.engine.searchUserTasks({
      filter: { state: 'CREATED' },
      page: { from: 4, limit: 2 },
    });
    t.deepEqual(pastTheEnd.items, []);
    t.is(pastTheEnd.total, 4);
  } finally {
    await te.close();
  }
});

test('completing with an action name records the action and who completed it', async (t) => {
  const te = await createTestEngine();
  try {
    // given a review held by li
    await te.deployFixture('rb-user-task');
    const task = await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');
    await te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li' });
    te.clock.advance(60_000);

    // when li completes it as an approval
    await te.engine.completeUserTask({
      userTaskKey: task.userTaskKey,
      action: 'approve',
      variables: { decision: 'approved' },
      actor: 'li',
    });

    // then the task shows the action, the completer and the time, and the instance went on
    const done = await te.engine.getUserTask(task.userTaskKey);
    t.is(done.state, 'COMPLETED');
    t.is(done.action, 'approve');
    t.is(done.completedBy, 'li');
    t.is(done.completionDate, new Date(te.clock.now()).toISOString());
    t.is((await te.engine.getProcessInstance(task.processInstanceKey)).state, 'COMPLETED');
    const completed = (await te.engine.getHistory(task.processInstanceKey)).filter(
      (e) => e.intent === 'USER_TASK_COMPLETED',
    );
    t.is(completed.length, 1);
    t.is(completed[0].actor, 'li');
    t.like(completed[0].payload, { action: 'approve', assignee: 'li' });
    const decision = (await te.engine.getVariables(task.processInstanceKey)).find(
      (v) => v.name === 'decision',
    );
    t.is(decision?.value, 'approved');
  } finally {
    await te.close();
  }
});

test('a completion’s own writes (within) see the task’s variables and commit with it; nothing when the task is closed or within throws', async (t) => {
  const te = await createTestEngine();
  try {
    await te.db.sequelize.query('CREATE TABLE side_effect (note VARCHAR(32) NOT NULL)');
    const notes = async () =>
      (
        await te.db.sequelize.query('SELECT note FROM side_effect ORDER BY note', { type: QueryTypes.SELECT })
      ).map((r) => (r as { note: string }).note);
    const write =
      (note: string) =>
      async ({ sql, variables }: ExportContext & { variables: Variables }) => {
        await sql.run('INSERT INTO side_effect (note) VALUES (?)', [`${note}:${String(variables.due)}`]);
        return { note };
      };
    // given a review held by li
    await te.deployFixture('rb-user-task');
    const task = await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');
    await te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li' });

    // when the completion's writes throw, they are rolled back with it and the task stays open
    await t.throwsAsync(
      te.engine.completeUserTask({
        userTaskKey: task.userTaskKey,
        within: async (context) => {
          await write('thrown')(context);
          throw new Error('the projection refused');
        },
      }),
      { message: 'the projection refused' },
    );
    t.deepEqual(await notes(), []);
    t.is((await te.engine.getUserTask(task.userTaskKey)).state, 'CREATED');

    // when it completes with writes that succeed, they commit with it and their variables complete the task
    await te.engine.completeUserTask({
      userTaskKey: task.userTaskKey,
      action: 'approve',
      variables: { decision: 'approved' },
      within: write('done'),
    });
    t.deepEqual(await notes(), ['done:2026-01-08T09:00:00.000Z']);
    t.is((await te.engine.getProcessInstance(task.processInstanceKey)).state, 'COMPLETED');
    const variables = Object.fromEntries(
      (await te.engine.getVariables(task.processInstanceKey)).map((v) => [v.name, v.value]),
    );
    t.like(variables, { decision: 'approved', note: 'done' });
    const completed = (await te.engine.getHistory(task.processInstanceKey)).find(
      (e) => e.intent === 'USER_TASK_COMPLETED',
    );
    t.deepEqual(completed?.payload.variables, { decision: 'approved' }, 'what the completer submitted');
    t.deepEqual(completed?.payload.derivedVariables, { note: 'done' }, 'what its own writes returned');

    // then a second completion of the closed task is refused before its writes run
    await t.throwsAsync(
      te.engine.completeUserTask({ userTaskKey: task.userTaskKey, within: write('late') }),
      { instanceOf: ConflictError },
    );
    t.deepEqual(await notes(), ['done:2026-01-08T09:00:00.000Z']);
  } finally {
    await te.close();
  }
});

test('of two concurrent completions of one task exactly one wins and the other is a conflict', async (t) => {
  const te = await createTestEngine();
  try {
    // given an open review
    await te.deployFixture('rb-user-task');
    const task = await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');

    // when two users complete it at the same moment
    const results = await Promise.allSettled([
      te.engine.completeUserTask({ userTaskKey: task.userTaskKey, variables: { by: 'li' }, actor: 'li' }),
      te.engine.completeUserTask({ userTaskKey: task.userTaskKey, variables: { by: 'wang' }, actor: 'wang' }),
    ]);

    // then one completion went through and the other was refused as a conflict
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    t.is(fulfilled.length, 1);
    t.is(rejected.length, 1);
    t.true(rejected[0].reason instanceof ConflictError, String(rejected[0].reason));
    t.is((rejected[0].reason as ConflictError).code, 'TASK_NOT_OPEN');
    const winner = results[0].status === 'fulfilled' ? 'li' : 'wang';

    // and the instance moved on exactly once, with the winner's variables
    const history = await te.engine.getHistory(task.processInstanceKey);
    t.is(history.filter((e) => e.intent === 'USER_TASK_COMPLETED').length, 1);
    t.is(history.filter((e) => e.intent === 'PROCESS_INSTANCE_COMPLETED').length, 1);
    const done = await te.engine.getUserTask(task.userTaskKey);
    t.is(done.completedBy, winner);
    t.is(done.action, 'complete');
    const by = (await te.engine.getVariables(task.processInstanceKey)).find((v) => v.name === 'by');
    t.is(by?.value, winner);
  } finally {
    await te.close();
  }
});

test('completing, assigning or reading an unknown user task is not found and names the key', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('rb-user-task');
    await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');

    for (const attempt of [
      () => te.engine.completeUserTask({ userTaskKey: '123456789' }),
      () => te.engine.assignUserTask({ userTaskKey: '123456789', assignee: 'li' }),
      () => te.engine.getUserTask('123456789'),
    ]) {
      const error = await t.throwsAsync(attempt(), { instanceOf: NotFoundError });
      t.is(error?.code, 'USER_TASK_NOT_FOUND');
      t.regex(error?.message ?? '', /123456789/);
    }
    t.is((await te.engine.searchUserTasks({ filter: { state: 'CREATED' } })).total, 1);
  } finally {
    await te.close();
  }
});

test("a caller's check sees the task inside the command, before its state is checked, and a refusal writes nothing", async (t) => {
  const te = await createTestEngine();
  try {
    // given a review offered to reviewers
    await te.deployFixture('rb-user-task');
    const task = await startReview(te, ['reviewers'], '2026-01-08T09:00:00.000Z');
    const historyBefore = (await te.engine.getHistory(task.processInstanceKey)).length;

    // when a claim's check refuses
    const seen: UserTask[] = [];
    const refusal = new Error('not offered to you');
    const error = await t.throwsAsync(
      te.engine.assignUserTask({
        userTaskKey: task.userTaskKey,
        assignee: 'wang',
        check: (current) => {
          seen.push(current);
          throw refusal;
        },
      }),
    );

    // then the refusal is the outcome, the check saw the task, and nothing was written
    t.is(error, refusal);
    t.deepEqual(
      seen.map((s) => [s.userTaskKey, s.elementId, s.state, s.candidateGroups]),
      [[task.userTaskKey, task.elementId, 'CREATED', ['reviewers']]],
    );
    t.is((await te.engine.getUserTask(task.userTaskKey)).assignee, undefined);
    t.is((await te.engine.getHistory(task.processInstanceKey)).length, historyBefore);

    // when a check passes, the claim goes through; its completion's `within` gets the task as well
    await te.engine.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li', check: () => undefined });
    let withinTask: UserTask | undefined;
    await te.engine.completeUserTask({
      userTaskKey: task.userTaskKey,
      actor: 'li',
      check: async (current) => {
        if (current.assignee !== 'li') throw new Error('li must hold it');
      },
      within: async ({ task: current }) => {
        withinTask = current;
      },
    });
    t.is(withinTask?.userTaskKey, task.userTaskKey);
    t.is(withinTask?.assignee, 'li');

    // and on the completed task a check still comes first: its answer, not the engine's "already completed"
    const afterClose = await t.throwsAsync(
      te.engine.completeUserTask({
        userTaskKey: task.userTaskKey,
        check: (current) => {
          throw new NotFoundError('TASK_NOT_FOUND', `no task ${current.userTaskKey} for you`);
        },
      }),
      { instanceOf: NotFoundError },
    );
    t.is(afterClose?.code, 'TASK_NOT_FOUND');
    const withoutCheck = await t.throwsAsync(te.engine.completeUserTask({ userTaskKey: task.userTaskKey }), {
      instanceOf: ConflictError,
    });
    t.is(withoutCheck?.code, 'TASK_NOT_OPEN');
  } finally {
    await te.close();
  }
});
