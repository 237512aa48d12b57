import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  type FormSchema,
  actionFieldOf,
  chosenAction,
  fieldLabels,
  photoFieldsOf,
  problemFieldKey,
} from '../../web/src/lib/form-actions.ts';

const form = (id: string): FormSchema =>
  JSON.parse(
    readFileSync(new URL(`../../processes/forms/${id}.form`, import.meta.url), 'utf8'),
  ) as FormSchema;

test('forms that choose the action in a lastAction field are driven by it', (t) => {
  t.is(actionFieldOf(form('handle'), ['complete', 'return', 'extend', 'park']), 'lastAction');
  t.is(actionFieldOf(form('register'), ['register', 'void']), 'lastAction');
});

test('the verify form carries its action in verifyResult, whose options are exactly the actions', (t) => {
  t.is(actionFieldOf(form('verify'), ['pass', 'fail']), 'verifyResult');
});

test('a form without an action field has none', (t) => {
  t.is(actionFieldOf(form('close'), ['close']), null);
  t.is(actionFieldOf(null, ['complete']), null);
});

test('the action is the pressed button, else the action field, else the only action', (t) => {
  const actions = ['complete', 'return'];
  t.is(chosenAction(actions, 'lastAction', { lastAction: 'return' }, 'complete'), 'complete');
  t.is(chosenAction(actions, 'lastAction', { lastAction: 'return' }), 'return');
  t.is(chosenAction(actions, 'lastAction', {}), null);
  t.is(chosenAction(actions, 'lastAction', { lastAction: 'bogus' }), null);
  t.is(chosenAction(['close'], null, {}), 'close');
});

test('photo fields are found by their key', (t) => {
  t.deepEqual(photoFieldsOf(form('handle')), ['photoIds']);
  t.deepEqual(photoFieldsOf(form('verify')), ['verifyPhotoIds']);
  t.deepEqual(photoFieldsOf(form('close')), []);
});

test('problem fields name form fields, whose labels the page shows', (t) => {
  t.is(problemFieldKey('body.variables.handleResult'), 'handleResult');
  t.is(problemFieldKey('body.action'), null);
  t.is(fieldLabels(form('handle')).handleResult, '处置结果');
});
