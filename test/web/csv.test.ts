import test from 'ava';
import { UTF8_BOM, csvCell, toCsv } from '../../web/src/lib/csv.ts';

test('a CSV starts with the BOM Excel needs for UTF-8 and ends lines with CRLF', (t) => {
  const csv = toCsv(['案件编号', '状态'], [['YZ1', '已办结']]);
  t.true(csv.startsWith(UTF8_BOM));
  t.is(csv, `${UTF8_BOM}案件编号,状态\r\nYZ1,已办结\r\n`);
});

test('cells with commas, quotes or line breaks are quoted', (t) => {
  t.is(csvCell('垃圾,三天'), '"垃圾,三天"');
  t.is(csvCell('他说"快点"'), '"他说""快点"""');
  t.is(csvCell('第一行\n第二行'), '"第一行\n第二行"');
});

test('a text a spreadsheet would run as a formula is defused', (t) => {
  t.is(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  t.is(csvCell('+86 138'), "'+86 138");
  t.is(csvCell('-1'), "'-1");
});

test('numbers stay numbers, empty values stay empty', (t) => {
  t.is(csvCell(-1), '-1');
  t.is(csvCell(null), '');
  t.is(csvCell(undefined), '');
  t.is(csvCell(Number.NaN), '');
});
