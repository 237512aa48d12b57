import type { Problem } from './types.ts';

/** An API error: the HTTP status and the problem JSON the API sent (or one made up for a network failure). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }
}

/** Fired on window when the API answers 401 to a signed-in request: the session provider signs out. */
export const UNAUTHORIZED_EVENT = 'gf:unauthorized';

/** The problem JSON of an error response (or one made up from its status when the body is not JSON). */
export async function problemOf(res: Response): Promise<Problem> {
  try {
    const body = (await res.json()) as Partial<Problem>;
    return {
      type: body.type ?? 'about:blank',
      title: body.title ?? res.statusText,
      status: res.status,
      detail: body.detail ?? res.statusText,
      code: body.code,
      errors: body.errors,
    };
  } catch {
    return { type: 'about:blank', title: res.statusText, status: res.status, detail: res.statusText };
  }
}

/**
 * Calls the API with the session cookie: JSON in and out, 204 → undefined, an error status → ApiError with
 * the problem. A 401 also fires UNAUTHORIZED_EVENT (unless `quiet401`, for the sign-in check itself).
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; form?: FormData; quiet401?: boolean; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (init.form) body = init.form;
  else if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      credentials: 'same-origin',
      signal: init.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ type: 'about:blank', title: 'Network error', status: 0, detail: String(err) });
  }
  if (res.status === 401 && !init.quiet401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  if (!res.ok) throw new ApiError(await problemOf(res));
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** The message to show for any error (the problem's detail for API errors). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.problem.detail || err.problem.title;
  return err instanceof Error ? err.message : String(err);
}
