import test from 'ava';
import { QueryTypes } from 'sequelize';
import { SESSION_CACHE_MS } from '../../server/services/auth.service.ts';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

// A session's principal is reused for SESSION_CACHE_MS without reading the database (auth.service.ts).
// What a user is told by sign-out or by an admin's change must hold at once in this process; a change made
// where this process cannot see it (another process, a hand edit) holds within SESSION_CACHE_MS.

let w: CaseWorld;
test.before(async () => {
  w = await createCaseWorld();
});
test.after.always(async () => {
  await w?.close();
});

interface Me {
  user: { username: string; roles: string[]; groups: string[] };
}

const me = (headers: Record<string, string>) => api<Me>(w, headers, 'GET', '/api/auth/me');
/** The task inbox: on the router that answers before Express (api-router.ts), not the middleware. */
const inbox = (headers: Record<string, string>) => api(w, headers, 'GET', '/api/tasks');

async function userId(username: string): Promise<number> {
  const [row] = await w.db.sequelize.query<{ id: number }>('SELECT id FROM app_user WHERE username = ?', {
    replacements: [username],
    type: QueryTypes.SELECT,
  });
  return Number(row.id);
}

test.serial('a signed-out session is refused on the next request, on both routers', async (t) => {
  const h = await w.signIn('city.dispatcher');
  t.is((await inbox(h)).status, 200);
  t.is((await me(h)).status, 200);

  t.is((await api(w, h, 'POST', '/api/auth/logout')).status, 204);

  t.is((await inbox(h)).status, 401);
  t.is((await me(h)).status, 401);
});

test.serial('an admin taking a role away takes effect on the next request', async (t) => {
  const admin = await w.signIn('city.admin');
  const h = await w.signIn('city.supervisor');
  const before = await me(h);
  t.true(before.body.user.roles.includes('supervisor'));
  t.is((await inbox(h)).status, 200);

  const id = await userId('city.supervisor');
  const changed = await api(w, admin, 'PATCH', `/api/users/${id}`, { roles: ['auditor'] });
  t.is(changed.status, 200);

  const after = await me(h);
  t.deepEqual(after.body.user.roles, ['auditor']);
  t.false(after.body.user.groups.some((g) => g.endsWith(':supervisor')));
});

test.serial('a change made behind the process is seen within SESSION_CACHE_MS, not later', async (t) => {
  const h = await w.signIn('city.leader');
  t.is((await inbox(h)).status, 200);

  // As another process sharing the database would: the row goes, this process is not told.
  await w.db.sequelize.query(
    'DELETE FROM app_session WHERE user_id = (SELECT id FROM app_user WHERE username = ?)',
    { replacements: ['city.leader'] },
  );
  t.is((await inbox(h)).status, 200, 'still the cached principal');

  w.clock.advance(SESSION_CACHE_MS);
  t.is((await inbox(h)).status, 401);
  t.is((await me(h)).status, 401);
});

test.serial('a cached principal is not used past the end of its session', async (t) => {
  const h = await w.signIn('city.auditor');
  // Read again from the database a second before the session's 12 hours end: cached until after its end.
  w.clock.advance(12 * 3600_000 - 1000);
  t.is((await inbox(h)).status, 200);
  w.clock.advance(1000);
  t.is((await inbox(h)).status, 401);
});
