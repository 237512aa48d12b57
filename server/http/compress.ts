import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';

/** Where compression must stay off, whatever the content type says. */
const ATTACHMENT_DOWNLOAD = /^\/api\/attachments\//;

/**
 * Decides per response whether it is compressed. On top of compression's own rule (a compressible type, at
 * least 1 KiB, the client accepts an encoding, no `Cache-Control: no-transform`), it leaves alone:
 * - byte ranges (a `Range` request or a 206): the range counts bytes of the identity body, and a gzipped
 *   slice would not match its `Content-Range`;
 * - attachment downloads: stored photos, videos and PDFs are compressed already, and they carry a strong
 *   ETag (the file's SHA-256) and range support that must describe the bytes on disk;
 * - server-sent events (`text/event-stream`) and anything a handler streams with `X-Accel-Buffering: no`:
 *   zlib would hold their small writes back until it has a block, so the client would see nothing.
 *   (No route streams today; the task inbox polls. This keeps a future long-poll or stream from stalling.)
 */
export function shouldCompress(req: Request, res: Response): boolean {
  if (req.headers.range != null || res.statusCode === 206 || res.hasHeader('Content-Range')) return false;
  if (ATTACHMENT_DOWNLOAD.test(req.originalUrl)) return false;
  const type = String(res.getHeader('Content-Type') ?? '');
  if (/^text\/event-stream/i.test(type)) return false;
  if (String(res.getHeader('X-Accel-Buffering') ?? '').toLowerCase() === 'no') return false;
  return compression.filter(req, res);
}

/**
 * Compression for the API's JSON, GeoJSON and XML and the web app's hashed JS and CSS (Brotli for clients
 * that accept it, as browsers do, else gzip): the app's largest chunks shrink to about a third, which is what a town office's line notices.
 * A response goes out whole once its handler ends it, so nothing waits on a buffer; see `shouldCompress` for
 * what is never compressed.
 */
export function compress(): RequestHandler {
  return compression({ filter: shouldCompress });
}
