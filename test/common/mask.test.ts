import test from 'ava';
import {
  MAY_HOLD_PHONE_NUMBER,
  maskPersonalData,
  maskPhone,
  maskText,
  maskTextIn,
} from '../../common/mask.ts';

test('a mobile number keeps its first three and last four digits', (t) => {
  t.is(maskPhone('13812345678'), '138****5678');
  t.is(maskPhone(null), null);
});

test('phone fields and mobile numbers inside text are masked, other data is kept', (t) => {
  t.deepEqual(
    maskPersonalData({
      reporterPhone: '15900001111',
      description: '联系人 18612345678，井盖缺失',
      amount: 12,
      nested: [{ tel: '13800000000' }],
    }),
    {
      reporterPhone: '159****1111',
      description: '联系人 186****5678，井盖缺失',
      amount: 12,
      nested: [{ tel: '138****0000' }],
    },
  );
});

test('hashes and keys that contain a run of digits like a mobile number are left alone', (t) => {
  const sha256 = 'ab13812345678cd0e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7';
  const key = '2251799813812345678';
  t.deepEqual(maskPersonalData({ sha256, key, note: '来电13812345678反映' }), {
    sha256,
    key,
    note: '来电138****5678反映',
  });
});

test('mobile numbers written with +86 or split 3-4-4, and landlines with their area code, are masked in text', (t) => {
  t.is(maskText('市民 +86 13812345678 反映'), '市民 +86 138****5678 反映');
  t.is(maskText('来电+8613812345678'), '来电+86138****5678');
  t.is(maskText('0086-13812345678'), '0086-138****5678');
  t.is(maskText('回电 138-1234-5678 或 138 1234 5678'), '回电 138-****-5678 或 138 **** 5678');
  t.is(maskText('值班室0514-87654321转8'), '值班室0514-****4321转8');
  t.is(maskText('座机 (0514)8765432，025 83456789'), '座机 (0514)****5432，025 ****6789');
  t.is(maskText('051487654321'), '0514****4321');
});

test('dates, case numbers, keys, ID numbers and decimals in text are not phone numbers', (t) => {
  const text =
    '2026-11-29 08:30，案件 YZ20261129000123，实例 2251799813685249，身份证 320321199001011234，' +
    '坐标 119.13812345678，编号 A0514876543，金额 13800.50 元';
  t.is(maskText(text), text);
  t.false(
    MAY_HOLD_PHONE_NUMBER.test(JSON.stringify({ key: '2251799813685249', at: '2026-11-29T08:30:00.000Z' })),
  );
});

test('maskTextIn masks the strings of an answer and leaves numbers, keys and the unmasked answer alone', (t) => {
  const plain = { items: [{ id: 13812345678, note: '井盖缺失' }] };
  t.is(maskTextIn(plain, JSON.stringify(plain)), plain);
  const answer = { items: [{ id: 13812345678, phoneNote: '联系 13912345678', at: new Date(0) }] };
  t.deepEqual(maskTextIn(answer, JSON.stringify(answer)), {
    items: [{ id: 13812345678, phoneNote: '联系 139****5678', at: new Date(0) }],
  });
  // Every string maskText changes shows in its JSON text to the quick test, a control character before it too.
  for (const s of ['\n13812345678', '\u000113812345678', '+8613812345678', '0514-87654321', '(0514)87654321'])
    t.true(MAY_HOLD_PHONE_NUMBER.test(JSON.stringify({ s })), JSON.stringify(s));
});
