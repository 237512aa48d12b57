import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test from 'ava';
import express from 'express';
import { QueryTypes } from 'sequelize';
import { silentLogger } from '../../common/logger.ts';
import { sequelizeSql } from '../../db/sequelize-sql.ts';
import { problemHandler } from '../../server/http/problem.ts';
import { attachmentRoutes } from '../../server/http/routes/attachment.routes.ts';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_REQUEST } from '../../server/schemas/attachment.schema.ts';
import { verifyAudit } from '../../server/services/audit.service.ts';
import { sniffContentType } from '../../server/services/attachment.service.ts';
import { locatePoint } from '../../server/services/locate.service.ts';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';

// Case attachments over HTTP: multipart uploads checked by size and by sniffed type, nothing left behind on
// refusal, scope through the case, auditors read-only, downloads with safe headers. One seeded world serves
// every test; the tests run serially because several compare the files on disk before and after.

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
/** The start of a JFIF JPEG (SOI, APP0) and its end marker. */
const JPEG = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
  0x00, 0x00, 0xff, 0xd9,
]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n', 'latin1');
const TEXT = Buffer.from('这不是图片 — just some text pretending to be a photo\n', 'utf8');

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let w: CaseWorld;
let base: string;
let dispatcher: Record<string, string>;

test.before(async () => {
  w = await createCaseWorld();
  base = await w.serve();
  dispatcher = await multipartHeaders('city.dispatcher');
});

test.after.always(async () => {
  await w?.close();
});

/** Sign-in headers without the JSON content type, so that fetch sets the multipart one with its boundary. */
async function multipartHeaders(username: string): Promise<Record<string, string>> {
  const { 'content-type': _json, ...headers } = await w.signIn(username);
  return headers;
}

let gridsUsed = 0;

/** A point inside a grid of the demo city not used before (so the case gets its town and is no duplicate). */
async function pointInGrid(): Promise<{ lng: number; lat: number }> {
  const grids = await w.models.Grid.findAll({ order: [['id', 'ASC']], limit: 40, offset: gridsUsed * 11 });
  gridsUsed++;
  for (const g of grids) {
    const ring = (JSON.parse(g.get('geometry') as string) as { coordinates: number[][][][] })
      .coordinates[0][0];
    const lng = ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1);
    const lat = ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1);
    const found = await locatePoint(w.db.sequelize, lng, lat, '2026-03-02');
    if (found && found.gridId === g.get('id')) return { lng, lat };
  }
  throw new Error('no grid centroid found');
}

/** Files a located hotline case; returns its id and town. */
async function fileCase(): Promise<{ id: number; townId: number }> {
  const p = await pointInGrid();
  const filed = await w.file({
    source: 'hotline_12345',
    sourceTicketId: `12345-${Math.random().toString(36).slice(2)}`,
    reporterName: '王先生',
    reporterPhone: '13812345678',
    description: '小区门口井盖破损，需要拍照留证',
    lng: p.lng,
    lat: p.lat,
    categoryCode: '06001',
  });
  const row = await w.models.Case.findByPk(filed.id);
  const townId = row!.get('townId') as number | null;
  if (townId == null) throw new Error('the case was not located');
  return { id: filed.id, townId };
}

/** The dispatcher of a town centre other than (or equal to) the given one. */
async function townDispatcher(townId: number, same: boolean): Promise<string> {
  const rows = await w.db.sequelize.query<{ username: string }>(
    `SELECT u.username FROM app_user u JOIN user_role r ON r.user_id = u.id JOIN org_unit o ON o.id = u.org_unit_id
     WHERE r.role = 'dispatcher' AND o.level = 'town' AND o.kind = 'centre' AND o.id ${same ? '=' : '<>'} ? ORDER BY u.id LIMIT 1`,
    { replacements: [townId], type: QueryTypes.SELECT },
  );
  return rows[0].username;
}

interface Part {
  bytes: Uint8Array;
  name: string;
  type?: string;
  field?: string;
}

function form(...parts: Part[]): FormData {
  const f = new FormData();
  for (const p of parts) f.append(p.field ?? 'file', new Blob([p.bytes], { type: p.type ?? '' }), p.name);
  return f;
}

interface Item {
  id: number;
  caseId: number;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: number | null;
  createdAt: string;
  url: string;
  created?: boolean;
}
interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

async function upload(
  caseId: number,
  body: FormData | string,
  headers: Record<string, string> = dispatcher,
  url = base,
): Promise<{ status: number; body: { items: Item[] } & Problem; headers: Headers }> {
  const res = await fetch(`${url}/api/cases/${caseId}/attachments`, { method: 'POST', headers, body });
  return {
    status: res.status,
    body: (await res.json()) as { items: Item[] } & Problem,
    headers: res.headers,
  };
}

async function list(caseId: number, headers: Record<string, string> = dispatcher) {
  const res = await fetch(`${base}/api/cases/${caseId}/attachments`, { headers });
  return { status: res.status, body: (await res.json()) as { items: Item[] } & Problem };
}

async function download(id: number, headers: Record<string, string> = dispatcher) {
  const res = await fetch(`${base}/api/attachments/${id}`, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Every file under the data directory's attachments folder (temp files included), relative. */
function filesOnDisk(): string[] {
  const root = path.join(w.db.dataDir, 'attachments');
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}

async function attachmentRows(caseId: number): Promise<number> {
  const rows = await w.db.sequelize.query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM attachment WHERE case_id = ?',
    { replacements: [caseId], type: QueryTypes.SELECT },
  );
  return Number(rows[0].n);
}

test.serial('sniffs every accepted type from its magic bytes and nothing else', (t) => {
  const ftyp = (brand: string): Buffer =>
    Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from(`ftyp${brand}\0\0\0\0isom`, 'latin1')]);
  t.is(sniffContentType(PNG), 'image/png');
  t.is(sniffContentType(JPEG), 'image/jpeg');
  t.is(sniffContentType(PDF), 'application/pdf');
  t.is(sniffContentType(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')), 'image/gif');
  t.is(sniffContentType(Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1')), 'image/webp');
  t.is(sniffContentType(ftyp('heic')), 'image/heic');
  t.is(sniffContentType(ftyp('mif1')), 'image/heif');
  t.is(sniffContentType(ftyp('mp42')), 'video/mp4');
  t.is(sniffContentType(ftyp('qt  ')), null);
  t.is(sniffContentType(TEXT), null);
  t.is(sniffContentType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), null);
  t.is(sniffContentType(Buffer.alloc(0)), null);
});

test.serial('stores uploads with their sniffed type and serves the same bytes back', async (t) => {
  const c = await fileCase();
  const before = filesOnDisk();

  const res = await upload(
    c.id,
    form(
      // The client claims octet-stream for the PNG: the stored type is the sniffed one.
      { bytes: PNG, name: '整改前照片.png', type: 'application/octet-stream' },
      { bytes: JPEG, name: 'after.jpg', type: 'image/jpeg' },
      { bytes: PDF, name: 'report.pdf', type: 'application/pdf' },
    ),
  );

  t.is(res.status, 201);
  t.deepEqual(
    res.body.items.map((i) => [i.fileName, i.contentType, i.sizeBytes, i.sha256, i.created]),
    [
      ['整改前照片.png', 'image/png', PNG.length, sha256(PNG), true],
      ['after.jpg', 'image/jpeg', JPEG.length, sha256(JPEG), true],
      ['report.pdf', 'application/pdf', PDF.length, sha256(PDF), true],
    ],
  );
  t.is(await attachmentRows(c.id), 3);
  const stored = [`${sha256(PNG)}.png`, `${sha256(JPEG)}.jpg`, `${sha256(PDF)}.pdf`].map((f) =>
    path.join('2026', '03', f),
  );
  t.deepEqual(filesOnDisk(), [...new Set([...before, ...stored])].sort());

  const png = await download(res.body.items[0].id);
  t.is(png.status, 200);
  t.true(png.bytes.equals(PNG));
  t.is(png.headers.get('content-type'), 'image/png');
  t.is(png.headers.get('x-content-type-options'), 'nosniff');
  t.is(png.headers.get('etag'), `"${sha256(PNG)}"`);
  const disposition = png.headers.get('content-disposition')!;
  const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
  t.is(decodeURIComponent(encoded!), '整改前照片.png');
  t.regex(disposition, /^inline; filename="[\x20-\x7e]+"; /);

  const pdf = await download(res.body.items[2].id);
  t.true(pdf.bytes.equals(PDF));
  t.is(pdf.headers.get('content-type'), 'application/pdf');
  t.regex(pdf.headers.get('content-disposition')!, /^attachment; filename="report.pdf"/);

  const listed = await list(c.id);
  t.is(listed.status, 200);
  t.deepEqual(
    listed.body.items,
    res.body.items.map(({ created: _created, ...i }) => i),
  );
  t.is(listed.body.items[0].url, `/api/attachments/${res.body.items[0].id}`);
  t.is(listed.body.items[0].createdAt, '2026-03-02T01:00:00.000Z');
  t.is(typeof listed.body.items[0].uploadedBy, 'number');
  const detail = (await (await fetch(`${base}/api/cases/${c.id}`, { headers: dispatcher })).json()) as {
    attachments: { id: number; createdAt: string; url: string }[];
  };
  t.like(detail.attachments[0], {
    id: res.body.items[0].id,
    createdAt: '2026-03-02T01:00:00.000Z',
    url: `/api/attachments/${res.body.items[0].id}`,
  });

  const again = await fetch(`${base}/api/attachments/${res.body.items[0].id}`, {
    // fetch adds `cache-control: no-cache` to a conditional request unless the request names its own.
    headers: { ...dispatcher, 'if-none-match': `"${sha256(PNG)}"`, 'cache-control': 'max-age=0' },
  });
  t.is(again.status, 304);
});

test.serial('writes one audit record per stored file, with the hash but not the bytes', async (t) => {
  const c = await fileCase();
  const res = await upload(c.id, form({ bytes: JPEG, name: '现场.jpg', type: 'image/jpeg' }));
  t.is(res.status, 201);
  const id = res.body.items[0].id;

  const rows = await w.db.sequelize.query<{ actor: string; entity_id: string; payload: string }>(
    "SELECT actor, entity_id, payload FROM audit_log WHERE case_id = ? AND action = 'attachment.uploaded'",
    { replacements: [c.id], type: QueryTypes.SELECT },
  );
  t.is(rows.length, 1);
  t.is(rows[0].actor, 'city.dispatcher');
  t.is(rows[0].entity_id, String(id));
  t.deepEqual(JSON.parse(rows[0].payload), {
    attachmentId: id,
    caseId: c.id,
    fileName: '现场.jpg',
    contentType: 'image/jpeg',
    sizeBytes: JPEG.length,
    sha256: sha256(JPEG),
  });
  t.like(await verifyAudit(sequelizeSql(w.db.sequelize), { chain: `case:${c.id}` }), { ok: true });
});

test.serial('a text file renamed .jpg is refused as 415 and leaves nothing behind', async (t) => {
  const c = await fileCase();
  const before = filesOnDisk();

  const res = await upload(
    c.id,
    form(
      { bytes: PNG, name: 'good.png', type: 'image/png' },
      { bytes: TEXT, name: 'photo.jpg', type: 'image/jpeg' },
    ),
  );

  t.is(res.status, 415);
  t.is(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  t.is(res.body.code, 'UNSUPPORTED_FILE_TYPE');
  t.deepEqual(
    res.body.errors?.map((e) => e.field),
    ['file[1]'],
  );
  t.is(await attachmentRows(c.id), 0, 'no row, not even for the good file of the same request');
  t.deepEqual(filesOnDisk(), before, 'no file, no temp file');
});

test.serial('an 11 MB file is refused as 413 and nothing is written', async (t) => {
  const c = await fileCase();
  const before = filesOnDisk();
  const big = Buffer.alloc(11 * 1024 * 1024, 7);
  PNG.copy(big); // a valid signature: the size alone must refuse it

  const res = await upload(c.id, form({ bytes: big, name: 'huge.png', type: 'image/png' }));

  t.is(res.status, 413);
  t.is(res.body.code, 'FILE_TOO_LARGE');
  t.deepEqual(res.body.errors, [
    { field: 'file[0]', message: `must be at most ${MAX_ATTACHMENT_BYTES} bytes` },
  ]);
  t.is(await attachmentRows(c.id), 0);
  t.deepEqual(filesOnDisk(), before);
});

test.serial(
  'refuses a body that is not multipart (415), and a multipart body without a file or malformed (400)',
  async (t) => {
    const c = await fileCase();
    const json = await upload(c.id, JSON.stringify({ file: 'aGVsbG8=' }), {
      ...dispatcher,
      'content-type': 'application/json',
    });
    t.is(json.status, 415);
    t.is(json.body.code, 'NOT_MULTIPART');
    t.is(json.body.errors?.[0].field, 'file');

    const fields = new FormData();
    fields.append('note', '没有文件');
    const none = await upload(c.id, fields);
    t.is(none.status, 400);
    t.is(none.body.code, 'NO_FILE');
    t.is(none.body.errors?.[0].field, 'file');

    const malformed = await upload(c.id, form({ bytes: PNG, name: 'bell\u0007.png' }));
    t.is(malformed.status, 400);
    t.is(malformed.body.code, 'MALFORMED_MULTIPART');
    t.is(await attachmentRows(c.id), 0);
  },
);

test.serial('the same bytes uploaded twice give the same attachment', async (t) => {
  const c = await fileCase();
  const first = await upload(c.id, form({ bytes: PNG, name: 'a.png' }));
  const second = await upload(c.id, form({ bytes: PNG, name: 'b-renamed.png' }));

  t.is(first.status, 201);
  t.is(second.status, 200);
  t.is(second.body.items[0].id, first.body.items[0].id);
  t.is(second.body.items[0].fileName, 'a.png');
  t.false(second.body.items[0].created);
  t.is(await attachmentRows(c.id), 1);
  t.is(filesOnDisk().filter((f) => f.startsWith('tmp')).length, 0);
});

test.serial('a dispatcher of another town gets 404 on upload, list and download', async (t) => {
  const c = await fileCase();
  const stored = await upload(c.id, form({ bytes: PDF, name: 'doc.pdf' }));
  t.is(stored.status, 201);
  const other = await multipartHeaders(await townDispatcher(c.townId, false));
  const own = await multipartHeaders(await townDispatcher(c.townId, true));

  const up = await upload(c.id, form({ bytes: JPEG, name: 'x.jpg' }), other);
  t.is(up.status, 404);
  t.is(up.body.code, 'CASE_NOT_FOUND');
  t.is((await list(c.id, other)).status, 404);
  const dl = await download(stored.body.items[0].id, other);
  t.is(dl.status, 404);
  t.notRegex(dl.bytes.toString('utf8'), new RegExp(`case ${c.id}\\b`), 'the case id does not leak');
  t.is(await attachmentRows(c.id), 1);

  // The town's own dispatcher sees them: the 404s above are the scope, not the route.
  t.is((await list(c.id, own)).body.items.length, 1);
  t.is((await download(stored.body.items[0].id, own)).status, 200);
});

test.serial('an auditor may list and download but not upload (403)', async (t) => {
  const c = await fileCase();
  const stored = await upload(c.id, form({ bytes: PNG, name: 'p.png' }));
  const auditor = await multipartHeaders('city.auditor');

  const up = await upload(c.id, form({ bytes: JPEG, name: 'x.jpg' }), auditor);
  t.is(up.status, 403);
  t.is(up.body.code, 'READ_ONLY');
  t.is(await attachmentRows(c.id), 1);
  t.is((await list(c.id, auditor)).body.items.length, 1);
  const dl = await download(stored.body.items[0].id, auditor);
  t.is(dl.status, 200);
  t.true(dl.bytes.equals(PNG));
});

test.serial('a voided case takes no attachments (409)', async (t) => {
  const c = await fileCase();
  await w.completeTask(c.id, 'register', 'void', { voidReason: '重复来电' });
  t.is((await w.models.Case.findByPk(c.id))!.get('status'), 'voided');

  const res = await upload(c.id, form({ bytes: PNG, name: 'late.png' }));
  t.is(res.status, 409);
  t.is(res.body.code, 'CASE_CLOSED');
  t.is(await attachmentRows(c.id), 0);
});

test.serial('a storage path outside the data directory is never served', async (t) => {
  const c = await fileCase();
  const stored = await upload(c.id, form({ bytes: PDF, name: 'escape.pdf' }));
  const id = stored.body.items[0].id;
  t.is((await download(id)).status, 200);

  for (const storagePath of ['../../../../../../etc/hostname', '/etc/hostname', 'attachments/../../x.pdf']) {
    await w.db.sequelize.query('UPDATE attachment SET storage_path = ? WHERE id = ?', {
      replacements: [storagePath, id],
    });
    const res = await download(id);
    t.is(res.status, 500, storagePath);
    t.is(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  }
});

test.serial('sign-in is required', async (t) => {
  const c = await fileCase();
  const res = await upload(c.id, form({ bytes: PNG, name: 'p.png' }), {});
  t.is(res.status, 401);
  t.is((await fetch(`${base}/api/attachments/1`)).status, 401);
});

test.serial('file names are sanitised but keep their words', async (t) => {
  const c = await fileCase();
  const long = `${'长'.repeat(300)}.jpg`;
  const res = await upload(
    c.id,
    form(
      { bytes: PNG, name: '..\u202egpj.exe 报告:第1版\u200b.png' },
      { bytes: JPEG, name: long },
      { bytes: PDF, name: '' },
    ),
  );
  t.is(res.status, 201);
  t.deepEqual(
    res.body.items.map((i) => i.fileName),
    ['gpj.exe 报告_第1版.png', `${'长'.repeat(251)}.jpg`, 'attachment.pdf'],
  );
});

test.serial('limits come from the route deps: file count and exact size', async (t) => {
  const c = await fileCase();
  const app = express();
  app.use(
    attachmentRoutes({
      ...w.deps,
      log: silentLogger,
      dataDir: w.db.dataDir,
      info: { engine: 'embedded', database: 'test' },
      attachmentLimits: { maxFileBytes: PNG.length, maxFiles: 2 },
    }),
  );
  app.use(problemHandler(silentLogger));
  const server = app.listen(0);
  t.teardown(() => server.close());
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const before = filesOnDisk();

  const three = await upload(
    c.id,
    form({ bytes: PNG, name: '1.png' }, { bytes: JPEG, name: '2.jpg' }, { bytes: PDF, name: '3.pdf' }),
    dispatcher,
    url,
  );
  t.is(three.status, 413);
  t.is(three.body.code, 'TOO_MANY_FILES');
  const bigger = Buffer.concat([PNG, Buffer.from([0])]);
  const tooBig = await upload(c.id, form({ bytes: bigger, name: 'b.png' }), dispatcher, url);
  t.is(tooBig.status, 413);
  t.deepEqual(filesOnDisk(), before);
  t.is(await attachmentRows(c.id), 0);

  const exact = await upload(c.id, form({ bytes: PNG, name: 'exact.png' }), dispatcher, url);
  t.is(exact.status, 201);
  t.is(MAX_ATTACHMENTS_PER_REQUEST, 9);
});

test.serial('a client that aborts mid-upload leaves no temp file', async (t) => {
  const c = await fileCase();
  const before = filesOnDisk();
  const boundary = 'gridflow-abort-test';
  const { port } = new URL(base);
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `/api/cases/${c.id}/attachments`,
    headers: {
      authorization: dispatcher.authorization,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(5 * 1024 * 1024),
    },
  });
  req.on('error', () => {});
  req.write(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  req.write(Buffer.concat([PNG, Buffer.alloc(256 * 1024, 1)]));

  const tmpFiles = (): string[] => filesOnDisk().filter((f) => f.startsWith(`tmp${path.sep}`));
  const until = async (ok: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 200; i++) {
      if (ok()) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  };
  t.true(await until(() => tmpFiles().length === 1), 'the upload started writing its temp file');
  req.destroy();
  t.true(await until(() => tmpFiles().length === 0), 'the temp file is removed');
  t.deepEqual(filesOnDisk(), before);
  t.is(await attachmentRows(c.id), 0);
});
