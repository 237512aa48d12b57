import { Router } from 'express';
import { z } from 'zod';
import { login, logout } from '../../services/auth.service.ts';
import { SESSION_COOKIE, principal, requireAuth, tokenOf } from '../auth.middleware.ts';
import type { HttpDeps } from '../deps.ts';
import { parseInput } from '../validate.ts';

/** Login body. */
export const LoginSchema = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(256),
});

/** Sign in, sign out, who am I. */
export function authRoutes(deps: HttpDeps): Router {
  const router = Router();
  router.post('/api/auth/login', async (req, res) => {
    const body = parseInput(LoginSchema, req.body, 'body');
    const session = await login(deps, body.username, body.password);
    res.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      expires: new Date(session.expiresAt),
      path: '/',
    });
    res.json({
      token: session.token,
      expiresAt: new Date(session.expiresAt).toISOString(),
      user: session.principal,
    });
  });
  router.post('/api/auth/logout', async (req, res) => {
    const token = tokenOf(req);
    if (token) await logout(deps.sequelize, token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });
  router.get('/api/auth/me', requireAuth(deps), (req, res) => {
    res.json({ user: principal(req) });
  });
  return router;
}
