import test from 'ava';
import { createTestEngine } from '../helpers/engine.ts';

test('runs the six-step flow from start to end', async (t) => {
  const te = await createTestEngine();
  try {
    await te.deployFixture('six-step');
    const pi = await te.engine.createProcessInstance({ bpmnProcessId: 'six-step', variables: { caseId: 7 } });
    t.is(pi.state, 'ACTIVE');
    await te.completeOne('classify', { urgency: 'high' });
    const tasks = await te.engine.searchUserTasks({
      filter: { candidateGroups: ['handlers'], state: 'CREATED' },
    });
    t.is(tasks.total, 1);
    await te.engine.completeUserTask({
      userTaskKey: tasks.items[0].userTaskKey,
      variables: { result: 'done' },
      actor: 'zhang',
    });
    await te.completeOne('notify');
    const done = await te.engine.getProcessInstance(pi.processInstanceKey);
    t.is(done.state, 'COMPLETED');
    const history = await te.engine.getHistory(pi.processInstanceKey);
    const flows = history.filter((e) => e.intent === 'SEQUENCE_FLOW_TAKEN').map((e) => e.elementId);
    t.deepEqual(flows, ['f1', 'f2', 'f3', 'f5', 'f6']);
    const vars = await te.engine.getVariables(pi.processInstanceKey);
    t.deepEqual(
      vars.map((v) => [v.name, v.value]),
      [
        ['caseId', 7],
        ['result', 'done'],
        ['urgency', 'high'],
      ],
    );
  } finally {
    await te.close();
  }
});
