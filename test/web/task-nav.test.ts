import test from 'ava';
import { afterDone, neighbours } from '../../web/src/lib/task-nav.ts';

test('j and k move through the inbox list and stop at its ends', (t) => {
  t.deepEqual(neighbours(['1', '2', '3'], '2'), { prev: '1', next: '3' });
  t.deepEqual(neighbours(['1', '2', '3'], '1'), { prev: null, next: '2' });
  t.deepEqual(neighbours(['1', '2', '3'], '3'), { prev: '2', next: null });
});

test('a task opened from elsewhere goes to the first task of the list on j', (t) => {
  t.deepEqual(neighbours(['1', '2'], '9'), { prev: null, next: '1' });
  t.deepEqual(neighbours([], '9'), { prev: null, next: null });
});

test('after a task is done the next one opens, or the previous one at the end of the list', (t) => {
  t.is(afterDone(['1', '2', '3'], '2'), '3');
  t.is(afterDone(['1', '2', '3'], '3'), '2');
  t.is(afterDone(['1'], '1'), null);
  t.is(afterDone(['1', '2'], '9'), null);
});
