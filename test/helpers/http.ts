import type { CaseWorld } from './case-world.ts';

/** A JSON response: status, body (problem JSON on errors) and headers. */
export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the world's API with these headers (see CaseWorld.signIn); the body is sent as JSON unless a string. */
export async function api<T = Record<string, unknown>>(
  w: CaseWorld,
  headers: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  const base = await w.serve();
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}
