import { DownloadOutlined, SearchOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  Select,
  Space,
  Table,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, errorText } from '../api/client.ts';
import type { CaseView, Page } from '../api/types.ts';
import { STATUS_COLORS, URGENCY_COLORS } from '../components/case-panel.tsx';
import { useReference } from '../hooks/use-reference.ts';
import { useI18n } from '../i18n/i18n.tsx';
import {
  CASE_STATUSES,
  type CaseFilters,
  casesApiQuery,
  caseFiltersFromSearch,
  searchFromCaseFilters,
} from '../lib/case-filters.ts';
import { toCsv } from '../lib/csv.ts';
import { CASE_SOURCES } from '../lib/inbox-filters.ts';

/** Most rows one CSV export fetches (page by page, 200 at a time). */
const EXPORT_LIMIT = 5000;

interface SearchForm {
  q?: string;
  status?: CaseFilters['status'];
  townId?: number;
  categoryId?: number;
  source?: CaseFilters['source'];
  dates?: [Dayjs | null, Dayjs | null] | null;
}

const time = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '');

/** 案件查询: search with filters kept in the URL, paging, CSV export of the whole result. */
export default function CasesPage() {
  const { t, label } = useI18n();
  const { message } = App.useApp();
  const ref = useReference();
  const location = useLocation();
  const navigate = useNavigate();
  const filters = useMemo(() => caseFiltersFromSearch(location.search), [location.search]);
  const [form] = Form.useForm<SearchForm>();
  const [page, setPage] = useState<Page<CaseView> | null>(null);
  const [loading, setLoading] = useState(false);
  const [exporting, setExporting] = useState(false);

  useEffect(() => {
    form.setFieldsValue({
      q: filters.q,
      status: filters.status,
      townId: filters.townId,
      categoryId: filters.categoryId,
      source: filters.source,
      dates:
        filters.from || filters.to
          ? [filters.from ? dayjs(filters.from) : null, filters.to ? dayjs(filters.to) : null]
          : null,
    });
    let live = true;
    setLoading(true);
    api<Page<CaseView>>(`/api/cases?${casesApiQuery(filters)}`)
      .then((r) => live && setPage(r))
      .catch((err: unknown) => live && void message.error(errorText(err)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [filters, form, message]);

  const go = (f: CaseFilters): void => void navigate({ search: searchFromCaseFilters(f) });

  const search = (v: SearchForm): void => {
    const [from, to] = v.dates ?? [null, null];
    go({
      page: 1,
      pageSize: filters.pageSize,
      q: v.q?.trim() || undefined,
      status: v.status,
      townId: v.townId,
      categoryId: v.categoryId,
      source: v.source,
      from: from ? from.format('YYYY-MM-DD') : undefined,
      to: to ? to.format('YYYY-MM-DD') : undefined,
    });
  };

  const csvRow = (c: CaseView): unknown[] => [
    c.caseNo,
    time(c.acceptedAt),
    label('source', c.source),
    c.categoryName ?? '',
    ref.unitName(c.townId),
    label('status', c.status),
    label('urgency', c.urgency),
    c.reporterName ?? '',
    c.reporterPhone ?? '',
    c.address ?? '',
    c.description,
    time(c.closedAt),
  ];

  const exportCsv = async (): Promise<void> => {
    setExporting(true);
    try {
      const rows: CaseView[] = [];
      for (let p = 1; rows.length < EXPORT_LIMIT; p++) {
        const r = await api<Page<CaseView>>(`/api/cases?${casesApiQuery(filters, p, 200)}`);
        rows.push(...r.items);
        if (r.items.length < 200 || rows.length >= r.total) break;
      }
      const header = [
        'caseNo',
        'acceptedAt',
        'source',
        'category',
        'town',
        'status',
        'urgency',
        'reporter',
        'phone',
        'address',
        'description',
        'closedAt',
      ].map((k) => t(`cases.col.${k}` as Parameters<typeof t>[0]));
      const blob = new Blob([toCsv(header, rows.map(csvRow))], { type: 'text/csv;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `cases-${dayjs().format('YYYYMMDD-HHmm')}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      void message.success(t('cases.exported', { n: rows.length }));
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setExporting(false);
    }
  };

  const columns: ColumnsType<CaseView> = [
    {
      title: t('cases.col.caseNo'),
      dataIndex: 'caseNo',
      width: 140,
      // The columns fit 1280 px beside the menu; narrower, the table scrolls and the case number stays.
      fixed: 'left',
      render: (v: string, r) => <Link to={`/cases/${r.id}`}>{v}</Link>,
    },
    { title: t('cases.col.acceptedAt'), dataIndex: 'acceptedAt', width: 140, render: time },
    {
      title: t('cases.col.source'),
      dataIndex: 'source',
      width: 96,
      render: (v: string) => label('source', v),
    },
    { title: t('cases.col.category'), dataIndex: 'categoryName', width: 110, ellipsis: true },
    {
      title: t('cases.col.town'),
      key: 'town',
      width: 100,
      ellipsis: true,
      render: (_, r) => ref.unitName(r.townId),
    },
    { title: t('cases.col.description'), dataIndex: 'description', ellipsis: true },
    {
      title: t('cases.col.urgency'),
      dataIndex: 'urgency',
      width: 72,
      render: (v: string) => <Tag color={URGENCY_COLORS[v]}>{label('urgency', v)}</Tag>,
    },
    {
      title: t('cases.col.status'),
      dataIndex: 'status',
      width: 86,
      render: (v: string) => (
        <Tag color={STATUS_COLORS[v]} data-testid="case-status">
          {label('status', v)}
        </Tag>
      ),
    },
    { title: t('cases.col.reporter'), dataIndex: 'reporterName', width: 80, ellipsis: true },
    { title: t('cases.col.phone'), dataIndex: 'reporterPhone', width: 110 },
  ];

  return (
    <Card
      size="small"
      title={t('cases.title')}
      extra={
        <Button
          size="small"
          icon={<DownloadOutlined />}
          loading={exporting}
          disabled={!page || page.total === 0}
          onClick={() => void exportCsv()}
          data-testid="export-csv"
        >
          {t('cases.export')}
        </Button>
      }
    >
      <Form<SearchForm>
        form={form}
        layout="inline"
        size="small"
        onFinish={search}
        style={{ marginBottom: 8, rowGap: 8 }}
      >
        <Form.Item name="q">
          <Input allowClear placeholder={t('cases.q')} style={{ width: 220 }} prefix={<SearchOutlined />} />
        </Form.Item>
        <Form.Item name="status">
          <Select
            allowClear
            placeholder={t('cases.status')}
            style={{ width: 110 }}
            options={CASE_STATUSES.map((s) => ({ value: s, label: label('status', s) }))}
          />
        </Form.Item>
        <Form.Item name="townId">
          <Select
            allowClear
            placeholder={t('inbox.town')}
            style={{ width: 150 }}
            options={ref.towns.map((u) => ({ value: u.id, label: u.name }))}
          />
        </Form.Item>
        <Form.Item name="categoryId">
          <TreeSelect
            allowClear
            showSearch
            treeNodeFilterProp="title"
            placeholder={t('inbox.category')}
            style={{ width: 170 }}
            treeData={ref.categoryTree('id', true)}
          />
        </Form.Item>
        <Form.Item name="source">
          <Select
            allowClear
            placeholder={t('inbox.source')}
            style={{ width: 120 }}
            options={CASE_SOURCES.map((s) => ({ value: s, label: label('source', s) }))}
          />
        </Form.Item>
        <Form.Item name="dates">
          <DatePicker.RangePicker allowEmpty={[true, true]} style={{ width: 240 }} />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" icon={<SearchOutlined />}>
            {t('common.search')}
          </Button>
          <Button onClick={() => go({ page: 1, pageSize: filters.pageSize })}>{t('common.reset')}</Button>
        </Space>
      </Form>
      <Table<CaseView>
        size="small"
        rowKey="id"
        loading={loading}
        columns={columns}
        dataSource={page?.items ?? []}
        onRow={(r) => ({ onDoubleClick: () => void navigate(`/cases/${r.id}`) })}
        pagination={{
          size: 'small',
          current: filters.page,
          pageSize: filters.pageSize,
          total: page?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: ['20', '50', '100', '200'],
          showTotal: (n) => t(page?.totalCapped ? 'common.totalCapped' : 'common.total', { n }),
          onChange: (p, s) => go({ ...filters, page: s !== filters.pageSize ? 1 : p, pageSize: s }),
        }}
        scroll={{ x: 1040 }}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }} />
    </Card>
  );
}
