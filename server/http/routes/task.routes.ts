import { z } from 'zod';
import { CASE_SOURCES } from '../../../db/models/case.model.ts';
import { claimTask, completeTask, inbox, taskDetail, unclaimTask } from '../../services/task.service.ts';
import type { ApiRouter } from '../api-router.ts';
import { principal } from '../auth.middleware.ts';
import type { HttpDeps } from '../deps.ts';
import { parseInput } from '../validate.ts';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Inbox query (任务中心). */
export const InboxSchema = z.object({
  view: z.enum(['mine', 'groups', 'all']).default('all'),
  townId: z.coerce.number().int().positive().optional(),
  categoryId: z.coerce.number().int().positive().optional(),
  source: z.enum(CASE_SOURCES).optional(),
  overdue: bool.optional(),
  dueWithinHours: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .optional(),
  sort: z.enum(['due', 'created']).default('due'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
});

/** Completion body: the action and the form's fields. */
export const CompleteSchema = z.object({
  action: z.string().trim().min(1).max(64),
  variables: z.record(z.string(), z.unknown()).default({}),
});

const KeyParams = z.object({ key: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a task key') });

type InboxQuery = z.infer<typeof InboxSchema>;

/** Parsed inbox queries by their text: an inbox is polled with the same few queries over and over. */
const inboxQueries = new Map<string, Readonly<InboxQuery>>();

/**
 * The inbox query, parsed as InboxSchema parses it (a failure is its 400 problem): the same query text parses
 * to the same value, so a parsed one is kept (frozen, shared) and the schema runs once per distinct query.
 */
function inboxQuery(query: unknown): Readonly<InboxQuery> {
  const text = JSON.stringify(query ?? {});
  let parsed = inboxQueries.get(text);
  if (!parsed) {
    parsed = Object.freeze(parseInput(InboxSchema, query, 'query'));
    if (inboxQueries.size >= 1000) inboxQueries.clear();
    inboxQueries.set(text, parsed);
  }
  return parsed;
}

/** The task inbox and the actions on a task, on the API router (ADR 0006: the case loop's hot routes). */
export function taskRoutes(deps: HttpDeps, api: ApiRouter): void {
  const signedIn = { auth: true };
  api.get('/api/tasks', signedIn, async (req) => ({
    status: 200,
    json: await inbox(deps, principal(req), inboxQuery(req.query)),
  }));
  api.get('/api/tasks/:key', signedIn, async (req) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    return { status: 200, json: await taskDetail(deps, principal(req), key) };
  });
  api.post('/api/tasks/:key/claim', signedIn, async (req) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    await claimTask(deps, principal(req), key);
    return { status: 204 };
  });
  api.post('/api/tasks/:key/unclaim', signedIn, async (req) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    await unclaimTask(deps, principal(req), key);
    return { status: 204 };
  });
  api.post('/api/tasks/:key/complete', signedIn, async (req) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    const body = parseInput(CompleteSchema, req.body, 'body');
    await completeTask(deps, principal(req), key, body.action, body.variables);
    return { status: 204 };
  });
}
