import argon2 from 'argon2';
import { QueryTypes, type Sequelize, type Transaction, UniqueConstraintError } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import {
  ConflictError,
  type FieldProblem,
  InvalidArgumentError,
  NotFoundError,
} from '../../common/errors.ts';
import { maskPhone } from '../../common/mask.ts';
import type { Models } from '../../db/models/index.ts';
import type { Role } from '../../db/models/user-role.model.ts';
import { sequelizeSql } from '../../db/sequelize-sql.ts';
import type { CreateUser, UpdateUser, UserQuery, UserView } from '../schemas/reference.schema.ts';
import { type AuditRecord, appendAudit } from './audit.service.ts';
import { forgetSessions } from './auth.service.ts';
import type { Actor } from './case.service.ts';
import { likeContains } from './reference.service.ts';

/** What user administration needs. */
export interface UserAdminDeps {
  sequelize: Sequelize;
  models: Models;
  clock: Clock;
}

type Row = Record<string, unknown>;

const USER_SELECT = `SELECT u.id, u.username, u.display_name, u.phone, u.active,
       o.id AS org_id, o.code AS org_code, o.name AS org_name, o.level AS org_level, o.kind AS org_kind
  FROM app_user u JOIN org_unit o ON o.id = u.org_unit_id`;

/** The audit chain of a user's records. */
const chainOfUser = (id: number): string => `user:${id}`;

/**
 * Users, a page at a time, by username. Filters: unit, role, a part of the username or display name,
 * active. Never the password hash; phones masked.
 */
export async function listUsers(
  sequelize: Sequelize,
  q: UserQuery,
): Promise<{ items: UserView[]; total: number; page: number; pageSize: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.orgUnitId != null) {
    where.push('u.org_unit_id = ?');
    params.push(q.orgUnitId);
  }
  if (q.role) {
    where.push('EXISTS (SELECT 1 FROM user_role r WHERE r.user_id = u.id AND r.role = ?)');
    params.push(q.role);
  }
  if (q.q) {
    where.push("(u.username LIKE ? ESCAPE '!' OR u.display_name LIKE ? ESCAPE '!')");
    params.push(likeContains(q.q), likeContains(q.q));
  }
  if (q.active != null) {
    where.push('u.active = ?');
    params.push(q.active ? 1 : 0);
  }
  const whereSql = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  const [rows, count] = await Promise.all([
    sequelize.query<Row>(
      `${USER_SELECT}${whereSql} ORDER BY u.username LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`,
      { replacements: params, type: QueryTypes.SELECT },
    ),
    sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM app_user u${whereSql}`, {
      replacements: params,
      type: QueryTypes.SELECT,
    }),
  ]);
  return {
    items: await withAssignments(sequelize, rows),
    total: Number(count[0].n),
    page: q.page,
    pageSize: q.pageSize,
  };
}

/** One user; 404 when unknown. */
export async function getUser(
  sequelize: Sequelize,
  id: number,
  transaction?: Transaction,
): Promise<UserView> {
  const rows = await sequelize.query<Row>(`${USER_SELECT} WHERE u.id = ?`, {
    replacements: [id],
    type: QueryTypes.SELECT,
    transaction,
  });
  if (rows.length === 0) throw new NotFoundError('USER_NOT_FOUND', `No user ${id}`);
  return (await withAssignments(sequelize, rows, transaction))[0];
}

/** Adds each user's roles and grids (two queries for the whole page). */
async function withAssignments(
  sequelize: Sequelize,
  rows: Row[],
  transaction?: Transaction,
): Promise<UserView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.id));
  const marks = ids.map(() => '?').join(', ');
  const [roles, grids] = await Promise.all([
    sequelize.query<{ user_id: number | string; role: Role }>(
      `SELECT user_id, role FROM user_role WHERE user_id IN (${marks}) ORDER BY role`,
      { replacements: ids, type: QueryTypes.SELECT, transaction },
    ),
    sequelize.query<{ user_id: number | string; grid_id: number | string }>(
      `SELECT user_id, grid_id FROM user_grid WHERE user_id IN (${marks}) ORDER BY grid_id`,
      { replacements: ids, type: QueryTypes.SELECT, transaction },
    ),
  ]);
  return rows.map((r) => {
    const id = Number(r.id);
    return {
      id,
      username: String(r.username),
      displayName: String(r.display_name),
      phone: maskPhone(r.phone as string | null),
      orgUnit: {
        id: Number(r.org_id),
        code: String(r.org_code),
        name: String(r.org_name),
        level: r.org_level as UserView['orgUnit']['level'],
        kind: r.org_kind as UserView['orgUnit']['kind'],
      },
      roles: roles.filter((x) => Number(x.user_id) === id).map((x) => x.role),
      gridIds: grids.filter((x) => Number(x.user_id) === id).map((x) => Number(x.grid_id)),
      active: Boolean(Number(r.active)),
    };
  });
}

/** Hashes a password as the demo seed does (argon2id, the library's default cost). */
function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/**
 * Creates a user with roles and grids, and its audit record, in one transaction. A taken username is a 409
 * naming `body.username`; an unknown or inactive unit, or grids outside the unit's village, a 400 naming the
 * field; nothing is written then.
 */
export async function createUser(deps: UserAdminDeps, actor: Actor, input: CreateUser): Promise<UserView> {
  const { sequelize, models, clock } = deps;
  const gridIds = input.gridIds ?? [];
  const taken = (): ConflictError =>
    new ConflictError('USERNAME_TAKEN', `The username ${input.username} is taken`, [
      { field: 'body.username', message: 'is taken' },
    ]);
  const check = async (transaction?: Transaction): Promise<void> => {
    if (await usernameExists(sequelize, input.username, transaction)) throw taken();
    await checkAssignment(sequelize, transaction, {
      orgUnitId: input.orgUnitId,
      orgUnitField: 'body.orgUnitId',
      roles: input.roles,
      rolesField: 'body.roles',
      gridIds,
      gridIdsField: 'body.gridIds',
    });
  };
  // Hashing is slow on purpose: a bad request is refused before it, and it runs before the transaction, so
  // no lock waits for it; the transaction checks again.
  await check();
  const passwordHash = await hashPassword(input.password);
  try {
    return await sequelize.transaction(async (transaction) => {
      await check(transaction);
      const user = await models.User.create(
        {
          username: input.username,
          displayName: input.displayName,
          phone: input.phone ?? null,
          orgUnitId: input.orgUnitId,
          passwordHash,
          active: input.active,
        },
        { transaction },
      );
      const id = user.get('id') as number;
      await models.UserRole.bulkCreate(
        input.roles.map((role) => ({ userId: id, role })),
        { transaction },
      );
      if (gridIds.length > 0) {
        await models.UserGrid.bulkCreate(
          gridIds.map((gridId) => ({ userId: id, gridId })),
          { transaction },
        );
      }
      await appendAudit(sequelizeSql(sequelize, transaction), [
        userAudit(clock.now(), actor, 'user.created', id, {
          username: input.username,
          displayName: input.displayName,
          phone: maskPhone(input.phone),
          orgUnitId: input.orgUnitId,
          roles: [...input.roles].sort(),
          gridIds: [...gridIds].sort((a, b) => a - b),
          active: input.active,
        }),
      ]);
      return getUser(sequelize, id, transaction);
    });
  } catch (err) {
    // Two creations of one username at once: the second insert hits the unique key.
    if (err instanceof UniqueConstraintError) throw taken();
    throw err;
  }
}

/**
 * Changes a user's display name, phone, password, roles, unit, grids or active flag in one transaction with
 * its audit record (field names and old/new values; for the password only that it changed). Deactivating a
 * user or setting a password ends their sessions. An admin cannot lock themselves out (deactivate themselves
 * or drop their own admin role).
 */
export async function updateUser(
  deps: UserAdminDeps,
  actor: Actor,
  id: number,
  change: UpdateUser,
): Promise<UserView> {
  const { sequelize, clock } = deps;
  if (actor.userId === id) {
    const self: FieldProblem[] = [];
    if (change.active === false) self.push({ field: 'body.active', message: 'cannot deactivate yourself' });
    if (change.roles && !change.roles.includes('admin')) {
      self.push({ field: 'body.roles', message: 'cannot remove your own admin role' });
    }
    if (self.length > 0) {
      throw new InvalidArgumentError('SELF_LOCKOUT', 'An admin cannot lock themselves out', self);
    }
  }
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  const view = await sequelize.transaction(async (transaction) => {
    const sql = sequelizeSql(sequelize, transaction);
    const [row] = await sql.all<Row>(
      `SELECT id, phone FROM app_user WHERE id = ?${sql.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
      [id],
    );
    if (!row) throw new NotFoundError('USER_NOT_FOUND', `No user ${id}`);
    const before = await getUser(sequelize, id, transaction);
    const after = {
      displayName: change.displayName ?? before.displayName,
      phone: change.phone === undefined ? ((row.phone as string | null) ?? null) : change.phone,
      orgUnitId: change.orgUnitId ?? before.orgUnit.id,
      roles: change.roles ? [...change.roles].sort() : before.roles,
      gridIds: change.gridIds ? [...change.gridIds].sort((a, b) => a - b) : before.gridIds,
      active: change.active ?? before.active,
    };
    // Only what the request touches is checked, so that an old inconsistency never blocks a rename; a rule
    // broken by a field the request left alone names the field it did change.
    if (change.orgUnitId !== undefined || change.roles || change.gridIds) {
      await checkAssignment(sequelize, transaction, {
        orgUnitId: after.orgUnitId,
        orgUnitField: change.orgUnitId === undefined ? null : 'body.orgUnitId',
        roles: after.roles,
        rolesField: change.roles ? 'body.roles' : 'body.gridIds',
        gridIds: after.gridIds,
        gridIdsField: change.gridIds ? 'body.gridIds' : change.orgUnitId ? 'body.orgUnitId' : 'body.roles',
      });
    }

    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const note = (field: string, from: unknown, to: unknown): void => {
      if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
    };
    note('displayName', before.displayName, after.displayName);
    // Masked here: the audit masks `phone` keys, but not the `from`/`to` under one, nor landline numbers.
    note('phone', maskPhone(row.phone as string | null), maskPhone(after.phone));
    note('orgUnitId', before.orgUnit.id, after.orgUnitId);
    note('roles', before.roles, after.roles);
    note('gridIds', before.gridIds, after.gridIds);
    note('active', before.active, after.active);
    if (Object.keys(changes).length === 0 && passwordHash === undefined) return before;

    const now = clock.now();
    await sql.run(
      `UPDATE app_user SET display_name = ?, phone = ?, org_unit_id = ?, active = ?${passwordHash === undefined ? '' : ', password_hash = ?'}, updated_at = ? WHERE id = ?`,
      [
        after.displayName,
        after.phone,
        after.orgUnitId,
        after.active ? 1 : 0,
        ...(passwordHash === undefined ? [] : [passwordHash]),
        new Date(now),
        id,
      ],
    );
    if (changes.roles) {
      await sql.run('DELETE FROM user_role WHERE user_id = ?', [id]);
      await sql.run(
        `INSERT INTO user_role (user_id, role) VALUES ${after.roles.map(() => '(?, ?)').join(', ')}`,
        after.roles.flatMap((role) => [id, role]),
      );
    }
    if (changes.gridIds) {
      await sql.run('DELETE FROM user_grid WHERE user_id = ?', [id]);
      if (after.gridIds.length > 0) {
        await sql.run(
          `INSERT INTO user_grid (user_id, grid_id) VALUES ${after.gridIds.map(() => '(?, ?)').join(', ')}`,
          after.gridIds.flatMap((gridId) => [id, gridId]),
        );
      }
    }
    // A disabled account or a reset password must not keep old sign-ins alive (nor revive them later).
    const endSessions = !after.active || passwordHash !== undefined;
    let sessionsEnded = 0;
    if (endSessions) {
      const [{ n }] = await sql.all<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM app_session WHERE user_id = ?',
        [id],
      );
      sessionsEnded = Number(n);
      await sql.run('DELETE FROM app_session WHERE user_id = ?', [id]);
    }
    await appendAudit(sql, [
      userAudit(now, actor, 'user.updated', id, {
        username: before.username,
        changes,
        ...(passwordHash === undefined ? {} : { passwordChanged: true }),
        ...(endSessions ? { sessionsEnded } : {}),
      }),
    ]);
    return getUser(sequelize, id, transaction);
  });
  // Whatever changed (unit, roles, grids, active, password): requests read the user again from now on.
  forgetSessions(sequelize);
  return view;
}

function userAudit(at: number, actor: Actor, action: string, userId: number, payload: unknown): AuditRecord {
  return {
    at,
    actor: actor.username,
    action,
    entityType: 'user',
    entityId: String(userId),
    chain: chainOfUser(userId),
    payload,
  };
}

/** Usernames are unique regardless of case (MySQL's collation compares them so; SQLite is told to). */
async function usernameExists(
  sequelize: Sequelize,
  username: string,
  transaction?: Transaction,
): Promise<boolean> {
  const rows = await sequelize.query('SELECT id FROM app_user WHERE LOWER(username) = LOWER(?)', {
    replacements: [username],
    type: QueryTypes.SELECT,
    transaction,
  });
  return rows.length > 0;
}

/**
 * Checks a user's unit, roles and grids together: the unit exists and is active; grids exist, are only
 * given to grid workers, and lie in the village the unit is the station of (a grid worker belongs to the
 * village station whose grids they patrol). Every problem is reported at once, each naming its field.
 */
async function checkAssignment(
  sequelize: Sequelize,
  transaction: Transaction | undefined,
  a: {
    orgUnitId: number;
    /** Null: the unit is not being changed, so whether it is still active is not this request's concern. */
    orgUnitField: string | null;
    roles: readonly Role[];
    rolesField: string;
    gridIds: readonly number[];
    gridIdsField: string;
  },
): Promise<void> {
  const errors: FieldProblem[] = [];
  const [unit] = await sequelize.query<{ id: number; active: unknown }>(
    'SELECT id, active FROM org_unit WHERE id = ?',
    { replacements: [a.orgUnitId], type: QueryTypes.SELECT, transaction },
  );
  if (a.orgUnitField !== null && (!unit || !Number(unit.active))) {
    errors.push({ field: a.orgUnitField, message: `${a.orgUnitId} is not an active org unit` });
  }
  if (a.gridIds.length > 0) {
    if (!a.roles.includes('grid_worker')) {
      errors.push({ field: a.rolesField, message: 'only grid workers cover grids: add grid_worker' });
    }
    const grids = await sequelize.query<{ id: number | string; village_id: number | string }>(
      `SELECT id, village_id FROM grid WHERE id IN (${a.gridIds.map(() => '?').join(', ')})`,
      { replacements: [...a.gridIds], type: QueryTypes.SELECT, transaction },
    );
    const villageOf = new Map(grids.map((g) => [Number(g.id), Number(g.village_id)]));
    const fieldOf = (i: number): string =>
      a.gridIdsField === 'body.gridIds' ? `${a.gridIdsField}.${i}` : a.gridIdsField;
    a.gridIds.forEach((gridId, i) => {
      const village = villageOf.get(gridId);
      if (village === undefined) errors.push({ field: fieldOf(i), message: `grid ${gridId} does not exist` });
      else if (unit && village !== a.orgUnitId) {
        errors.push({
          field: fieldOf(i),
          message: `grid ${gridId} is not in the village of org unit ${a.orgUnitId}`,
        });
      }
    });
  }
  if (errors.length > 0) {
    throw new InvalidArgumentError(
      'INVALID_ASSIGNMENT',
      `Invalid assignment: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      errors,
    );
  }
}
