import { z } from 'zod';

/** The multipart field every uploaded file comes in (`file`, repeated for several files). */
export const ATTACHMENT_FILE_FIELD = 'file';

/** Most files one upload request may carry (a before/after photo set fits in one request). */
export const MAX_ATTACHMENTS_PER_REQUEST = 9;

/** Largest file accepted, in bytes (10 MiB); routes may lower or raise it through their deps. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/**
 * The content types an attachment may have. The server decides the type by sniffing the file's first bytes;
 * the client's content type and file extension are never trusted.
 */
export const ATTACHMENT_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/heic',
  'image/heif',
  'application/pdf',
  'video/mp4',
] as const;

/** One allowed attachment content type. */
export type AttachmentContentType = (typeof ATTACHMENT_CONTENT_TYPES)[number];

/** Path parameters of `/api/cases/:id/attachments` and `/api/attachments/:id`. */
export const AttachmentIdParamsSchema = z.object({ id: z.coerce.number().int().positive() });

/**
 * The upload body (`multipart/form-data`), for the API description only: the route streams the parts with
 * busboy and enforces these limits itself.
 */
export const AttachmentUploadSchema = z.object({
  [ATTACHMENT_FILE_FIELD]: z
    .array(
      z
        .file()
        .max(MAX_ATTACHMENT_BYTES)
        .mime([...ATTACHMENT_CONTENT_TYPES]),
    )
    .min(1)
    .max(MAX_ATTACHMENTS_PER_REQUEST),
});

/** An attachment as the API shows it. */
export const AttachmentSchema = z.object({
  id: z.number().int().positive(),
  caseId: z.number().int().positive(),
  /** The uploader's file name, sanitised (at most 255 characters). */
  fileName: z.string().max(255),
  /** The sniffed type, never the client's claim. */
  contentType: z.enum(ATTACHMENT_CONTENT_TYPES),
  sizeBytes: z.number().int().nonnegative(),
  /** Hex SHA-256 of the bytes; also the download's ETag. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** User id of the uploader. */
  uploadedBy: z.number().int().positive().nullable(),
  createdAt: z.iso.datetime(),
  /** Where to download the bytes. */
  url: z.string(),
});

/** One attachment. */
export type AttachmentView = z.infer<typeof AttachmentSchema>;

/** `GET /api/cases/:id/attachments`: the case's attachments, oldest first. */
export const AttachmentListSchema = z.object({ items: z.array(AttachmentSchema) });

/**
 * `POST /api/cases/:id/attachments` answer (201 when anything was stored, 200 when every file was already
 * attached): one item per uploaded file, in upload order; `created` is false for a file the case already had.
 */
export const AttachmentUploadResultSchema = z.object({
  items: z.array(AttachmentSchema.extend({ created: z.boolean() })),
});

/** The upload answer. */
export type AttachmentUploadResult = z.infer<typeof AttachmentUploadResultSchema>;
