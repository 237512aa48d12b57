import type { Sequelize } from 'sequelize';
import type { CategoryAttributes } from '../../db/models/category.model.ts';
import type { Models } from '../../db/models/index.ts';
import { rowsOf } from '../../db/row-store.ts';
import { directSql } from '../../db/sequelize-sql.ts';

/**
 * How long a category read on the case loop's path is used before it is read again (ms). Categories are
 * configuration (the city's list with its time limits, seeded and changed rarely, by hand or by a migration):
 * a change takes effect within this time, in every process.
 */
export const CATEGORY_CACHE_MS = 2000;
const CATEGORY_CACHE_LIMIT = 1000;

interface Cached<V> {
  value: V;
  /** `performance.now()` after which the value is read again. */
  freshUntil: number;
}

/** The value kept under `key` while it is fresh, else `load`'s, kept for CATEGORY_CACHE_MS (frozen by `load`). */
async function readThrough<K, V>(cache: Map<K, Cached<V>>, key: K, load: () => Promise<V>): Promise<V> {
  const now = performance.now();
  const hit = cache.get(key);
  if (hit && hit.freshUntil > now) return hit.value;
  const value = await load();
  if (cache.size >= CATEGORY_CACHE_LIMIT) cache.clear();
  cache.set(key, { value, freshUntil: now + CATEGORY_CACHE_MS });
  return value;
}

/** Categories by id, one map per database (per model class). */
const categories = new WeakMap<
  Models['Category'],
  Map<number, Cached<Readonly<CategoryAttributes> | null>>
>();

/**
 * A category by id (小类 or 大类), or null: read once per CATEGORY_CACHE_MS. Each stage a case enters and each
 * of its workers reads its category's limits or remit, 8 reads a case on the shortest path; the row is shared
 * between callers, so it is frozen.
 */
export function categoryById(models: Models, id: number): Promise<Readonly<CategoryAttributes> | null> {
  let cache = categories.get(models.Category);
  if (!cache) categories.set(models.Category, (cache = new Map()));
  return readThrough(cache, id, async () => {
    const row = await rowsOf<CategoryAttributes>(models.Category).get(id);
    return row ? Object.freeze(row) : null;
  });
}

/** A choice of the register form's 小类 field. */
export interface CategoryOption {
  label: string;
  value: string;
}

/** The register form's choices, one list per database. */
const optionLists = new WeakMap<Sequelize, Map<'minor', Cached<readonly Readonly<CategoryOption>[]>>>();

/**
 * The active 小类 as the register form offers them (`code name`, by code), read once per CATEGORY_CACHE_MS:
 * every registration's form and its completion check offer the same list of about 60.
 */
export function minorCategoryOptions(sequelize: Sequelize): Promise<readonly Readonly<CategoryOption>[]> {
  let cache = optionLists.get(sequelize);
  if (!cache) optionLists.set(sequelize, (cache = new Map()));
  return readThrough(cache, 'minor', async () => {
    const rows = await directSql(sequelize).all<{ code: string; name: string }>(
      "SELECT code, name FROM category WHERE level = 'minor' AND active = ? ORDER BY code",
      [true],
    );
    return Object.freeze(rows.map((c) => Object.freeze({ label: `${c.code} ${c.name}`, value: c.code })));
  });
}
