import {
  ArrowLeftOutlined,
  DiffOutlined,
  DownloadOutlined,
  EditOutlined,
  EyeOutlined,
  ReloadOutlined,
} from '@ant-design/icons';
import { Alert, App, Button, Card, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { Navigate, Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router';
import { errorText } from '../api/client.ts';
import { useSession } from '../auth/session.tsx';
import {
  type Deployment,
  type ProcessDefinitionSummary,
  downloadXml,
  getDefinition,
  getDefinitionXml,
  listAllDefinitions,
  listVersions,
  xmlFileName,
} from '../components/process-api.ts';
import { useI18n } from '../i18n/i18n.tsx';

// bpmn-js is most of this page's weight: the editor, the viewer and the diff are chunks of their own, loaded
// when a diagram is opened (the list of definitions does not need them).
const ProcessEditor = lazy(() => import('../components/process-editor.tsx'));
const ProcessDiagram = lazy(() => import('../components/process-diagram.tsx'));
const ProcessDiffView = lazy(() => import('../components/process-diff-view.tsx'));

/** The content height below the app's header (48 px) and the content padding (2 × 12 px). */
const FULL_HEIGHT = 'calc(100vh - 72px)';

const time = (iso: string): string => new Date(iso).toLocaleString();

const chunkFallback = (
  <div style={{ padding: 48, textAlign: 'center' }}>
    <Spin />
  </div>
);

/** True for a user who may edit and deploy (administrators); auditors read only. */
function useCanDeploy(): boolean {
  const { user } = useSession();
  return !!user?.roles.includes('admin');
}

/** One process with its versions (newest first). */
interface ProcessRow {
  bpmnProcessId: string;
  latest: ProcessDefinitionSummary;
  versions: ProcessDefinitionSummary[];
}

/** 流程管理: definitions and versions; a version in the editor (or viewer); the diff of two versions. */
export default function ProcessesPage() {
  return (
    <Routes>
      <Route index element={<DefinitionList />} />
      <Route path="compare/:oldKey/:newKey" element={<ComparePage />} />
      <Route path=":key" element={<DefinitionPage />} />
      <Route path="*" element={<Navigate to="/processes" replace />} />
    </Routes>
  );
}

/** The processes, each with its versions to open, download or compare. */
function DefinitionList() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const canDeploy = useCanDeploy();
  const [defs, setDefs] = useState<ProcessDefinitionSummary[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<Record<string, string[]>>({});
  // Every process shows its versions until it is folded (the rows arrive after the first render).
  const [folded, setFolded] = useState<string[]>([]);

  const load = useCallback(() => {
    setLoading(true);
    listAllDefinitions()
      .then(setDefs)
      .catch((err: unknown) => void message.error(errorText(err)))
      .finally(() => setLoading(false));
  }, [message]);
  useEffect(load, [load]);

  const rows = useMemo<ProcessRow[]>(() => {
    const by = new Map<string, ProcessDefinitionSummary[]>();
    for (const d of defs ?? []) by.set(d.bpmnProcessId, [...(by.get(d.bpmnProcessId) ?? []), d]);
    return [...by].map(([bpmnProcessId, list]) => {
      const versions = [...list].sort((a, b) => b.version - a.version);
      return { bpmnProcessId, latest: versions[0], versions };
    });
  }, [defs]);

  const download = async (d: ProcessDefinitionSummary): Promise<void> => {
    try {
      downloadXml(await getDefinitionXml(d.key), xmlFileName(d));
    } catch (err) {
      void message.error(errorText(err));
    }
  };

  const compare = (row: ProcessRow): void => {
    const keys = selected[row.bpmnProcessId] ?? [];
    const picked = row.versions.filter((v) => keys.includes(v.key)).sort((a, b) => a.version - b.version);
    if (picked.length === 2) void navigate(`/processes/compare/${picked[0].key}/${picked[1].key}`);
  };

  const openLabel = canDeploy ? t('processes.edit') : t('common.view');
  const openIcon = canDeploy ? <EditOutlined /> : <EyeOutlined />;

  const columns: ColumnsType<ProcessRow> = [
    {
      title: t('processes.col.name'),
      key: 'name',
      render: (_, r) => (
        <Typography.Link onClick={() => void navigate(`/processes/${r.latest.key}`)}>
          {r.latest.name ?? r.bpmnProcessId}
        </Typography.Link>
      ),
    },
    { title: t('processes.col.id'), dataIndex: 'bpmnProcessId', width: 200 },
    {
      title: t('processes.col.latest'),
      key: 'latest',
      width: 110,
      render: (_, r) => <Tag color="blue">{t('processes.version', { n: r.latest.version })}</Tag>,
    },
    {
      title: t('processes.col.versions'),
      key: 'versions',
      width: 90,
      render: (_, r) => <span data-testid="version-count">{r.versions.length}</span>,
    },
    {
      title: t('processes.col.deployedAt'),
      key: 'at',
      width: 170,
      render: (_, r) => time(r.latest.deployedAt),
    },
    {
      title: t('processes.col.actions'),
      key: 'actions',
      width: 110,
      render: (_, r) => (
        <Button
          size="small"
          icon={openIcon}
          onClick={() => void navigate(`/processes/${r.latest.key}`)}
          data-testid="open-process"
        >
          {openLabel}
        </Button>
      ),
    },
  ];

  const versionColumns = (row: ProcessRow): ColumnsType<ProcessDefinitionSummary> => [
    {
      title: t('processes.col.version'),
      dataIndex: 'version',
      width: 110,
      render: (v: number) => (
        <Space size={4}>
          {t('processes.version', { n: v })}
          {v === row.latest.version && <Tag color="green">{t('processes.latest')}</Tag>}
        </Space>
      ),
    },
    { title: t('processes.col.deployedAt'), dataIndex: 'deployedAt', width: 170, render: time },
    { title: t('processes.col.resource'), dataIndex: 'resourceName', ellipsis: true },
    {
      title: t('processes.col.checksum'),
      dataIndex: 'checksum',
      width: 130,
      render: (v: string) => (
        <Typography.Text code title={v}>
          {v.slice(0, 12)}
        </Typography.Text>
      ),
    },
    {
      title: t('processes.col.actions'),
      key: 'actions',
      width: 210,
      render: (_, d) => (
        <Space size={4}>
          <Button size="small" icon={openIcon} onClick={() => void navigate(`/processes/${d.key}`)}>
            {openLabel}
          </Button>
          <Button size="small" icon={<DownloadOutlined />} onClick={() => void download(d)}>
            {t('processes.download')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <Card
      size="small"
      title={t('processes.title')}
      extra={
        <Button size="small" icon={<ReloadOutlined />} onClick={load}>
          {t('common.refresh')}
        </Button>
      }
    >
      <Table<ProcessRow>
        size="small"
        rowKey="bpmnProcessId"
        loading={loading}
        columns={columns}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: t('processes.empty') }}
        onRow={(r) => ({ 'data-testid': 'process-row', 'data-process-id': r.bpmnProcessId }) as object}
        expandable={{
          expandedRowKeys: rows.map((r) => r.bpmnProcessId).filter((id) => !folded.includes(id)),
          onExpand: (open, r) =>
            setFolded((f) => (open ? f.filter((id) => id !== r.bpmnProcessId) : [...f, r.bpmnProcessId])),
          expandedRowRender: (row) => {
            const keys = selected[row.bpmnProcessId] ?? [];
            return (
              <div style={{ padding: '4px 0' }}>
                <Space style={{ marginBottom: 6 }}>
                  <Button
                    size="small"
                    icon={<DiffOutlined />}
                    disabled={keys.length !== 2}
                    onClick={() => compare(row)}
                    data-testid="compare-selected"
                  >
                    {t('processes.compareSelected')}
                  </Button>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('processes.compareHint')}
                  </Typography.Text>
                </Space>
                <Table<ProcessDefinitionSummary>
                  size="small"
                  rowKey="key"
                  columns={versionColumns(row)}
                  dataSource={row.versions}
                  pagination={false}
                  onRow={(d) => ({ 'data-testid': 'version-row', 'data-version': d.version }) as object}
                  rowSelection={{
                    selectedRowKeys: keys,
                    onChange: (k) =>
                      setSelected((s) => ({ ...s, [row.bpmnProcessId]: (k as string[]).slice(-2) })),
                    getCheckboxProps: (d) => ({
                      disabled: keys.length >= 2 && !keys.includes(d.key),
                    }),
                    hideSelectAll: true,
                  }}
                />
              </div>
            );
          },
        }}
      />
    </Card>
  );
}

/** A version, its sibling versions and its XML, loaded together. */
interface Loaded {
  definition: ProcessDefinitionSummary;
  versions: ProcessDefinitionSummary[];
  xml: string;
}

async function loadVersion(key: string): Promise<Loaded> {
  const definition = await getDefinition(key);
  const [versions, xml] = await Promise.all([listVersions(definition.bpmnProcessId), getDefinitionXml(key)]);
  return { definition, versions, xml };
}

/** Loads a version by key; `error` when it cannot. */
function useVersion(key: string | undefined): { loaded: Loaded | null; error: string | null } {
  const [state, setState] = useState<{ key?: string; loaded: Loaded | null; error: string | null }>({
    loaded: null,
    error: null,
  });
  useEffect(() => {
    if (!key) return;
    let live = true;
    loadVersion(key)
      .then((loaded) => live && setState({ key, loaded, error: null }))
      .catch((err: unknown) => live && setState({ key, loaded: null, error: errorText(err) }));
    return () => {
      live = false;
    };
  }, [key]);
  return state.key === key ? state : { loaded: null, error: null };
}

/** The version picker: every version of the process, the latest marked. */
function VersionSelect({
  value,
  versions,
  onChange,
  testId,
}: {
  value: string;
  versions: ProcessDefinitionSummary[];
  onChange: (key: string) => void;
  testId?: string;
}) {
  const { t } = useI18n();
  const latest = Math.max(...versions.map((v) => v.version));
  return (
    <Select
      size="small"
      value={value}
      style={{ width: 150 }}
      onChange={onChange}
      data-testid={testId}
      options={versions.map((v) => ({
        value: v.key,
        label: `${t('processes.version', { n: v.version })}${v.version === latest ? ` · ${t('processes.latest')}` : ''}`,
      }))}
    />
  );
}

/** One version: the editor for administrators, the viewer for auditors. */
function DefinitionPage() {
  const { key } = useParams();
  const [search] = useSearchParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const canDeploy = useCanDeploy();
  const { loaded, error } = useVersion(key);

  if (error) {
    return (
      <Card size="small">
        <Alert type="error" showIcon message={error} />
        <Button
          style={{ marginTop: 8 }}
          icon={<ArrowLeftOutlined />}
          onClick={() => void navigate('/processes')}
        >
          {t('common.back')}
        </Button>
      </Card>
    );
  }
  if (!loaded) return chunkFallback;
  const { definition: d, versions, xml } = loaded;
  const previous = versions.find((v) => v.version < d.version);
  const newest = versions[0];
  const compareTarget = previous
    ? `/processes/compare/${previous.key}/${d.key}`
    : newest && newest.key !== d.key
      ? `/processes/compare/${d.key}/${newest.key}`
      : null;

  const toolbar = (
    <>
      <Button size="small" icon={<ArrowLeftOutlined />} onClick={() => void navigate('/processes')}>
        {t('common.back')}
      </Button>
      <Typography.Text strong data-testid="process-title">
        {d.name ?? d.bpmnProcessId}
      </Typography.Text>
      <Typography.Text type="secondary">{d.bpmnProcessId}</Typography.Text>
      <VersionSelect
        value={d.key}
        versions={versions}
        onChange={(k) => void navigate(`/processes/${k}`)}
        testId="version-select"
      />
      <span data-testid="current-version" data-version={d.version} hidden />
      {compareTarget && (
        <Button
          size="small"
          icon={<DiffOutlined />}
          onClick={() => void navigate(compareTarget)}
          data-testid="compare-previous"
        >
          {previous ? t('processes.compareWithPrevious') : t('processes.compareWithLatest')}
        </Button>
      )}
    </>
  );

  const onDeployed = (deployment: Deployment): void => {
    const p =
      deployment.processes.find((x) => x.bpmnProcessId === d.bpmnProcessId) ?? deployment.processes[0];
    if (!p) return;
    if (deployment.created && p.created) {
      void message.success(t('processes.deployed', { n: p.version }));
      void navigate(`/processes/${p.key}`);
    } else {
      void message.info(t('processes.identical', { n: p.version }));
    }
  };

  return (
    <div
      style={{
        height: FULL_HEIGHT,
        minHeight: 480,
        display: 'flex',
        flexDirection: 'column',
        border: '1px solid #e8ebf0',
        background: '#fff',
      }}
    >
      <Suspense fallback={chunkFallback}>
        {canDeploy ? (
          <ProcessEditor
            key={d.key}
            xml={xml}
            resourceName={d.resourceName}
            fileName={(draft) => xmlFileName(d, draft)}
            focus={search.get('element')}
            toolbar={toolbar}
            onDeployed={onDeployed}
          />
        ) : (
          <>
            <div
              style={{
                display: 'flex',
                justifyContent: 'space-between',
                alignItems: 'center',
                gap: 8,
                padding: '6px 8px',
                borderBottom: '1px solid #e8ebf0',
                flexWrap: 'wrap',
              }}
            >
              <Space size={8} wrap>
                {toolbar}
                <Tag>{t('processes.readOnly')}</Tag>
              </Space>
              <Button
                size="small"
                icon={<DownloadOutlined />}
                onClick={() => downloadXml(xml, xmlFileName(d))}
                data-testid="download-xml"
              >
                {t('processes.download')}
              </Button>
            </div>
            <div style={{ flex: 1, position: 'relative', minHeight: 0 }}>
              <ProcessDiagram key={d.key} xml={xml} focus={search.get('element')} testId="viewer" />
            </div>
          </>
        )}
      </Suspense>
    </div>
  );
}

/** Two versions side by side with their differences. */
function ComparePage() {
  const { oldKey, newKey } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const older = useVersion(oldKey);
  const newer = useVersion(newKey);
  const error = older.error ?? newer.error;

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!older.loaded || !newer.loaded) return chunkFallback;
  const [a, b] = [older.loaded, newer.loaded];
  const versions = b.versions;
  const label = (d: ProcessDefinitionSummary): string => t('processes.version', { n: d.version });

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8, height: FULL_HEIGHT, minHeight: 480 }}>
      <Card size="small" styles={{ body: { padding: '6px 8px' } }}>
        <Space size={8} wrap>
          <Button
            size="small"
            icon={<ArrowLeftOutlined />}
            onClick={() => void navigate(`/processes/${b.definition.key}`)}
          >
            {t('common.back')}
          </Button>
          <Typography.Text strong>
            {t('processes.diff.title')} · {b.definition.name ?? b.definition.bpmnProcessId}
          </Typography.Text>
          <Typography.Text type="secondary">{t('processes.diff.old')}</Typography.Text>
          <VersionSelect
            value={a.definition.key}
            versions={versions}
            onChange={(k) => void navigate(`/processes/compare/${k}/${b.definition.key}`)}
            testId="compare-old"
          />
          <Typography.Text type="secondary">{t('processes.diff.new')}</Typography.Text>
          <VersionSelect
            value={b.definition.key}
            versions={versions}
            onChange={(k) => void navigate(`/processes/compare/${a.definition.key}/${k}`)}
            testId="compare-new"
          />
        </Space>
      </Card>
      <div style={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column' }}>
        <Suspense fallback={chunkFallback}>
          <ProcessDiffView
            key={`${a.definition.key}-${b.definition.key}`}
            oldXml={a.xml}
            newXml={b.xml}
            oldLabel={`${t('processes.diff.old')} · ${label(a.definition)}`}
            newLabel={`${t('processes.diff.new')} · ${label(b.definition)}`}
          />
        </Suspense>
      </div>
    </div>
  );
}
