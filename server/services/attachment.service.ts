import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import type { UserError } from '../../common/errors.ts';
import {
  ConflictError,
  ContentTooLargeError,
  type FieldProblem,
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  UnexpectedError,
  UnsupportedMediaTypeError,
} from '../../common/errors.ts';
import type { Models } from '../../db/models/index.ts';
import { sequelizeSql } from '../../db/sequelize-sql.ts';
import {
  ATTACHMENT_FILE_FIELD,
  type AttachmentContentType,
  type AttachmentUploadResult,
  type AttachmentView,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS_PER_REQUEST,
} from '../schemas/attachment.schema.ts';
import { type AuditRecord, appendAudit } from './audit.service.ts';
import type { Principal } from './auth.service.ts';
import { caseDetail } from './case-query.service.ts';
import { CLOSED_STATUSES } from './duplicate.service.ts';
import { hasRole } from './scope.service.ts';

/** What the attachment service needs. */
export interface AttachmentServiceDeps {
  sequelize: Sequelize;
  models: Models;
  clock: Clock;
  /** Files live under `<dataDir>/attachments`. */
  dataDir: string;
}

/** Upload limits; the defaults are the exported constants of the attachment schema. */
export interface AttachmentLimits {
  /** Largest file, in bytes. */
  maxFileBytes: number;
  /** Most files per request. */
  maxFiles: number;
}

/** The limits every upload gets unless a route overrides them. */
export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = {
  maxFileBytes: MAX_ATTACHMENT_BYTES,
  maxFiles: MAX_ATTACHMENTS_PER_REQUEST,
};

/** The file name extension each content type is stored with. */
const EXTENSIONS: Record<AttachmentContentType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'application/pdf': 'pdf',
  'video/mp4': 'mp4',
};

/** ISO base media file brands (the `ftyp` box's major brand) that we accept, and what they are. */
const ISO_BRANDS: Record<string, AttachmentContentType> = {
  heic: 'image/heic',
  heix: 'image/heic',
  heim: 'image/heic',
  heis: 'image/heic',
  mif1: 'image/heif',
  isom: 'video/mp4',
  iso2: 'video/mp4',
  iso4: 'video/mp4',
  iso5: 'video/mp4',
  iso6: 'video/mp4',
  mp41: 'video/mp4',
  mp42: 'video/mp4',
  avc1: 'video/mp4',
  dash: 'video/mp4',
  mmp4: 'video/mp4',
  'M4V ': 'video/mp4',
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** How many leading bytes sniffing looks at. */
const SNIFF_BYTES = 32;

/**
 * The content type of a file from its first bytes (magic numbers), or null when it is none we accept. The
 * client's declared type and the file's extension are never consulted: they are the attacker's to choose.
 */
export function sniffContentType(head: Uint8Array): AttachmentContentType | null {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const ascii = (start: number, end: number): string =>
    b.length >= end ? b.toString('latin1', start, end) : '';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 5) === '%PDF-') return 'application/pdf';
  if (ascii(4, 8) === 'ftyp') return ISO_BRANDS[ascii(8, 12)] ?? null;
  return null;
}

/** Most characters a stored file name keeps (the column is VARCHAR(255), characters on MySQL utf8mb4). */
const MAX_NAME_CHARS = 255;

/**
 * The uploader's file name made safe to store and to send back in a header: Unicode NFC (Chinese names
 * survive), without control and bidirectional-override characters, without path and shell separators, at
 * most 255 characters with the extension kept. An empty name becomes `attachment.<ext>`.
 */
export function sanitizeFileName(raw: string | undefined, contentType: AttachmentContentType): string {
  const name = (raw ?? '')
    .normalize('NFC')
    // Controls (C0, DEL, C1), format characters (zero-width, bidi overrides as in a "gpj.exe" spoof, BOM),
    // line and paragraph separators.
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .trim()
    .replace(/^\.+/, '')
    .trim();
  if (!name) return `attachment.${EXTENSIONS[contentType]}`;
  const chars = Array.from(name);
  if (chars.length <= MAX_NAME_CHARS) return name;
  const dot = chars.lastIndexOf('.');
  const ext = dot > 0 && chars.length - dot <= 16 ? chars.slice(dot) : [];
  return [...chars.slice(0, MAX_NAME_CHARS - ext.length), ...ext].join('');
}

/** A file received into the temp directory, hashed and sniffed, not yet attached. */
interface StagedFile {
  field: string;
  tempPath: string;
  fileName: string;
  contentType: AttachmentContentType;
  sizeBytes: number;
  sha256: string;
}

/** The case's attachments, oldest first; 404 for a case outside the user's scope. */
export async function listAttachments(
  deps: Pick<AttachmentServiceDeps, 'sequelize' | 'models'>,
  p: Principal,
  caseId: number,
): Promise<AttachmentView[]> {
  await caseDetail(deps.sequelize, p, caseId);
  const rows = await deps.models.Attachment.findAll({ where: { caseId }, order: [['id', 'ASC']] });
  return rows.map((r) => toView(r.get({ plain: true })));
}

/**
 * One attachment and the absolute path of its bytes, for a download. The case decides who may see it: an
 * attachment of a case outside the user's scope is "not found", exactly like one that does not exist.
 */
export async function openAttachment(
  deps: Pick<AttachmentServiceDeps, 'sequelize' | 'models' | 'dataDir'>,
  p: Principal,
  id: number,
): Promise<{ attachment: AttachmentView; root: string; relativePath: string }> {
  const notFound = (): NotFoundError =>
    new NotFoundError('ATTACHMENT_NOT_FOUND', `No attachment ${id} for you`);
  const row = await deps.models.Attachment.findByPk(id);
  if (!row) throw notFound();
  const attachment = toView(row.get({ plain: true }));
  try {
    await caseDetail(deps.sequelize, p, attachment.caseId);
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound();
    throw err;
  }
  const root = path.resolve(deps.dataDir);
  const storagePath = String(row.get('storagePath'));
  const absolute = path.resolve(root, storagePath);
  // A stored path is ours, but a row edited by hand (or a bug) must never serve a file outside DATA_DIR.
  if (path.isAbsolute(storagePath) || !absolute.startsWith(root + path.sep)) {
    throw new UnexpectedError(`Attachment ${id} has a storage path outside the data directory`);
  }
  return { attachment, root, relativePath: path.relative(root, absolute) };
}

/**
 * Attaches the files of a `multipart/form-data` request to a case. Checks come first: the case must be in
 * the user's scope (404), the user must not be an auditor (403), the case must be open (409). Then every
 * `file` part is streamed to a temp file under `<dataDir>/attachments/tmp` while it is hashed, counted and
 * sniffed. Only when the whole request is acceptable are the rows and their audit records written in one
 * transaction and the files renamed to `attachments/<yyyy>/<mm>/<sha256>.<ext>`; on any failure (a rejected
 * file, a client abort, a database error) no row and no file stays behind. A file the case already has (same
 * SHA-256) is answered with the existing attachment.
 */
export async function uploadAttachments(
  deps: AttachmentServiceDeps,
  p: Principal,
  caseId: number,
  request: IncomingMessage,
  limits: AttachmentLimits = DEFAULT_ATTACHMENT_LIMITS,
): Promise<AttachmentUploadResult> {
  const detail = await caseDetail(deps.sequelize, p, caseId);
  if (hasRole(p, 'auditor')) {
    throw new ForbiddenError('READ_ONLY', 'Auditors may read attachments but not upload them');
  }
  if (CLOSED_STATUSES.includes(detail.case.status)) {
    throw new ConflictError(
      'CASE_CLOSED',
      `Case ${caseId} is ${detail.case.status}: it takes no attachments`,
    );
  }
  const tmpDir = path.join(deps.dataDir, 'attachments', 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const temps = new Set<string>();
  try {
    const staged = await receiveFiles(request, tmpDir, limits, temps);
    return await attach(deps, p, caseId, staged, temps);
  } finally {
    await Promise.all([...temps].map((f) => rm(f, { force: true })));
  }
}

/** Writes the rows and the audit, then moves the files into place, all or nothing. */
async function attach(
  deps: AttachmentServiceDeps,
  p: Principal,
  caseId: number,
  staged: StagedFile[],
  temps: Set<string>,
): Promise<AttachmentUploadResult> {
  const { sequelize, models } = deps;
  const now = deps.clock.now();
  const day = new Date(now);
  const monthDir = path.posix.join(
    'attachments',
    String(day.getUTCFullYear()),
    String(day.getUTCMonth() + 1).padStart(2, '0'),
  );
  const placed: string[] = [];
  try {
    return await sequelize.transaction(async (transaction) => {
      // The case row is locked (MySQL; SQLite's IMMEDIATE transaction holds the write lock anyway), so two
      // uploads of the same file to one case cannot both miss the other's row.
      const mysql = sequelize.getDialect() !== 'sqlite';
      const cases = await sequelize.query<{ status: string }>(
        `SELECT status FROM cases WHERE id = ?${mysql ? ' FOR UPDATE' : ''}`,
        { replacements: [caseId], type: QueryTypes.SELECT, transaction },
      );
      if (cases.length === 0) throw new NotFoundError('CASE_NOT_FOUND', `No case ${caseId} for you`);
      if (CLOSED_STATUSES.includes(cases[0].status)) {
        throw new ConflictError(
          'CASE_CLOSED',
          `Case ${caseId} is ${cases[0].status}: it takes no attachments`,
        );
      }
      const items: AttachmentUploadResult['items'] = [];
      const audit: AuditRecord[] = [];
      const toPlace: { file: StagedFile; storagePath: string }[] = [];
      const seen = new Map<string, AttachmentView>();
      for (const file of staged) {
        let existing = seen.get(file.sha256);
        if (!existing) {
          const row = await models.Attachment.findOne({
            where: { caseId, sha256: file.sha256 },
            order: [['id', 'ASC']],
            transaction,
          });
          if (row) existing = toView(row.get({ plain: true }));
        }
        if (existing) {
          seen.set(file.sha256, existing);
          items.push({ ...existing, created: false });
          continue;
        }
        const storagePath = path.posix.join(monthDir, `${file.sha256}.${EXTENSIONS[file.contentType]}`);
        const row = await models.Attachment.create(
          {
            caseId,
            fileName: file.fileName,
            contentType: file.contentType,
            sizeBytes: file.sizeBytes,
            sha256: file.sha256,
            storagePath,
            uploadedBy: p.userId,
            createdAt: new Date(now),
          },
          { transaction },
        );
        const view = toView(row.get({ plain: true }));
        seen.set(file.sha256, view);
        items.push({ ...view, created: true });
        toPlace.push({ file, storagePath });
        audit.push({
          at: now,
          actor: p.username,
          action: 'attachment.uploaded',
          entityType: 'attachment',
          entityId: String(view.id),
          caseId,
          payload: {
            attachmentId: view.id,
            caseId,
            fileName: view.fileName,
            contentType: view.contentType,
            sizeBytes: view.sizeBytes,
            sha256: view.sha256,
          },
        });
      }
      await appendAudit(sequelizeSql(sequelize, transaction), audit);
      // Files go into place last, still inside the transaction: a failed rename rolls the rows back, a failed
      // commit removes the files placed here. Names are content hashes, so identical bytes share one file.
      if (toPlace.length > 0) await mkdir(path.join(deps.dataDir, monthDir), { recursive: true });
      for (const { file, storagePath } of toPlace) {
        const target = path.join(deps.dataDir, ...storagePath.split('/'));
        if (await exists(target)) continue;
        await rename(file.tempPath, target);
        temps.delete(file.tempPath);
        placed.push(target);
      }
      return { items };
    });
  } catch (err) {
    await Promise.all(placed.map((f) => rm(f, { force: true })));
    throw err;
  }
}

/**
 * Streams the request's file parts into temp files (registered in `temps` at once, so the caller can always
 * remove them). Resolves with every staged file once the whole body is read and every file is acceptable;
 * rejects with a problem naming each file at fault otherwise.
 */
async function receiveFiles(
  request: IncomingMessage,
  tmpDir: string,
  limits: AttachmentLimits,
  temps: Set<string>,
): Promise<StagedFile[]> {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError('NOT_MULTIPART', 'Send the files as multipart/form-data', [
      { field: ATTACHMENT_FILE_FIELD, message: 'must be sent as multipart/form-data' },
    ]);
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      // Browsers send UTF-8 file names without RFC 5987 encoding; busboy's default would read them as Latin-1.
      defParamCharset: 'utf8',
      limits: {
        // busboy flags a file as soon as it reaches the limit; one byte more lets a file of exactly the limit in.
        fileSize: limits.maxFileBytes + 1,
        files: limits.maxFiles,
        fields: 20,
        fieldSize: 64 * 1024,
      },
    });
  } catch {
    throw new InvalidArgumentError('MALFORMED_MULTIPART', 'The multipart/form-data body has no boundary', [
      { field: ATTACHMENT_FILE_FIELD, message: 'must be a multipart/form-data body with a boundary' },
    ]);
  }

  const failures: UserError[] = [];
  const pending: Promise<StagedFile | null>[] = [];
  let index = 0;
  parser.on('file', (name, stream, info) => {
    const field = `${ATTACHMENT_FILE_FIELD}[${index++}]`;
    if (name !== ATTACHMENT_FILE_FIELD) {
      failures.push(
        new InvalidArgumentError('UNEXPECTED_PART', `Unexpected file part "${name}"`, [
          { field: name, message: `is not expected: send files as "${ATTACHMENT_FILE_FIELD}"` },
        ]),
      );
    }
    // Once the request is refused, the rest of the body is only read (so the answer reaches the client).
    if (failures.length > 0) {
      stream.resume();
      return;
    }
    pending.push(stageFile(stream, field, info.filename, tmpDir, limits.maxFileBytes, temps, failures));
  });
  parser.on('field', (name) => {
    if (name === ATTACHMENT_FILE_FIELD) {
      failures.push(
        new InvalidArgumentError('NOT_A_FILE', 'The file part has no file name', [
          { field: ATTACHMENT_FILE_FIELD, message: 'must be a file (a part with a filename)' },
        ]),
      );
    }
  });
  parser.on('filesLimit', () => {
    // 413 rather than 400: the request carries more content than the server accepts in one go.
    failures.push(
      new ContentTooLargeError('TOO_MANY_FILES', `At most ${limits.maxFiles} files per request`, [
        { field: ATTACHMENT_FILE_FIELD, message: `must be at most ${limits.maxFiles} files per request` },
      ]),
    );
  });

  try {
    await new Promise<void>((resolve, reject) => {
      parser.once('finish', resolve);
      parser.once('error', (err) => {
        // A broken body: stop parsing, read what is left, answer 400.
        request.unpipe(parser);
        request.resume();
        reject(
          new InvalidArgumentError('MALFORMED_MULTIPART', 'The multipart/form-data body is malformed', [
            { field: ATTACHMENT_FILE_FIELD, message: (err as Error).message },
          ]),
        );
      });
      // The client went away mid-body: busboy ends the open file stream with an error, and we clean up.
      const aborted = (): void => {
        parser.destroy();
        reject(new InvalidArgumentError('REQUEST_ABORTED', 'The client aborted the upload'));
      };
      request.once('error', aborted);
      request.once('close', () => {
        if (!request.complete) aborted();
      });
      request.pipe(parser);
    });
    const results = await Promise.all(pending);
    if (failures.length > 0) throw combine(failures);
    const staged = results.filter((r): r is StagedFile => r != null);
    if (staged.length === 0) {
      throw new InvalidArgumentError('NO_FILE', 'The request carries no file', [
        { field: ATTACHMENT_FILE_FIELD, message: 'is required: send at least one file' },
      ]);
    }
    return staged;
  } catch (err) {
    // Wait until every temp file is closed, so that the caller's clean-up removes all of them.
    await Promise.allSettled(pending);
    throw err;
  }
}

/**
 * Streams one file part to a temp file, hashing, counting and sniffing on the way. A file that turns out too
 * large or of a refused type is recorded in `failures` and the rest of it is read and dropped (the part must
 * be consumed for the form to go on). Resolves with null for an empty part without a name (an empty file
 * input) and for a refused file.
 */
async function stageFile(
  stream: Readable,
  field: string,
  clientName: string | undefined,
  tmpDir: string,
  maxBytes: number,
  temps: Set<string>,
  failures: UserError[],
): Promise<StagedFile | null> {
  const tempPath = path.join(tmpDir, `${randomUUID()}.part`);
  temps.add(tempPath);
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  let sniffed: AttachmentContentType | null | undefined;
  let refused = false;
  const refuse = (err: UserError): void => {
    refused = true;
    failures.push(err);
  };
  const sniff = (): void => {
    sniffed = sniffContentType(head);
    if (!sniffed) {
      refuse(
        new UnsupportedMediaTypeError(
          'UNSUPPORTED_FILE_TYPE',
          'Only JPEG, PNG, WebP, GIF, HEIC/HEIF images, PDF documents and MP4 videos are accepted',
          [{ field, message: 'is not a JPEG, PNG, WebP, GIF, HEIC/HEIF, PDF or MP4 file' }],
        ),
      );
    }
  };
  const inspect = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (refused) return callback();
      size += chunk.length;
      if (size > maxBytes) {
        refuse(
          new ContentTooLargeError('FILE_TOO_LARGE', `A file may have at most ${maxBytes} bytes`, [
            { field, message: `must be at most ${maxBytes} bytes` },
          ]),
        );
        return callback();
      }
      if (sniffed === undefined) {
        head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
        if (head.length >= SNIFF_BYTES) sniff();
        if (refused) return callback();
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (!refused && sniffed === undefined && size > 0) sniff();
      callback();
    },
  });
  // Not pipeline(stream, …): it would destroy busboy's part stream on a write error, and busboy then waits
  // forever for it to drain. The part is unpiped and drained instead; an abort still ends the chain.
  stream.once('error', (err) => inspect.destroy(err));
  stream.pipe(inspect);
  try {
    await pipeline(inspect, createWriteStream(tempPath, { flags: 'wx' }));
  } catch (err) {
    stream.unpipe(inspect);
    stream.resume();
    throw err;
  }
  if (refused) return null;
  if (size === 0) {
    // A form's empty file input arrives as a nameless, empty part: no file. An empty named file is an error.
    if (!clientName) return null;
    failures.push(
      new InvalidArgumentError('EMPTY_FILE', 'The file is empty', [{ field, message: 'must not be empty' }]),
    );
    return null;
  }
  const contentType = sniffed!;
  return {
    field,
    tempPath,
    fileName: sanitizeFileName(clientName, contentType),
    contentType,
    sizeBytes: size,
    sha256: hash.digest('hex'),
  };
}

/** The first failure, with the field problems of every failure of the same status (one answer names all). */
function combine(failures: UserError[]): UserError {
  const first = failures[0];
  const errors: FieldProblem[] = failures
    .filter((f) => f.status === first.status)
    .flatMap((f) => f.errors ?? []);
  const Kind = first.constructor as new (code: string, message: string, errors?: FieldProblem[]) => UserError;
  return new Kind(first.code, first.message, errors);
}

function toView(r: {
  id: number;
  caseId: number;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: number | null;
  createdAt?: Date;
}): AttachmentView {
  return {
    id: Number(r.id),
    caseId: Number(r.caseId),
    fileName: r.fileName,
    contentType: r.contentType as AttachmentContentType,
    sizeBytes: Number(r.sizeBytes),
    sha256: r.sha256,
    uploadedBy: r.uploadedBy == null ? null : Number(r.uploadedBy),
    createdAt: (r.createdAt ? new Date(r.createdAt) : new Date(0)).toISOString(),
    url: `/api/attachments/${r.id}`,
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
