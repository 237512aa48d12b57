import { readFileSync } from 'node:fs';
import test from 'ava';
import type { FormSchema } from '../../web/src/lib/form-actions.ts';
import {
  offeredIds,
  orgFieldsOf,
  scopeOf,
  slotSelector,
  withOrgSlots,
} from '../../web/src/lib/org-fields.ts';

const form = (id: string): FormSchema =>
  JSON.parse(
    readFileSync(new URL(`../../processes/forms/${id}.form`, import.meta.url), 'utf8'),
  ) as FormSchema;

test('the dispatch forms name their target in dispatchUnitId (the city) and handlerUnitId (a town)', (t) => {
  t.like(orgFieldsOf(form('dispatch-city')), [
    {
      key: 'dispatchUnitId',
      label: '分拨单位',
      required: true,
      hide: null,
      optionsKey: 'dispatchOptions',
      level: 'city',
    },
  ]);
  t.like(orgFieldsOf(form('dispatch-town')), [
    {
      key: 'handlerUnitId',
      label: '处置单位',
      required: true,
      hide: '=not(lastAction = "dispatch")',
      optionsKey: 'handlerOptions',
      level: 'town',
    },
  ]);
  t.is(orgFieldsOf(form('dispatch-town')).length, 1, 'the joint lead unit stays a plain select');
  t.deepEqual(
    orgFieldsOf(form('decide-return')).map((f) => f.key),
    ['handlerUnitId'],
  );
});

test('forms without a dispatch target have no picker field', (t) => {
  t.deepEqual(orgFieldsOf(form('register')), []);
  t.deepEqual(orgFieldsOf(form('handle')), []);
  t.deepEqual(orgFieldsOf(null), []);
});

test('a target field becomes a slot at its place, with its id and condition; the rest is untouched', (t) => {
  // given the town's dispatch form
  const original = form('dispatch-town');
  const before = JSON.stringify(original);

  // when its target field is swapped for a slot
  const swapped = withOrgSlots(original, orgFieldsOf(original));

  // then the slot sits where the select was, hidden by the same condition, and nothing else changed
  const i = original.components!.findIndex((c) => c.key === 'handlerUnitId');
  t.like(swapped.components![i], {
    type: 'text',
    id: 'Field_handlerUnitId',
    conditional: { hide: '=not(lastAction = "dispatch")' },
  });
  t.false('key' in swapped.components![i]);
  t.true((swapped.components![i] as unknown as { text: string }).text.includes('gf-org-slot--handlerUnitId'));
  t.is(slotSelector('handlerUnitId'), '.gf-org-slot--handlerUnitId');
  t.deepEqual(
    swapped.components!.filter((_, j) => j !== i),
    original.components!.filter((_, j) => j !== i),
  );
  t.is(JSON.stringify(original), before, 'the task’s schema is not changed in place');
  t.is(withOrgSlots(form('handle'), []).components?.length, form('handle').components?.length);
});

test('the town of a 二级分拨 is the one the city named, else the case’s own town', (t) => {
  const [town] = orgFieldsOf(form('dispatch-town'));
  const [city] = orgFieldsOf(form('dispatch-city'));
  t.deepEqual(scopeOf(town, { dispatchUnitKind: 'town', dispatchUnitId: 10, townId: 20 }), {
    level: 'town',
    townId: 10,
  });
  t.deepEqual(scopeOf(town, { dispatchUnitKind: 'department', dispatchUnitId: 2, townId: 20 }), {
    level: 'town',
    townId: 20,
  });
  t.deepEqual(scopeOf(town, {}), { level: 'town', townId: null });
  t.deepEqual(scopeOf(city, { townId: 20 }), { level: 'city' });
});

test('the units the server offers are read from the field’s options', (t) => {
  const [town] = orgFieldsOf(form('dispatch-town'));
  t.deepEqual(
    offeredIds(town, {
      handlerOptions: [
        { label: '胥浦社区', value: 11 },
        { label: 'x', value: 'bad' },
      ],
    }),
    new Set([11]),
  );
  t.is(offeredIds(town, {}), null);
});
