import { hash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import { UnauthorizedError } from '../../common/errors.ts';
import type { Models } from '../../db/models/index.ts';
import { directSql } from '../../db/sequelize-sql.ts';
import type { OrgKind, OrgLevel } from '../../db/models/org-unit.model.ts';
import type { Role } from '../../db/models/user-role.model.ts';

/** A signed-in user as every request sees them: who, where, what roles, which candidate groups. */
export interface Principal {
  userId: number;
  username: string;
  displayName: string;
  orgUnit: { id: number; name: string; level: OrgLevel; kind: OrgKind; parentId: number | null };
  roles: Role[];
  gridIds: number[];
  /** The candidate groups of docs/case-lifecycle.md: `unit:<id>:<role>`, `grid:<id>:grid_worker`. */
  groups: string[];
}

/** How long a session lasts (ms). */
const SESSION_TTL = 12 * 3600_000;

const hashToken = (token: string): string => hash('sha256', token, 'hex');

/**
 * How long a session's principal is reused without reading the database again (ms). Every request
 * authenticates, 17 a case on the case loop, and the lookup joins the session, user, unit, roles and grids
 * (bench/README.md, session 8). Signing out and every change `updateUser` makes drop entries in this process
 * at once; another process sharing a MySQL database sees them within this time.
 */
export const SESSION_CACHE_MS = 2000;
const SESSION_CACHE_LIMIT = 10_000;

interface CachedSession {
  principal: Principal;
  expiresAt: number;
  /** Clock time after which the entry is read again. */
  freshUntil: number;
}

/** Principals of recent sessions by token hash, one map per database. */
const sessionCaches = new WeakMap<Sequelize, Map<string, CachedSession>>();

function sessionCache(sequelize: Sequelize): Map<string, CachedSession> {
  let cache = sessionCaches.get(sequelize);
  if (!cache) sessionCaches.set(sequelize, (cache = new Map()));
  return cache;
}

/** Drops cached principals after users, their roles or grids changed: the next request reads them again. */
export function forgetSessions(sequelize: Sequelize): void {
  sessionCaches.get(sequelize)?.clear();
}

/** Signs a user in: a new session token, and who they are. Wrong user or password → 401, the same message for both. */
export async function login(
  deps: { sequelize: Sequelize; models: Models; clock: Clock },
  username: string,
  password: string,
): Promise<{ token: string; expiresAt: number; principal: Principal }> {
  const user = await deps.models.User.findOne({ where: { username, active: true } });
  const ok = user
    ? await argon2.verify(user.get('passwordHash') as string, password).catch(() => false)
    : false;
  if (!user || !ok) throw new UnauthorizedError('BAD_CREDENTIALS', 'Wrong username or password');
  const token = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  const expiresAt = now + SESSION_TTL;
  await deps.sequelize.query(
    'INSERT INTO app_session (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
    {
      replacements: [hashToken(token), user.get('id'), now, expiresAt],
      type: QueryTypes.INSERT,
    },
  );
  return { token, expiresAt, principal: await principalOf(deps.sequelize, user.get('id') as number) };
}

/** Ends a session. */
export async function logout(sequelize: Sequelize, token: string): Promise<void> {
  const hash = hashToken(token);
  // Before and after: a request that read the session while the DELETE ran must not leave it cached.
  sessionCache(sequelize).delete(hash);
  await sequelize.query('DELETE FROM app_session WHERE token_hash = ?', { replacements: [hash] });
  sessionCache(sequelize).delete(hash);
}

/** The principal of a session token, or UnauthorizedError when it is unknown or expired. */
export async function authenticate(
  deps: { sequelize: Sequelize; clock: Clock },
  token: string,
): Promise<Principal> {
  const hash = hashToken(token);
  const cache = sessionCache(deps.sequelize);
  const now = deps.clock.now();
  const cached = cache.get(hash);
  if (cached && now < cached.freshUntil && now < cached.expiresAt) return cached.principal;
  // One statement on the driver, not three model queries (bench:cases).
  const rows = await directSql(deps.sequelize).all<PrincipalRow & { expires_at: number | string }>(
    `SELECT s.expires_at, ${PRINCIPAL_COLUMNS}
       FROM app_session s JOIN app_user u ON u.id = s.user_id JOIN org_unit o ON o.id = u.org_unit_id
      WHERE s.token_hash = ?`,
    [hash],
  );
  const expiresAt = Number(rows[0]?.expires_at);
  if (rows.length === 0 || expiresAt <= now) {
    cache.delete(hash);
    throw new UnauthorizedError('SESSION_EXPIRED', 'Not signed in, or the session has expired');
  }
  const principal = frozen(principalFromRow(rows[0]));
  // A map keeps insertion order: re-inserting moves the entry last, so the first one is the stalest.
  cache.delete(hash);
  if (cache.size >= SESSION_CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(hash, { principal, expiresAt, freshUntil: now + SESSION_CACHE_MS });
  return principal;
}

/** A principal shared by the requests of one session: nobody may change it in place. */
function frozen(p: Principal): Principal {
  Object.freeze(p.orgUnit);
  Object.freeze(p.roles);
  Object.freeze(p.gridIds);
  Object.freeze(p.groups);
  return Object.freeze(p);
}

/** Loads a user's principal. */
export async function principalOf(sequelize: Sequelize, userId: number): Promise<Principal> {
  const rows = await directSql(sequelize).all<PrincipalRow>(
    `SELECT ${PRINCIPAL_COLUMNS} FROM app_user u JOIN org_unit o ON o.id = u.org_unit_id WHERE u.id = ?`,
    [userId],
  );
  if (rows.length === 0) throw new UnauthorizedError('USER_INACTIVE', 'This account is disabled');
  return principalFromRow(rows[0]);
}

/** A user with their unit, roles and grids, as one row (roles and grids comma-joined). */
interface PrincipalRow {
  id: number | string;
  username: string;
  display_name: string;
  active: number | boolean | string;
  org_id: number | string;
  org_name: string;
  org_level: OrgLevel;
  org_kind: OrgKind;
  org_parent_id: number | string | null;
  roles: string | null;
  grids: string | null;
}

const PRINCIPAL_COLUMNS = `u.id, u.username, u.display_name, u.active,
  o.id AS org_id, o.name AS org_name, o.level AS org_level, o.kind AS org_kind, o.parent_id AS org_parent_id,
  (SELECT GROUP_CONCAT(r.role) FROM user_role r WHERE r.user_id = u.id) AS roles,
  (SELECT GROUP_CONCAT(g.grid_id) FROM user_grid g WHERE g.user_id = u.id) AS grids`;

function principalFromRow(u: PrincipalRow): Principal {
  if (!Number(u.active)) throw new UnauthorizedError('USER_INACTIVE', 'This account is disabled');
  const orgId = Number(u.org_id);
  const roles = (u.roles ? (u.roles.split(',') as Role[]) : []).sort();
  const gridIds = (u.grids ? u.grids.split(',').map(Number) : []).sort((a, b) => a - b);
  const groups = [
    ...roles.map((r) => `unit:${orgId}:${r}`),
    ...(roles.includes('grid_worker') ? gridIds.map((g) => `grid:${g}:grid_worker`) : []),
  ];
  return {
    userId: Number(u.id),
    username: u.username,
    displayName: u.display_name,
    orgUnit: {
      id: orgId,
      name: u.org_name,
      level: u.org_level,
      kind: u.org_kind,
      parentId: u.org_parent_id == null ? null : Number(u.org_parent_id),
    },
    roles,
    gridIds,
    groups,
  };
}
