import type { CategoryAttributes } from '../../db/models/category.model.ts';
import type { Sequelize } from 'sequelize';
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

interface CachedCategory {
  row: Readonly<CategoryAttributes> | null;
  /** `performance.now()` after which the row is read again. */
  freshUntil: number;
}

/** Categories by id, one map per database (per model class). */
const caches = new WeakMap<Models['Category'], Map<number, CachedCategory>>();

/**
 * A category by id (小类 or 大类), or null: read once per CATEGORY_CACHE_MS. Each stage a case enters and each
 * of its workers reads its category's limits or remit, 8 reads a case on the shortest path; the row is shared
 * between callers, so it is frozen.
 */
export async function categoryById(models: Models, id: number): Promise<Readonly<CategoryAttributes> | null> {
  let cache = caches.get(models.Category);
  if (!cache) caches.set(models.Category, (cache = new Map()));
  const now = performance.now();
  const hit = cache.get(id);
  if (hit && hit.freshUntil > now) return hit.row;
  const row = await rowsOf<CategoryAttributes>(models.Category).get(id);
  if (cache.size >= CATEGORY_CACHE_LIMIT) cache.clear();
  const frozen = row ? Object.freeze(row) : null;
  cache.set(id, { row: frozen, freshUntil: now + CATEGORY_CACHE_MS });
  return frozen;
}

/** A choice of the register form's 小类 field. */
export interface CategoryOption {
  label: string;
  value: string;
}

const optionLists = new WeakMap<
  Sequelize,
  { options: readonly Readonly<CategoryOption>[]; freshUntil: number }
>();

/**
 * The active 小类 as the register form offers them (`code name`, by code), read once per CATEGORY_CACHE_MS:
 * every registration's form and its completion check offer the same list of about 60.
 */
export async function minorCategoryOptions(
  sequelize: Sequelize,
): Promise<readonly Readonly<CategoryOption>[]> {
  const now = performance.now();
  const hit = optionLists.get(sequelize);
  if (hit && hit.freshUntil > now) return hit.options;
  const rows = await directSql(sequelize).all<{ code: string; name: string }>(
    "SELECT code, name FROM category WHERE level = 'minor' AND active = ? ORDER BY code",
    [true],
  );
  const options = Object.freeze(
    rows.map((c) => Object.freeze({ label: `${c.code} ${c.name}`, value: c.code })),
  );
  optionLists.set(sequelize, { options, freshUntil: now + CATEGORY_CACHE_MS });
  return options;
}
