import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { gunzipSync, inflateSync } from 'node:zlib';

/**
 * The drivers' connections: kept alive and reused, as a browser keeps its few connections to the centre.
 * Node's own HTTP client rather than `fetch`: undici's fetch costs the drivers' process about twice the CPU
 * per call (WHATWG streams and headers), and the drivers share the machine's second core with the server's
 * pool and GC threads (bench/README.md, session 8).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP call: status, parsed body, milliseconds (client side, body read included). */
export function call<T>(
  baseUrl: string,
  headers: Record<string, string>,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: T; ms: number }> {
  const start = performance.now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${urlPath}`,
      {
        method,
        agent,
        // As fetch and the browsers ask: the server compresses answers from 1 KiB.
        headers: {
          ...headers,
          'accept-encoding': 'gzip, deflate',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          const encoding = res.headers['content-encoding'];
          const text = (
            encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw
          ).toString('utf8');
          const ms = performance.now() - start;
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : null) as T, ms });
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
