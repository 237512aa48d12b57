import { Router } from 'express';
import { UnexpectedError } from '../../../common/errors.ts';
import { AttachmentIdParamsSchema } from '../../schemas/attachment.schema.ts';
import {
  type AttachmentLimits,
  DEFAULT_ATTACHMENT_LIMITS,
  listAttachments,
  openAttachment,
  uploadAttachments,
} from '../../services/attachment.service.ts';
import { principal, requireAuth } from '../auth.middleware.ts';
import type { HttpDeps } from '../deps.ts';
import { parseInput } from '../validate.ts';

/** Optional settings of the attachment routes (tests and deployments may change the upload limits). */
export interface AttachmentRouteOptions {
  attachmentLimits?: Partial<AttachmentLimits>;
}

/** Attachments of a case: upload (size and type checked), list, download. */
export function attachmentRoutes(deps: HttpDeps & AttachmentRouteOptions): Router {
  const router = Router();
  const auth = requireAuth(deps);
  const limits: AttachmentLimits = { ...DEFAULT_ATTACHMENT_LIMITS, ...deps.attachmentLimits };

  // Upload: anyone who can see the case except auditors (read-only); the case must be open.
  router.post('/api/cases/:id/attachments', auth, async (req, res) => {
    const { id } = parseInput(AttachmentIdParamsSchema, req.params, 'params');
    const result = await uploadAttachments(deps, principal(req), id, req, limits);
    if (result.items.length === 1) res.location(result.items[0].url);
    res.status(result.items.some((i) => i.created) ? 201 : 200).json(result);
  });

  // List: anyone who can see the case.
  router.get('/api/cases/:id/attachments', auth, async (req, res) => {
    const { id } = parseInput(AttachmentIdParamsSchema, req.params, 'params');
    res.json({ items: await listAttachments(deps, principal(req), id) });
  });

  // Download: anyone who can see the attachment's case.
  router.get('/api/attachments/:id', auth, async (req, res) => {
    const { id } = parseInput(AttachmentIdParamsSchema, req.params, 'params');
    const { attachment, root, relativePath } = await openAttachment(deps, principal(req), id);
    // Images and videos show in the browser; documents download. The type is the sniffed one and nosniff
    // keeps the browser from guessing another.
    const inline = /^(image|video)\//.test(attachment.contentType);
    res.set({
      'Content-Type': attachment.contentType,
      'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', attachment.fileName),
      'X-Content-Type-Options': 'nosniff',
      ETag: `"${attachment.sha256}"`,
      'Cache-Control': 'private, no-cache',
    });
    // send (through res.sendFile) keeps the headers set above and adds Content-Length, Range and 304 handling.
    await new Promise<void>((resolve, reject) => {
      res.sendFile(relativePath, { root, cacheControl: false, lastModified: false, etag: false }, (err) => {
        if (!err || res.headersSent) return resolve();
        reject(
          new UnexpectedError(`The file of attachment ${id} cannot be read`, {
            cause: err,
          }),
        );
      });
    });
  });

  return router;
}

/**
 * A Content-Disposition value that carries any file name: an ASCII fallback in `filename` for old clients and
 * the exact UTF-8 name in `filename*` (RFC 6266 with RFC 5987/8187 encoding).
 */
function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
