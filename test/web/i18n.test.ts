import test from 'ava';
import { en } from '../../web/src/i18n/en.ts';
import { labelOf, translate } from '../../web/src/i18n/translate.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';

test('both dictionaries have the same keys and no empty message', (t) => {
  t.deepEqual(Object.keys(en).sort(), Object.keys(zhCN).sort());
  for (const [k, v] of [...Object.entries(en), ...Object.entries(zhCN)]) t.true(v.length > 0, k);
});

test('messages take parameters by name and keep unknown ones', (t) => {
  t.is(translate('zh-CN', 'intake.created', { caseNo: 'YZ1' }), '已受理：YZ1');
  t.is(translate('en', 'intake.created', { caseNo: 'YZ1' }), 'Filed: YZ1');
  t.is(translate('en', 'intake.created'), 'Filed: {caseNo}');
});

test('labels come from key families, an unknown value shows as itself', (t) => {
  t.is(labelOf('zh-CN', 'status', 'closed'), '已办结');
  t.is(labelOf('en', 'action', 'return'), 'Return');
  t.is(labelOf('zh-CN', 'status', 'something_new'), 'something_new');
  t.is(labelOf('zh-CN', 'status', null), '');
});
