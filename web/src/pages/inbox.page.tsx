import { ReloadOutlined } from '@ant-design/icons';
import {
  App,
  Badge,
  Button,
  Card,
  Checkbox,
  Empty,
  Grid,
  List,
  Segmented,
  Select,
  Space,
  Table,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs from 'dayjs';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, errorText } from '../api/client.ts';
import type { InboxItem, Page } from '../api/types.ts';
import { useSession } from '../auth/session.tsx';
import { URGENCY_COLORS } from '../components/case-panel.tsx';
import { SlaBadge } from '../components/sla-badge.tsx';
import { useHotkeys } from '../hooks/use-hotkeys.ts';
import { useReference } from '../hooks/use-reference.ts';
import { useI18n } from '../i18n/i18n.tsx';
import {
  CASE_SOURCES,
  INBOX_VIEWS,
  type InboxFilters,
  PAGE_SIZES,
  filtersFromSearch,
  inboxApiQuery,
  searchFromFilters,
  withFilters,
} from '../lib/inbox-filters.ts';
import { saveInboxKeys } from '../lib/inbox-store.ts';

/** How often the inbox asks for new tasks (ms). */
const POLL_MS = 10_000;

/** 任务中心: my tasks and my groups' tasks, filtered through the URL, polled, claimable from the row. */
export default function InboxPage() {
  const { t, label } = useI18n();
  const { user } = useSession();
  const { message } = App.useApp();
  const ref = useReference();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const narrow = !screens.md;
  const filters = useMemo(() => filtersFromSearch(location.search), [location.search]);
  const [page, setPage] = useState<Page<InboxItem> | null>(null);
  const [loading, setLoading] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<number>(Date.now());
  const [now, setNow] = useState(Date.now());
  const [selected, setSelected] = useState(0);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [busyKey, setBusyKey] = useState<string | null>(null);
  const seen = useRef<Set<string> | null>(null);
  const query = inboxApiQuery(filters);

  const setFilters = (change: Partial<InboxFilters>): void => {
    void navigate({ search: searchFromFilters(withFilters(filters, change)) });
  };

  const load = useCallback(
    async (quiet = false) => {
      if (!quiet) setLoading(true);
      try {
        const r = await api<Page<InboxItem>>(`/api/tasks?${query}`);
        setPage(r);
        const keys = r.items.map((i) => i.userTaskKey);
        saveInboxKeys(keys);
        if (seen.current) {
          const added = keys.filter((k) => !seen.current!.has(k));
          if (added.length > 0) setFresh((f) => new Set([...f, ...added]));
        }
        seen.current = new Set([...(seen.current ?? []), ...keys]);
        setUpdatedAt(Date.now());
        setNow(Date.now());
      } catch (err) {
        if (!quiet) void message.error(errorText(err));
      } finally {
        if (!quiet) setLoading(false);
      }
    },
    [query, message],
  );

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void load(true);
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  useEffect(() => {
    const tick = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(tick);
  }, []);

  const items = page?.items ?? [];
  const open = (item: InboxItem | undefined): void => {
    if (item) void navigate(`/tasks/${item.userTaskKey}`);
  };
  const claim = async (item: InboxItem, undo = false): Promise<void> => {
    setBusyKey(item.userTaskKey);
    try {
      await api(`/api/tasks/${item.userTaskKey}/${undo ? 'unclaim' : 'claim'}`, { method: 'POST' });
      void message.success(undo ? t('inbox.unclaimed.ok') : t('inbox.claimed'));
      await load(true);
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setBusyKey(null);
    }
  };

  useHotkeys({
    j: () => setSelected((i) => Math.min(i + 1, Math.max(items.length - 1, 0))),
    k: () => setSelected((i) => Math.max(i - 1, 0)),
    Enter: () => open(items[selected]),
    c: () => {
      const item = items[selected];
      if (item && !item.assignee) void claim(item);
    },
  });

  const claimButton = (r: InboxItem) =>
    r.assignee == null ? (
      <Button size="small" type="link" loading={busyKey === r.userTaskKey} onClick={() => void claim(r)}>
        {t('inbox.claim')}
      </Button>
    ) : r.assignee === user?.username ? (
      <Button
        size="small"
        type="link"
        loading={busyKey === r.userTaskKey}
        onClick={() => void claim(r, true)}
      >
        {t('inbox.unclaim')}
      </Button>
    ) : null;

  // Widths sum to what fits beside the menu at 1280 px (about 1050 px of table); 类别 takes the rest. Below
  // that the table scrolls, and the action column stays pinned on the right so claim and open stay in reach.
  const columns: ColumnsType<InboxItem> = [
    {
      title: t('inbox.col.sla'),
      key: 'sla',
      width: 132,
      render: (_, r) => <SlaBadge createdAt={r.createdAt} dueAt={r.dueAt} now={now} />,
    },
    {
      title: t('inbox.col.task'),
      key: 'task',
      width: 104,
      ellipsis: true,
      render: (_, r) => (
        <Space size={4}>
          <Link to={`/tasks/${r.userTaskKey}`}>{r.name ?? r.elementId}</Link>
          {fresh.has(r.userTaskKey) && <Badge status="processing" />}
        </Space>
      ),
    },
    { title: t('inbox.col.caseNo'), dataIndex: 'caseNo', width: 136, render: (v: string | null) => v ?? '—' },
    {
      title: t('inbox.col.category'),
      key: 'category',
      ellipsis: true,
      render: (_, r) => ref.categoryName(r.categoryId) || '—',
    },
    {
      title: t('inbox.col.town'),
      key: 'town',
      width: 104,
      ellipsis: true,
      render: (_, r) => ref.unitName(r.townId) || '—',
    },
    {
      title: t('inbox.col.source'),
      key: 'source',
      width: 80,
      ellipsis: true,
      render: (_, r) => label('source', r.source),
    },
    {
      title: t('inbox.col.urgency'),
      key: 'urgency',
      width: 68,
      render: (_, r) =>
        r.urgency ? <Tag color={URGENCY_COLORS[r.urgency]}>{label('urgency', r.urgency)}</Tag> : null,
    },
    {
      title: t('inbox.col.due'),
      dataIndex: 'dueAt',
      width: 100,
      // Month, day and time: the year is this one, and the full time is in the tooltip.
      render: (v: string | null) =>
        v ? <span title={new Date(v).toLocaleString()}>{dayjs(v).format('MM-DD HH:mm')}</span> : '—',
    },
    {
      title: t('inbox.col.assignee'),
      dataIndex: 'assignee',
      width: 100,
      ellipsis: true,
      render: (v: string | null) =>
        v ? v : <Typography.Text type="secondary">{t('inbox.unclaimed')}</Typography.Text>,
    },
    {
      title: t('inbox.col.ops'),
      key: 'ops',
      width: 136,
      fixed: 'right',
      render: (_, r) => (
        <Space size={0}>
          {claimButton(r)}
          <Button size="small" type="link" onClick={() => open(r)}>
            {t('common.open')}
          </Button>
        </Space>
      ),
    },
  ];

  const filterBar = (
    <Space wrap size={[8, 8]} style={{ marginBottom: 8 }}>
      <Segmented
        size="small"
        value={filters.view}
        options={INBOX_VIEWS.map((v) => ({ value: v, label: t(`inbox.view.${v}`) }))}
        onChange={(v) => setFilters({ view: v })}
      />
      <Select
        size="small"
        allowClear
        placeholder={t('inbox.town')}
        style={{ width: 150 }}
        value={filters.townId}
        options={ref.towns.map((u) => ({ value: u.id, label: u.name }))}
        onChange={(v?: number) => setFilters({ townId: v })}
        data-testid="filter-town"
      />
      <TreeSelect
        size="small"
        allowClear
        showSearch
        treeNodeFilterProp="title"
        placeholder={t('inbox.category')}
        style={{ width: 180 }}
        value={filters.categoryId}
        treeData={ref.categoryTree('id', true)}
        onChange={(v?: number) => setFilters({ categoryId: v })}
      />
      <Select
        size="small"
        allowClear
        placeholder={t('inbox.source')}
        style={{ width: 130 }}
        value={filters.source}
        options={CASE_SOURCES.map((s) => ({ value: s, label: label('source', s) }))}
        onChange={(v?: InboxFilters['source']) => setFilters({ source: v })}
      />
      <Checkbox checked={filters.overdue} onChange={(e) => setFilters({ overdue: e.target.checked })}>
        {t('inbox.overdue')}
      </Checkbox>
      <Checkbox checked={filters.dueSoon} onChange={(e) => setFilters({ dueSoon: e.target.checked })}>
        {t('inbox.dueSoon')}
      </Checkbox>
      <Select
        size="small"
        style={{ width: 130 }}
        value={filters.sort}
        options={[
          { value: 'due', label: t('inbox.sort.due') },
          { value: 'created', label: t('inbox.sort.created') },
        ]}
        onChange={(v: InboxFilters['sort']) => setFilters({ sort: v })}
      />
    </Space>
  );

  const title = (
    <Space>
      <span>{t('inbox.title')}</span>
      <Tag>{t(page?.totalCapped ? 'common.totalCapped' : 'common.total', { n: page?.total ?? 0 })}</Tag>
      {fresh.size > 0 && (
        <Tag color="blue" closable onClose={() => setFresh(new Set())} data-testid="new-tasks">
          {t('inbox.new', { n: fresh.size })}
        </Tag>
      )}
    </Space>
  );
  const extra = (
    <Space>
      {!narrow && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('common.updatedAt', { time: new Date(updatedAt).toLocaleTimeString() })} · {t('inbox.auto')}
        </Typography.Text>
      )}
      <Button
        size="small"
        icon={<ReloadOutlined />}
        onClick={() => void load()}
        aria-label={t('common.refresh')}
      />
    </Space>
  );

  return (
    <Card size="small" title={title} extra={extra}>
      {filterBar}
      {narrow ? (
        <List
          loading={loading && !page}
          dataSource={items}
          locale={{ emptyText: <Empty description={t('inbox.empty')} /> }}
          renderItem={(r) => (
            <List.Item
              data-testid="task-row"
              data-key={r.userTaskKey}
              actions={[
                claimButton(r),
                <Button key="open" size="small" type="primary" onClick={() => open(r)}>
                  {t('common.open')}
                </Button>,
              ].filter(Boolean)}
            >
              <List.Item.Meta
                title={
                  <Space size={6} wrap>
                    <span>{r.name ?? r.elementId}</span>
                    {r.urgency && r.urgency !== 'normal' && (
                      <Tag color={URGENCY_COLORS[r.urgency]}>{label('urgency', r.urgency)}</Tag>
                    )}
                  </Space>
                }
                description={
                  <Space direction="vertical" size={0}>
                    <span>
                      {r.caseNo} · {ref.categoryName(r.categoryId)}
                    </span>
                    <SlaBadge createdAt={r.createdAt} dueAt={r.dueAt} now={now} />
                  </Space>
                }
              />
            </List.Item>
          )}
        />
      ) : (
        <>
          <Table<InboxItem>
            size="small"
            rowKey="userTaskKey"
            loading={loading && !page}
            columns={columns}
            dataSource={items}
            locale={{ emptyText: <Empty description={t('inbox.empty')} /> }}
            onRow={(r, i) =>
              ({
                'data-testid': 'task-row',
                'data-key': r.userTaskKey,
                onClick: () => setSelected(i ?? 0),
                onDoubleClick: () => open(r),
                style: {
                  background: i === selected ? '#e6f0fb' : fresh.has(r.userTaskKey) ? '#f6fbff' : undefined,
                },
              }) as React.HTMLAttributes<HTMLElement>
            }
            pagination={{
              size: 'small',
              current: filters.page,
              pageSize: filters.pageSize,
              total: page?.total ?? 0,
              showSizeChanger: true,
              pageSizeOptions: PAGE_SIZES.map(String),
              showTotal: (n) => t(page?.totalCapped ? 'common.totalCapped' : 'common.total', { n }),
              onChange: (p, s) => setFilters(s !== filters.pageSize ? { pageSize: s } : { page: p }),
            }}
            scroll={{ x: 1040 }}
          />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('inbox.keys')}
          </Typography.Text>
        </>
      )}
    </Card>
  );
}
