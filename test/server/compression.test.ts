import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import express from 'express';
import { silentLogger } from '../../common/logger.ts';
import { DEMO_PASSWORD } from '../../db/seed/demo-seed.ts';
import { createApp } from '../../server/app.ts';
import { compress } from '../../server/http/compress.ts';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';

// Compression of the whole app (server/http/compress.ts mounted in server/app.ts): API JSON and the web app's
// hashed JS go out gzipped when the client asks and plain when it does not; byte ranges and attachment
// downloads keep their exact bytes, ETag and Content-Range.

/** A JS chunk large enough to compress (over compression's 1 KiB threshold) and easy to recognise. */
const CHUNK = `export const answer = ${JSON.stringify('网格化'.repeat(2000))};\n`;
/** A real 1×1 PNG padded after IEND to 4 KiB (viewers ignore the tail; the sniffed type stays image/png). */
const PNG = Buffer.concat([
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
  Buffer.alloc(4096, 'a'),
]);

let w: CaseWorld;
let server: Server;
let base: string;
let distDir: string;
let dispatcher: Record<string, string>;

test.before(async () => {
  w = await createCaseWorld();
  distDir = mkdtempSync(path.join(os.tmpdir(), 'gf-compress-'));
  mkdirSync(path.join(distDir, 'assets'));
  writeFileSync(path.join(distDir, 'assets', 'index-AbC123.js'), CHUNK);
  writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><div id="root"></div>');
  const app = createApp(
    { ...w.deps, log: silentLogger, dataDir: w.db.dataDir, info: { engine: 'embedded', database: 'test' } },
    { webDistDir: distDir },
  );
  server = app.listen(0);
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'city.dispatcher', password: DEMO_PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  dispatcher = { authorization: `Bearer ${token}` };
});

test.after.always(async () => {
  if (server) await new Promise<void>((r) => server.close(() => r()));
  await w?.close();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

/** A GET with exactly these headers (fetch would add its own Accept-Encoding and decode), body as sent. */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${url}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('a hashed JS asset is gzipped when the client accepts gzip, and sent plain when it does not', async (t) => {
  // given the built app's chunk
  const url = '/assets/index-AbC123.js';

  // when a browser that takes gzip asks for it
  const zipped = await get(url, { 'accept-encoding': 'gzip' });

  // then it comes gzipped, still cached for a year, varying by encoding, and unzips to the file
  t.is(zipped.status, 200);
  t.is(zipped.headers['content-encoding'], 'gzip');
  t.regex(String(zipped.headers.vary), /Accept-Encoding/i);
  t.regex(String(zipped.headers['cache-control']), /immutable/);
  t.true(zipped.body.length < Buffer.byteLength(CHUNK) / 4);
  t.is(gunzipSync(zipped.body).toString('utf8'), CHUNK);

  // and a client that asks for no encoding gets the bytes as they are, with their length
  const plain = await get(url, { 'accept-encoding': 'identity' });
  t.is(plain.status, 200);
  t.is(plain.headers['content-encoding'], undefined);
  t.is(Number(plain.headers['content-length']), Buffer.byteLength(CHUNK));
  t.is(plain.body.toString('utf8'), CHUNK);
});

test('API JSON is gzipped when asked and plain when not', async (t) => {
  // given the org tree, a JSON answer of some size
  const url = '/api/org-units/tree';

  // when asked with and without gzip
  const zipped = await get(url, { ...dispatcher, 'accept-encoding': 'gzip, deflate' });
  const plain = await get(url, dispatcher);

  // then the first is gzip of the second
  t.is(zipped.status, 200);
  t.is(zipped.headers['content-encoding'], 'gzip');
  t.is(plain.headers['content-encoding'], undefined);
  t.regex(String(plain.headers['content-type']), /application\/json/);
  t.deepEqual(JSON.parse(gunzipSync(zipped.body).toString('utf8')), JSON.parse(plain.body.toString('utf8')));
});

test('a byte range of an asset is sent as those bytes, never gzipped', async (t) => {
  // when a client that also takes gzip asks for the first 2 KiB
  const part = await get('/assets/index-AbC123.js', { 'accept-encoding': 'gzip', range: 'bytes=0-2047' });

  // then it gets exactly those bytes of the file, with their range
  t.is(part.status, 206);
  t.is(part.headers['content-encoding'], undefined);
  t.is(part.headers['content-range'], `bytes 0-2047/${Buffer.byteLength(CHUNK)}`);
  t.deepEqual(part.body, Buffer.from(CHUNK).subarray(0, 2048));
});

test('an attachment download keeps its ETag, length and ranges when the client accepts gzip', async (t) => {
  // given a case with a photo
  const filed = await w.file({ source: 'hotline_12345', description: '井盖破损，附照片' });
  const body = new FormData();
  body.append('file', new Blob([PNG], { type: 'image/png' }), '井盖.png');
  const uploaded = await fetch(`${base}/api/cases/${filed.id}/attachments`, {
    method: 'POST',
    headers: dispatcher,
    body,
  });
  t.is(uploaded.status, 201);
  const { items } = (await uploaded.json()) as { items: { url: string }[] };

  // when it is downloaded whole and in part by a client that takes gzip
  const whole = await get(items[0].url, { ...dispatcher, 'accept-encoding': 'gzip' });
  const part = await get(items[0].url, { ...dispatcher, 'accept-encoding': 'gzip', range: 'bytes=0-99' });
  const again = await get(items[0].url, {
    ...dispatcher,
    'accept-encoding': 'gzip',
    'if-none-match': String(whole.headers.etag),
  });

  // then the bytes are the file's, with the strong ETag; the range is the file's first 100 bytes; a
  // revalidation is a 304
  t.is(whole.status, 200);
  t.is(whole.headers['content-encoding'], undefined);
  t.regex(String(whole.headers.etag), /^"[0-9a-f]{64}"$/);
  t.is(Number(whole.headers['content-length']), PNG.length);
  t.deepEqual(whole.body, PNG);
  t.is(part.status, 206);
  t.is(part.headers['content-encoding'], undefined);
  t.deepEqual(part.body, PNG.subarray(0, 100));
  t.is(again.status, 304);
});

test('a server-sent event stream is not compressed, so its first event arrives before the stream ends', async (t) => {
  // given a route that sends an event at once and ends the stream half a second later, behind compress()
  const app = express();
  app.use(compress());
  app.get('/events', (_req, res) => {
    res.setHeader('Content-Type', 'text/event-stream');
    res.write(`data: ${'x'.repeat(2048)}\n\n`);
    setTimeout(() => res.end(), 500);
  });
  const sse = app.listen(0);
  t.teardown(() => sse.close());
  await new Promise<void>((r) => sse.once('listening', () => r()));
  const port = (sse.address() as AddressInfo).port;

  // when a client that takes gzip listens
  const started = Date.now();
  const first = await new Promise<{ ms: number; encoding: string | undefined }>((resolve, reject) => {
    const req = request(
      `http://127.0.0.1:${port}/events`,
      { headers: { 'accept-encoding': 'gzip' } },
      (res) => {
        res.once('data', () =>
          resolve({ ms: Date.now() - started, encoding: res.headers['content-encoding'] }),
        );
        res.resume();
      },
    );
    req.on('error', reject);
    req.end();
  });

  // then the event comes plain and at once, not held back until the end
  t.is(first.encoding, undefined);
  t.true(first.ms < 400, `first event after ${first.ms} ms`);
});
