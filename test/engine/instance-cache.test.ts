import test from 'ava';
import type { ProcessModel } from '../../engine/model/process-model.ts';
import { InstanceCache } from '../../engine/embedded/instance-cache.ts';
import { InstanceState } from '../../engine/embedded/instance-state.ts';

// The cache hands out copies: what one command changes in the state it loaded (a join's token count, a
// multi-instance counter, a variable) must not reach the cache until that command stores it after success.

function committedState(): InstanceState {
  const state = new InstanceState(
    {
      key: 1,
      rootKey: 1,
      processDefinitionKey: 7,
      bpmnProcessId: 'p',
      version: 1,
      state: 'ACTIVE',
      parentProcessInstanceKey: null,
      parentElementInstanceKey: null,
      messageCorrelationKey: null,
      incidentCount: 0,
      lockVersion: 3,
      startedAt: 0,
      endedAt: null,
    },
    {} as ProcessModel,
    false,
  );
  state.put(
    {
      key: 1,
      processInstanceKey: 1,
      flowScopeKey: null,
      elementId: 'p',
      elementType: 'PROCESS',
      state: 'ACTIVATED',
      data: { joins: { 'join-1': { 'flow-a': 1 } } },
      createdAt: 0,
    },
    true,
  );
  state.put(
    {
      key: 2,
      processInstanceKey: 1,
      flowScopeKey: 1,
      elementId: 'review',
      elementType: 'USER_TASK',
      state: 'ACTIVATED',
      data: { mi: { nextIndex: 2 } as never, pendingVariables: { list: [1, 2] } },
      createdAt: 0,
    },
    true,
  );
  state.variables.set(1, new Map([['x', { value: 1, json: '1' }]]));
  return state;
}

test('a loaded instance is a deep copy: changing it leaves the cached state as committed', (t) => {
  const cache = new InstanceCache();
  cache.store([committedState()]);

  // when a command changes everything it can reach in the state it loaded
  const first = cache.load(1)!;
  first.row.lockVersion = 4;
  first.elements.get(1)!.data.joins!['join-1']['flow-a'] = 2;
  (first.elements.get(2)!.data.pendingVariables!.list as number[]).push(3);
  first.elements.get(2)!.state = 'COMPLETED';
  first.variables.get(1)!.set('x', { value: 2, json: '2' });

  // then the next command loads the state as it was committed
  const second = cache.load(1)!;
  t.is(second.row.lockVersion, 3);
  t.deepEqual(second.elements.get(1)!.data, { joins: { 'join-1': { 'flow-a': 1 } } });
  t.deepEqual(second.elements.get(2)!.data.pendingVariables, { list: [1, 2] });
  t.is(second.elements.get(2)!.state, 'ACTIVATED');
  t.is(second.variables.get(1)!.get('x')!.value, 1);

  // and once a command stores its state, the next one loads that
  cache.store([first]);
  t.is(cache.load(1)!.elements.get(1)!.data.joins!['join-1']['flow-a'], 2);
});

test("a scope's lookup answers as its visible variables: inner scopes shadow outer ones, a missing name is undefined", (t) => {
  const state = committedState();
  state.variables.set(
    2,
    new Map([
      ['x', { value: 'inner', json: '"inner"' }],
      ['y', { value: null, json: 'null' }],
    ]),
  );
  const lookup = state.lookup(2);
  const visible = state.visible(2);
  t.deepEqual(visible, { x: 'inner', y: null });
  for (const name of ['x', 'y', 'z']) t.is(lookup(name), visible[name]);
  t.is(state.lookup(1)('x'), 1);
});
