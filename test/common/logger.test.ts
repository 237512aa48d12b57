import { Writable } from 'node:stream';
import test from 'ava';
import { createLogger } from '../../common/logger.ts';

test('phone numbers in a log line’s message, fields and error are masked; redacted paths stay redacted', (t) => {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger('info', out);
  log.info(
    { note: '回电 13812345678', reporterPhone: '13912345678', err: new Error('座机 0514-87654321 无人接听') },
    '来电 +86 13712345678',
  );
  t.is(lines.length, 1);
  const line = JSON.parse(lines[0]) as {
    note: string;
    reporterPhone: string;
    err: { message: string; stack: string };
    msg: string;
  };
  t.is(line.note, '回电 138****5678');
  t.is(line.reporterPhone, '[redacted]');
  t.is(line.err.message, '座机 0514-****4321 无人接听');
  t.false(line.err.stack.includes('87654321'));
  t.is(line.msg, '来电 +86 137****5678');
  t.false(/(?<!\d)1[3-9]\d{9}(?!\d)|87654321/.test(lines[0]), lines[0]);
});
