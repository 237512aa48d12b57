import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import type { Category, GridFeature, OrgUnit } from '../api/types.ts';

/** Reference data changes rarely: each list is loaded once per page load and shared by every page. */
function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () =>
    (pending ??= load().catch((err: unknown) => {
      pending = null;
      throw err;
    }));
}

/** All org units (flat). */
export const loadOrgUnits = cached(() => api<{ items: OrgUnit[] }>('/api/org-units').then((r) => r.items));
/** All categories, 大类 and 小类. */
export const loadCategories = cached(() =>
  api<{ items: Category[] }>('/api/categories').then((r) => r.items),
);
/** All grids valid today, as GeoJSON features. */
export const loadGrids = cached(() => api<{ features: GridFeature[] }>('/api/grids').then((r) => r.features));

/** A node of the category picker's tree (antd TreeSelect). */
export interface CategoryNode {
  title: string;
  value: string | number;
  key: string;
  selectable: boolean;
  children?: CategoryNode[];
}

/** What the pages need of the reference data, with name look-ups. */
export interface Reference {
  ready: boolean;
  orgUnits: OrgUnit[];
  categories: Category[];
  towns: OrgUnit[];
  unitName(id: number | null | undefined): string;
  categoryName(id: number | null | undefined): string;
  /** 大类 → 小类 tree; `by` picks what a 小类's value is (its id for filters, its code for intake). */
  categoryTree(by: 'id' | 'code', majorsSelectable?: boolean): CategoryNode[];
}

/** Loads org units and categories (once) and offers look-ups over them. */
export function useReference(): Reference {
  const [orgUnits, setOrgUnits] = useState<OrgUnit[]>([]);
  const [categories, setCategories] = useState<Category[]>([]);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    Promise.all([loadOrgUnits(), loadCategories()])
      .then(([u, c]) => {
        if (!live) return;
        setOrgUnits(u);
        setCategories(c);
        setReady(true);
      })
      .catch((err: unknown) => console.warn('reference data failed to load', err));
    return () => {
      live = false;
    };
  }, []);
  return useMemo(() => {
    const units = new Map(orgUnits.map((u) => [u.id, u]));
    const cats = new Map(categories.map((c) => [c.id, c]));
    const towns = orgUnits
      .filter((u) => u.level === 'town' && u.kind === 'centre')
      .sort((a, b) => a.sortOrder - b.sortOrder || a.id - b.id);
    return {
      ready,
      orgUnits,
      categories,
      towns,
      unitName: (id) => (id == null ? '' : (units.get(id)?.name ?? `#${id}`)),
      categoryName: (id) => (id == null ? '' : (cats.get(id)?.name ?? `#${id}`)),
      categoryTree: (by, majorsSelectable = false) => {
        const majors = categories.filter((c) => c.level === 'major' && c.active);
        return majors.map((m) => ({
          title: `${m.code} ${m.name}`,
          value: by === 'id' ? m.id : `major:${m.code}`,
          key: `major:${m.code}`,
          selectable: majorsSelectable,
          children: categories
            .filter((c) => c.level === 'minor' && c.parentCode === m.code && c.active)
            .map((c) => ({
              title: `${c.code} ${c.name}`,
              value: by === 'id' ? c.id : c.code,
              key: c.code,
              selectable: true,
            })),
        }));
      },
    };
  }, [orgUnits, categories, ready]);
}
