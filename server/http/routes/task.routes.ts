import { Router } from 'express';
import { z } from 'zod';
import { CASE_SOURCES } from '../../../db/models/case.model.ts';
import { claimTask, completeTask, inbox, taskDetail, unclaimTask } from '../../services/task.service.ts';
import { principal, requireAuth } from '../auth.middleware.ts';
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

/** The task inbox and the actions on a task. */
export function taskRoutes(deps: HttpDeps): Router {
  const router = Router();
  const auth = requireAuth(deps);
  router.get('/api/tasks', auth, async (req, res) => {
    res.json(await inbox(deps, principal(req), parseInput(InboxSchema, req.query, 'query')));
  });
  router.get('/api/tasks/:key', auth, async (req, res) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    res.json(await taskDetail(deps, principal(req), key));
  });
  router.post('/api/tasks/:key/claim', auth, async (req, res) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    await claimTask(deps, principal(req), key);
    res.status(204).end();
  });
  router.post('/api/tasks/:key/unclaim', auth, async (req, res) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    await unclaimTask(deps, principal(req), key);
    res.status(204).end();
  });
  router.post('/api/tasks/:key/complete', auth, async (req, res) => {
    const { key } = parseInput(KeyParams, req.params, 'params');
    const body = parseInput(CompleteSchema, req.body, 'body');
    await completeTask(deps, principal(req), key, body.action, body.variables);
    res.status(204).end();
  });
  return router;
}
