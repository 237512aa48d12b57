import { performance } from 'node:perf_hooks';

/** One HTTP call: status, parsed body, milliseconds (client side, body read included). */
export async function call<T>(
  baseUrl: string,
  headers: Record<string, string>,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: T; ms: number }> {
  const start = performance.now();
  const res = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - start;
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, ms };
}
