import { TreeSelect } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api, errorText } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import {
  type DispatchFilter,
  type DispatchScope,
  type OrgTreeUnit,
  dispatchTree,
  unitsById,
} from '../lib/org-tree.ts';

let pending: Promise<OrgTreeUnit[]> | null = null;

/** The organisation (`GET /api/org-units/tree`), loaded once per page load like the other reference data. */
export function loadOrgTree(): Promise<OrgTreeUnit[]> {
  pending ??= api<{ roots: OrgTreeUnit[] }>('/api/org-units/tree')
    .then((r) => r.roots)
    .catch((err: unknown) => {
      pending = null;
      throw err;
    });
  return pending;
}

/**
 * 分拨单位 picked from the org tree: only the units a dispatch in this scope may name are selectable, each
 * under the units it belongs to, searchable by name. Reports the unit picked, so that a form can follow its
 * kind (town centre or department).
 */
export function OrgUnitPicker({
  scope,
  filter,
  value,
  onChange,
  id,
  status,
  disabled,
  testId = 'org-unit-picker',
}: {
  scope: DispatchScope;
  filter?: DispatchFilter;
  value?: number;
  onChange?: (id: number | undefined, unit: OrgTreeUnit | undefined) => void;
  id?: string;
  status?: 'error';
  disabled?: boolean;
  testId?: string;
}) {
  const { t } = useI18n();
  const [roots, setRoots] = useState<OrgTreeUnit[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    loadOrgTree()
      .then((r) => live && setRoots(r))
      .catch((err: unknown) => live && setLoadError(errorText(err)));
    return () => {
      live = false;
    };
  }, []);
  const byId = useMemo(() => unitsById(roots ?? []), [roots]);
  // The caller rebuilds scope and filter on every render: the tree is rebuilt only when what they say changes.
  const said = JSON.stringify([scope, filter?.kind ?? null, filter?.allowed ? [...filter.allowed] : null]);
  const treeData = useMemo(() => {
    const [s, kind, allowed] = JSON.parse(said) as [DispatchScope, DispatchFilter['kind'], number[] | null];
    return roots ? dispatchTree(roots, s, { kind, allowed: allowed ? new Set(allowed) : null }) : [];
  }, [roots, said]);
  return (
    <TreeSelect<number>
      // Mounted again once the tree has loaded: `treeDefaultExpandAll` applies at mount only, and a collapsed
      // tree that a search then expands animates its nodes in, which swallows a click made meanwhile.
      key={roots ? 'loaded' : 'loading'}
      id={id}
      value={value}
      onChange={(v?: number) => onChange?.(v ?? undefined, v == null ? undefined : byId.get(v))}
      allowClear
      showSearch
      treeNodeFilterProp="title"
      treeDefaultExpandAll
      treeData={treeData}
      loading={!roots && !loadError}
      status={status ?? (loadError ? 'error' : undefined)}
      disabled={disabled}
      placeholder={
        loadError ? t('org.picker.loadFailed', { detail: loadError }) : t('org.picker.placeholder')
      }
      notFoundContent={t('org.picker.empty')}
      listHeight={320}
      style={{ width: '100%' }}
      data-testid={testId}
    />
  );
}
