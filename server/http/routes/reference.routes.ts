import { type Response, Router } from 'express';
import {
  CategoryQuerySchema,
  CreateUserSchema,
  GridLocateQuerySchema,
  GridQuerySchema,
  OrgUnitQuerySchema,
  ReferenceIdParamsSchema,
  UpdateUserSchema,
  UserQuerySchema,
} from '../../schemas/reference.schema.ts';
import {
  dayOf,
  getCategory,
  getGrid,
  getOrgUnit,
  listCategories,
  listGrids,
  listOrgUnits,
  locateGrid,
  orgUnitTree,
} from '../../services/reference.service.ts';
import type { Actor } from '../../services/case.service.ts';
import { createUser, getUser, listUsers, updateUser } from '../../services/user-admin.service.ts';
import type { Principal } from '../../services/auth.service.ts';
import { principal, requireAuth, requireRole } from '../auth.middleware.ts';
import type { HttpDeps } from '../deps.ts';
import { parseInput } from '../validate.ts';

/** RFC 7946 §12: the media type of GeoJSON. */
const GEO_JSON = 'application/geo+json';

const sendGeoJson = (res: Response, body: unknown): void => {
  res.type(GEO_JSON).send(JSON.stringify(body));
};

const actorOf = (p: Principal): Actor => ({
  userId: p.userId,
  username: p.username,
  orgUnitId: p.orgUnit.id,
});

/**
 * Org units, grids (GeoJSON), categories — readable by every signed-in user, since every form and map needs
 * them — and user administration, for the admin role only.
 */
export function referenceRoutes(deps: HttpDeps): Router {
  const router = Router();
  const auth = requireAuth(deps);
  const admin = requireRole('admin');
  const today = (): string => dayOf(deps.clock.now());

  router.get('/api/org-units', auth, async (req, res) => {
    const q = parseInput(OrgUnitQuerySchema, req.query, 'query');
    res.json({ items: await listOrgUnits(deps.sequelize, q) });
  });

  router.get('/api/org-units/tree', auth, async (_req, res) => {
    res.json({ roots: await orgUnitTree(deps.sequelize) });
  });

  router.get('/api/org-units/:id', auth, async (req, res) => {
    const { id } = parseInput(ReferenceIdParamsSchema, req.params, 'params');
    res.json(await getOrgUnit(deps.sequelize, id));
  });

  router.get('/api/grids', auth, async (req, res) => {
    const q = parseInput(GridQuerySchema, req.query, 'query');
    sendGeoJson(res, await listGrids(deps.sequelize, q, today()));
  });

  // Before `/api/grids/:id`, which would take `locate` for an id.
  router.get('/api/grids/locate', auth, async (req, res) => {
    const { lng, lat } = parseInput(GridLocateQuerySchema, req.query, 'query');
    res.json(await locateGrid(deps.sequelize, lng, lat, today()));
  });

  router.get('/api/grids/:id', auth, async (req, res) => {
    const { id } = parseInput(ReferenceIdParamsSchema, req.params, 'params');
    sendGeoJson(res, await getGrid(deps.sequelize, id));
  });

  router.get('/api/categories', auth, async (req, res) => {
    const q = parseInput(CategoryQuerySchema, req.query, 'query');
    res.json({ items: await listCategories(deps.sequelize, q) });
  });

  router.get('/api/categories/:id', auth, async (req, res) => {
    const { id } = parseInput(ReferenceIdParamsSchema, req.params, 'params');
    res.json(await getCategory(deps.sequelize, id));
  });

  router.get('/api/users', auth, admin, async (req, res) => {
    const q = parseInput(UserQuerySchema, req.query, 'query');
    res.json(await listUsers(deps.sequelize, q));
  });

  router.get('/api/users/:id', auth, admin, async (req, res) => {
    const { id } = parseInput(ReferenceIdParamsSchema, req.params, 'params');
    res.json(await getUser(deps.sequelize, id));
  });

  router.post('/api/users', auth, admin, async (req, res) => {
    const body = parseInput(CreateUserSchema, req.body, 'body');
    const user = await createUser(deps, actorOf(principal(req)), body);
    res.status(201).location(`/api/users/${user.id}`).json(user);
  });

  router.patch('/api/users/:id', auth, admin, async (req, res) => {
    const { id } = parseInput(ReferenceIdParamsSchema, req.params, 'params');
    const body = parseInput(UpdateUserSchema, req.body, 'body');
    res.json(await updateUser(deps, actorOf(principal(req)), id, body));
  });

  return router;
}
