import test from 'ava';
import { maskPersonalData, maskPhone } from '../../common/mask.ts';

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
