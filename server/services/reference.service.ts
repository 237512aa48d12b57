import { QueryTypes, type Sequelize } from 'sequelize';
import { NotFoundError } from '../../common/errors.ts';
import type {
  CategoryQuery,
  CategoryView,
  GridFeature,
  GridFeatureCollection,
  GridLocation,
  GridQuery,
  OrgUnitQuery,
  OrgUnitTreeNode,
  OrgUnitView,
} from '../schemas/reference.schema.ts';
import { locatePoint } from './locate.service.ts';

// Reference data every signed-in user reads: the organisation, the grids (GeoJSON), the categories. Plain
// SQL with `?` parameters: these are read on every form and map load.

type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v == null ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v == null ? null : String(v));
/** SQLite gives 0/1, MySQL 0/1 or a boolean. */
const bool = (v: unknown): boolean => Boolean(Number(v));
/** DATEONLY columns: a string on SQLite and mysql2 (dateStrings off gives a Date for DATE; normalise). */
const day = (v: unknown): string | null =>
  v == null ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);

/** `LIKE` pattern for a substring, with `!` as the escape character (the same on SQLite and MySQL). */
export function likeContains(text: string): string {
  return `%${text.replace(/[!%_]/g, (m) => `!${m}`)}%`;
}

/** `LIKE` pattern for a prefix, escaped as `likeContains`. */
function likePrefix(text: string): string {
  return `${text.replace(/[!%_]/g, (m) => `!${m}`)}%`;
}

/** The current day (UTC) of a clock reading, as grid validity compares it. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

// ---- Org units ----------------------------------------------------------------------------------------

const ORG_COLUMNS = 'id, code, name, level, kind, area_type, department_kind, parent_id, sort_order, active';

function toOrgUnit(r: Row): OrgUnitView {
  return {
    id: num(r.id),
    code: String(r.code),
    name: String(r.name),
    level: r.level as OrgUnitView['level'],
    kind: r.kind as OrgUnitView['kind'],
    areaType: strOrNull(r.area_type),
    departmentKind: strOrNull(r.department_kind),
    parentId: numOrNull(r.parent_id),
    sortOrder: num(r.sort_order),
    active: bool(r.active),
  };
}

/**
 * The organisation as a flat list in tree order (each unit right after its parent, siblings by sort order),
 * as a unit picker shows it. Filters narrow the list; a unit whose parent is filtered out keeps its place
 * among the top.
 */
export async function listOrgUnits(sequelize: Sequelize, q: OrgUnitQuery = {}): Promise<OrgUnitView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown): void => {
    where.push(clause);
    params.push(value);
  };
  if (q.parentId != null) add('parent_id = ?', q.parentId);
  if (q.level) add('level = ?', q.level);
  if (q.kind) add('kind = ?', q.kind);
  const rows = await sequelize.query<Row>(
    `SELECT ${ORG_COLUMNS} FROM org_unit${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY sort_order, id`,
    { replacements: params, type: QueryTypes.SELECT },
  );
  const flat: OrgUnitView[] = [];
  const walk = (nodes: OrgUnitTreeNode[]): void => {
    for (const { children, ...unit } of nodes) {
      flat.push(unit);
      walk(children);
    }
  };
  walk(buildTree(rows.map(toOrgUnit)));
  return flat;
}

/**
 * The organisation as a tree: the roots are the units without a parent (the city centre), each unit's
 * children in sort order. A unit whose parent is missing becomes a root rather than disappearing.
 */
export async function orgUnitTree(sequelize: Sequelize): Promise<OrgUnitTreeNode[]> {
  return buildTree(await listOrgUnits(sequelize));
}

/** Nests units (given in sibling order) under their parents; units without a parent in the list are roots. */
function buildTree(units: OrgUnitView[]): OrgUnitTreeNode[] {
  const nodes = new Map<number, OrgUnitTreeNode>(units.map((u) => [u.id, { ...u, children: [] }]));
  const roots: OrgUnitTreeNode[] = [];
  for (const u of units) {
    const node = nodes.get(u.id)!;
    const parent = u.parentId == null ? undefined : nodes.get(u.parentId);
    // A unit that is its own ancestor would vanish from the tree; such data is shown as a root instead.
    if (parent && !isAncestor(node, parent, nodes)) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** True when `node` is `candidate` or one of its ancestors (a cycle in the parent links). */
function isAncestor(
  node: OrgUnitTreeNode,
  candidate: OrgUnitTreeNode,
  nodes: Map<number, OrgUnitTreeNode>,
): boolean {
  const seen = new Set<number>();
  for (let at: OrgUnitTreeNode | undefined = candidate; at && !seen.has(at.id);) {
    if (at === node) return true;
    seen.add(at.id);
    at = at.parentId == null ? undefined : nodes.get(at.parentId);
  }
  return false;
}

/** One org unit; 404 when there is none with this id. */
export async function getOrgUnit(sequelize: Sequelize, id: number): Promise<OrgUnitView> {
  const rows = await sequelize.query<Row>(`SELECT ${ORG_COLUMNS} FROM org_unit WHERE id = ?`, {
    replacements: [id],
    type: QueryTypes.SELECT,
  });
  if (rows.length === 0) throw new NotFoundError('ORG_UNIT_NOT_FOUND', `No org unit ${id}`);
  return toOrgUnit(rows[0]);
}

// ---- Grids --------------------------------------------------------------------------------------------

const GRID_SELECT = `SELECT g.id, g.code, g.name, g.village_id, v.parent_id AS town_id, g.geometry,
       g.valid_from, g.valid_to
  FROM grid g LEFT JOIN org_unit v ON v.id = g.village_id`;

function toFeature(r: Row): GridFeature {
  const geometry = JSON.parse(String(r.geometry)) as GridFeature['geometry'];
  return {
    type: 'Feature',
    id: num(r.id),
    geometry: { type: 'MultiPolygon', coordinates: geometry.coordinates },
    properties: {
      id: num(r.id),
      code: String(r.code),
      name: String(r.name),
      villageId: num(r.village_id),
      townId: numOrNull(r.town_id),
      validFrom: day(r.valid_from)!,
      validTo: day(r.valid_to),
    },
  };
}

/**
 * The grids valid on `today` as a GeoJSON FeatureCollection (RFC 7946, WGS84 `[lng, lat]`), in code order.
 * `bbox` keeps the grids whose bounding box intersects it (the grid table's bbox columns are the index).
 */
export async function listGrids(
  sequelize: Sequelize,
  q: GridQuery,
  today: string,
): Promise<GridFeatureCollection> {
  const where = ['g.valid_from <= ?', '(g.valid_to IS NULL OR g.valid_to >= ?)'];
  const params: unknown[] = [today, today];
  if (q.villageId != null) {
    where.push('g.village_id = ?');
    params.push(q.villageId);
  }
  if (q.townId != null) {
    where.push('v.parent_id = ?');
    params.push(q.townId);
  }
  if (q.bbox) {
    where.push('g.min_lng <= ? AND g.max_lng >= ? AND g.min_lat <= ? AND g.max_lat >= ?');
    params.push(q.bbox.maxLng, q.bbox.minLng, q.bbox.maxLat, q.bbox.minLat);
  }
  const rows = await sequelize.query<Row>(`${GRID_SELECT} WHERE ${where.join(' AND ')} ORDER BY g.code`, {
    replacements: params,
    type: QueryTypes.SELECT,
  });
  return { type: 'FeatureCollection', features: rows.map(toFeature) };
}

/** One grid as a GeoJSON Feature (also a retired one: old cases still point at it); 404 when unknown. */
export async function getGrid(sequelize: Sequelize, id: number): Promise<GridFeature> {
  const rows = await sequelize.query<Row>(`${GRID_SELECT} WHERE g.id = ?`, {
    replacements: [id],
    type: QueryTypes.SELECT,
  });
  if (rows.length === 0) throw new NotFoundError('GRID_NOT_FOUND', `No grid ${id}`);
  return toFeature(rows[0]);
}

/** The grid, village and town of a WGS84 point on `today` (属地); all null outside every grid. */
export async function locateGrid(
  sequelize: Sequelize,
  lng: number,
  lat: number,
  today: string,
): Promise<GridLocation> {
  const found = await locatePoint(sequelize, lng, lat, today);
  if (!found) return { grid: null, village: null, town: null };
  const [grid] = await sequelize.query<Row>('SELECT id, code, name FROM grid WHERE id = ?', {
    replacements: [found.gridId],
    type: QueryTypes.SELECT,
  });
  const units = await sequelize.query<Row>('SELECT id, code, name FROM org_unit WHERE id IN (?, ?)', {
    replacements: [found.villageId, found.townId],
    type: QueryTypes.SELECT,
  });
  const place = (r: Row | undefined) =>
    r ? { id: num(r.id), code: String(r.code), name: String(r.name) } : null;
  return {
    grid: place(grid),
    village: place(units.find((u) => num(u.id) === found.villageId)),
    town: place(units.find((u) => num(u.id) === found.townId)),
  };
}

// ---- Categories ---------------------------------------------------------------------------------------

const CATEGORY_SELECT = `SELECT c.*, p.id AS parent_id, p.name AS parent_name
  FROM category c LEFT JOIN category p ON p.code = c.parent_code`;

function toCategory(r: Row): CategoryView {
  return {
    id: num(r.id),
    code: String(r.code),
    name: String(r.name),
    root: r.root as CategoryView['root'],
    level: r.level as CategoryView['level'],
    parentCode: strOrNull(r.parent_code),
    parent:
      r.parent_id == null
        ? null
        : { id: num(r.parent_id), code: String(r.parent_code), name: String(r.parent_name) },
    departmentKind: strOrNull(r.department_kind),
    urgency: r.urgency as CategoryView['urgency'],
    registerCondition: strOrNull(r.register_condition),
    closeCondition: strOrNull(r.close_condition),
    limits: {
      acceptMin: num(r.limit_accept_min),
      dispatchMin: num(r.limit_dispatch_min),
      handleMin: num(r.limit_handle_min),
      verifyMin: num(r.limit_verify_min),
      closeMin: num(r.limit_close_min),
    },
    version: num(r.version),
    active: bool(r.active),
  };
}

/** The categories (大类 and 小类) in code order, so every 大类 comes right before its 小类. */
export async function listCategories(sequelize: Sequelize, q: CategoryQuery = {}): Promise<CategoryView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.q) {
    where.push("(c.name LIKE ? ESCAPE '!' OR c.code LIKE ? ESCAPE '!')");
    params.push(likeContains(q.q), likePrefix(q.q));
  }
  if (q.level) {
    where.push('c.level = ?');
    params.push(q.level);
  }
  if (q.root) {
    where.push('c.root = ?');
    params.push(q.root);
  }
  if (q.parentCode) {
    where.push('c.parent_code = ?');
    params.push(q.parentCode);
  }
  if (q.active != null) {
    where.push('c.active = ?');
    params.push(q.active ? 1 : 0);
  }
  const rows = await sequelize.query<Row>(
    `${CATEGORY_SELECT}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY c.code`,
    { replacements: params, type: QueryTypes.SELECT },
  );
  return rows.map(toCategory);
}

/** One category; 404 when unknown. */
export async function getCategory(sequelize: Sequelize, id: number): Promise<CategoryView> {
  const rows = await sequelize.query<Row>(`${CATEGORY_SELECT} WHERE c.id = ?`, {
    replacements: [id],
    type: QueryTypes.SELECT,
  });
  if (rows.length === 0) throw new NotFoundError('CATEGORY_NOT_FOUND', `No category ${id}`);
  return toCategory(rows[0]);
}
