import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import { UnauthorizedError } from '../../common/errors.ts';
import type { Models } from '../../db/models/index.ts';
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

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

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
  return { token, expiresAt, principal: await principalOf(deps.models, user.get('id') as number) };
}

/** Ends a session. */
export async function logout(sequelize: Sequelize, token: string): Promise<void> {
  await sequelize.query('DELETE FROM app_session WHERE token_hash = ?', { replacements: [hashToken(token)] });
}

/** The principal of a session token, or UnauthorizedError when it is unknown or expired. */
export async function authenticate(
  deps: { sequelize: Sequelize; models: Models; clock: Clock },
  token: string,
): Promise<Principal> {
  const rows = await deps.sequelize.query<{ user_id: number; expires_at: number | string }>(
    'SELECT user_id, expires_at FROM app_session WHERE token_hash = ?',
    { replacements: [hashToken(token)], type: QueryTypes.SELECT },
  );
  if (rows.length === 0 || Number(rows[0].expires_at) <= deps.clock.now()) {
    throw new UnauthorizedError('SESSION_EXPIRED', 'Not signed in, or the session has expired');
  }
  return principalOf(deps.models, Number(rows[0].user_id));
}

/** Loads a user's principal. */
export async function principalOf(models: Models, userId: number): Promise<Principal> {
  const user = await models.User.findByPk(userId, {
    include: [
      { model: models.OrgUnit, as: 'orgUnit' },
      { model: models.UserRole, as: 'roles' },
      { model: models.UserGrid, as: 'grids' },
    ],
  });
  if (!user || !user.get('active')) throw new UnauthorizedError('USER_INACTIVE', 'This account is disabled');
  const u = user.get({ plain: true }) as unknown as {
    id: number;
    username: string;
    displayName: string;
    orgUnit: { id: number; name: string; level: OrgLevel; kind: OrgKind; parentId: number | null };
    roles: { role: Role }[];
    grids: { gridId: number }[];
  };
  const roles = u.roles.map((r) => r.role).sort();
  const gridIds = u.grids.map((g) => g.gridId).sort((a, b) => a - b);
  const groups = [
    ...roles.map((r) => `unit:${u.orgUnit.id}:${r}`),
    ...(roles.includes('grid_worker') ? gridIds.map((g) => `grid:${g}:grid_worker`) : []),
  ];
  return {
    userId: u.id,
    username: u.username,
    displayName: u.displayName,
    orgUnit: {
      id: u.orgUnit.id,
      name: u.orgUnit.name,
      level: u.orgUnit.level,
      kind: u.orgUnit.kind,
      parentId: u.orgUnit.parentId,
    },
    roles,
    gridIds,
    groups,
  };
}
