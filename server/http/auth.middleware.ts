import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Sequelize } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import { ForbiddenError, UnauthorizedError } from '../../common/errors.ts';
import type { Models } from '../../db/models/index.ts';
import type { Role } from '../../db/models/user-role.model.ts';
import { type Principal, authenticate } from '../services/auth.service.ts';

/** The session cookie's name. */
export const SESSION_COOKIE = 'gf_session';

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in user (set by requireAuth). */
    principal?: Principal;
  }
}

/** The session token of a request: `Authorization: Bearer …` or the session cookie. */
export function tokenOf(req: { headers: IncomingHttpHeaders }): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || null;
  const cookies = req.headers.cookie ?? '';
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** Requires a signed-in user; 401 otherwise. */
export function requireAuth(deps: { sequelize: Sequelize; models: Models; clock: Clock }): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = tokenOf(req);
    if (!token) return next(new UnauthorizedError('NOT_SIGNED_IN', 'Sign in first'));
    authenticate(deps, token).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/** Requires one of the roles; 403 otherwise. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const p = req.principal;
    if (!p || !roles.some((r) => p.roles.includes(r))) {
      return next(new ForbiddenError('FORBIDDEN', `This needs one of the roles: ${roles.join(', ')}`));
    }
    next();
  };
}

/** The principal of an authenticated request. */
export function principal(req: { principal?: Principal }): Principal {
  if (!req.principal) throw new UnauthorizedError('NOT_SIGNED_IN', 'Sign in first');
  return req.principal;
}
