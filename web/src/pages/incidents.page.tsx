import { ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  AutoComplete,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Drawer,
  Empty,
  Input,
  InputNumber,
  Segmented,
  Skeleton,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorText } from '../api/client.ts';
import {
  type Incident,
  type InstanceDetail,
  type RetryResult,
  getDefinitionXml,
  getInstance,
  listIncidents,
  retryIncident,
  setInstanceVariables,
} from '../api/incidents.ts';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { bpmnElementNames } from '../lib/bpmn-names.ts';

// The viewer (bpmn-js, about a megabyte) is its own chunk, loaded when an incident is opened.
const IncidentDiagram = lazy(() => import('../components/incident-diagram.tsx'));

type IncidentState = Incident['state'];

const time = (iso: string | undefined | null): string => (iso ? new Date(iso).toLocaleString() : '—');

/** A variable's value as JSON text: what the editor takes back. */
const json = (value: unknown): string => JSON.stringify(value, null, 1)?.replace(/\n\s*/g, ' ') ?? 'null';

/** The XML of each deployed definition, fetched once per page (the list and the diagram both read it). */
function useDefinitionXml(): (key: string) => Promise<string> {
  const cache = useRef(new Map<string, Promise<string>>());
  return useCallback((key: string) => {
    let xml = cache.current.get(key);
    if (!xml) {
      xml = getDefinitionXml(key);
      xml.catch(() => cache.current.delete(key));
      cache.current.set(key, xml);
    }
    return xml;
  }, []);
}

/**
 * 异常: the engine's incidents (a step that failed and stopped its instance), with the step, the error and the
 * case; opening one shows the instance on its diagram with the step marked, its variables, and for the
 * administrator an editor to fix a variable and the retry. Auditors read only. The open incident and the
 * state filter live in the URL (`?state=RESOLVED&incident=<key>`), so a link opens the same view.
 */
export default function IncidentsPage() {
  const { t, label } = useI18n();
  const { user } = useSession();
  const [params, setParams] = useSearchParams();
  const state: IncidentState = params.get('state') === 'RESOLVED' ? 'RESOLVED' : 'ACTIVE';
  const openKey = params.get('incident');
  const canFix = user?.roles.includes('admin') ?? false;
  const xmlOf = useDefinitionXml();
  const [items, setItems] = useState<Incident[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [names, setNames] = useState<Record<string, Record<string, string>>>({});
  // The incident last retried, as the retry answered it: it stays open once the list no longer has it.
  const [retried, setRetried] = useState<Incident | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const found = await listIncidents(state);
      setItems(found);
      setLoadError(null);
      // Step names come from each definition's XML (usually one or two definitions for the whole list).
      const keys = [...new Set(found.map((i) => i.processDefinitionKey))];
      const entries = await Promise.all(
        keys.map(async (k) => [k, await xmlOf(k).then(bpmnElementNames, () => ({}))] as const),
      );
      setNames((prev) => ({ ...prev, ...Object.fromEntries(entries) }));
    } catch (err) {
      setLoadError(errorText(err));
    } finally {
      setLoading(false);
    }
  }, [state, xmlOf]);

  useEffect(() => {
    void load();
  }, [load]);

  const setView = (change: { state?: IncidentState; incident?: string | null }): void => {
    const next = new URLSearchParams(params);
    if (change.state) {
      if (change.state === 'ACTIVE') next.delete('state');
      else next.set('state', change.state);
    }
    if (change.incident !== undefined) {
      if (change.incident) next.set('incident', change.incident);
      else next.delete('incident');
    }
    setParams(next);
  };

  const stepName = (i: Incident): string | undefined => names[i.processDefinitionKey]?.[i.elementId];
  const errorType = (type: string): string => label('incidents.type', type);

  const columns: ColumnsType<Incident> = [
    {
      title: t('incidents.col.element'),
      key: 'element',
      width: 200,
      ellipsis: true,
      render: (_, r) => (
        <Space orientation="vertical" size={0}>
          <span>{stepName(r) ?? r.elementId}</span>
          {stepName(r) && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {r.elementId}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('incidents.col.type'),
      dataIndex: 'errorType',
      width: 130,
      render: (v: string) => <Tag color={state === 'ACTIVE' ? 'red' : 'default'}>{errorType(v)}</Tag>,
    },
    {
      title: t('incidents.col.message'),
      dataIndex: 'errorMessage',
      ellipsis: { showTitle: false },
      render: (v: string) => (
        <Tooltip title={v} placement="topLeft">
          <span>{v}</span>
        </Tooltip>
      ),
    },
    {
      title: t('incidents.col.case'),
      key: 'case',
      width: 150,
      render: (_, r) => (r.caseId != null ? <Link to={`/cases/${r.caseId}`}>{r.caseNo}</Link> : '—'),
    },
    {
      title: t('incidents.col.process'),
      dataIndex: 'bpmnProcessId',
      width: 140,
      ellipsis: true,
    },
    {
      title: t('incidents.col.created'),
      dataIndex: 'creationTime',
      width: 160,
      render: (v: string) => time(v),
    },
    {
      title: t('incidents.col.ops'),
      key: 'ops',
      width: 80,
      fixed: 'right',
      render: (_, r) => (
        <Button size="small" type="link" onClick={() => setView({ incident: r.incidentKey })}>
          {t('common.view')}
        </Button>
      ),
    },
  ];

  const open =
    items?.find((i) => i.incidentKey === openKey) ?? (retried?.incidentKey === openKey ? retried : null);

  return (
    <Card
      size="small"
      title={
        <Space>
          <span>{t('incidents.title')}</span>
          <Tag color={state === 'ACTIVE' && (items?.length ?? 0) > 0 ? 'red' : undefined}>
            {t('common.total', { n: items?.length ?? 0 })}
          </Tag>
        </Space>
      }
      extra={
        <Space>
          <Segmented<IncidentState>
            size="small"
            value={state}
            options={[
              { value: 'ACTIVE', label: t('incidents.state.ACTIVE') },
              { value: 'RESOLVED', label: t('incidents.state.RESOLVED') },
            ]}
            onChange={(v) => setView({ state: v, incident: null })}
          />
          <Button
            size="small"
            icon={<ReloadOutlined />}
            onClick={() => void load()}
            aria-label={t('common.refresh')}
          />
        </Space>
      }
    >
      {loadError && <Alert type="error" showIcon title={loadError} style={{ marginBottom: 8 }} />}
      {!canFix && <Alert type="info" showIcon title={t('incidents.readOnly')} style={{ marginBottom: 8 }} />}
      <Table<Incident>
        size="small"
        rowKey="incidentKey"
        loading={loading && !items}
        columns={columns}
        dataSource={items ?? []}
        locale={{
          emptyText: (
            <Empty description={t(state === 'ACTIVE' ? 'incidents.empty' : 'incidents.emptyResolved')} />
          ),
        }}
        onRow={(r) =>
          ({
            'data-testid': 'incident-row',
            'data-key': r.incidentKey,
            onDoubleClick: () => setView({ incident: r.incidentKey }),
            style: r.incidentKey === openKey ? { background: '#fff1f0' } : undefined,
          }) as React.HTMLAttributes<HTMLElement>
        }
        pagination={{ size: 'small', pageSize: 20, showTotal: (n) => t('common.total', { n }) }}
        scroll={{ x: 960 }}
      />
      <Drawer
        open={openKey != null}
        onClose={() => setView({ incident: null })}
        size={Math.min(1080, Math.max(window.innerWidth - 48, 360))}
        destroyOnHidden
        title={
          open ? (
            <Space wrap>
              <span>{t('incidents.drawer.title')}</span>
              <Tag color={open.state === 'ACTIVE' ? 'red' : 'default'}>{errorType(open.errorType)}</Tag>
              <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
                {stepName(open) ?? open.elementId}
              </Typography.Text>
            </Space>
          ) : (
            t('incidents.drawer.title')
          )
        }
      >
        {openKey != null &&
          (open ? (
            <IncidentDetail
              key={open.incidentKey}
              incident={open}
              stepName={stepName(open)}
              canFix={canFix}
              xmlOf={xmlOf}
              errorType={errorType}
              onRetried={async (result) => {
                if (result.incident) setRetried(result.incident);
                await load();
                const next = result.activeIncidents[0];
                if (next) setView({ incident: next.incidentKey });
              }}
            />
          ) : loading || !items ? (
            <Skeleton active />
          ) : (
            <Empty description={t('incidents.notFound', { key: openKey })} />
          ))}
      </Drawer>
    </Card>
  );
}

/** One incident: what failed, the instance on its diagram, its variables, the fix and the retry. */
function IncidentDetail({
  incident,
  stepName,
  canFix,
  xmlOf,
  errorType,
  onRetried,
}: {
  incident: Incident;
  stepName: string | undefined;
  canFix: boolean;
  xmlOf: (key: string) => Promise<string>;
  errorType: (type: string) => string;
  onRetried: (result: RetryResult) => Promise<void>;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [detail, setDetail] = useState<InstanceDetail | null>(null);
  const [xml, setXml] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [local, setLocal] = useState(false);
  const [saving, setSaving] = useState(false);
  const [retries, setRetries] = useState<number>(1);
  const [retrying, setRetrying] = useState(false);
  const [outcome, setOutcome] = useState<RetryResult | null>(null);
  const active = incident.state === 'ACTIVE';
  const instanceKey = incident.processInstanceKey;

  const loadDetail = useCallback(async () => {
    try {
      setDetail(await getInstance(instanceKey));
    } catch (err) {
      setProblem(errorText(err));
    }
  }, [instanceKey]);

  useEffect(() => {
    let live = true;
    void loadDetail();
    xmlOf(incident.processDefinitionKey).then(
      (x) => live && setXml(x),
      (err: unknown) => live && setProblem(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [loadDetail, xmlOf, incident.processDefinitionKey]);

  // The instance's open incidents in red; this one, once resolved, in grey where nothing is open any more.
  const marks = useMemo(() => {
    const open = new Set((detail?.incidents ?? []).map((i) => i.elementId));
    if (active) open.add(incident.elementId);
    return [
      ...[...open].map((elementId) => ({ elementId, resolved: false })),
      ...(open.has(incident.elementId) ? [] : [{ elementId: incident.elementId, resolved: true }]),
    ];
  }, [incident.elementId, active, detail]);

  const running = detail?.processInstance.state === 'ACTIVE';
  let parsed: { ok: true; value: unknown } | { ok: false } = { ok: false };
  try {
    parsed = value.trim() === '' ? { ok: false } : { ok: true, value: JSON.parse(value) };
  } catch {
    parsed = { ok: false };
  }
  const badJson = value.trim() !== '' && !parsed.ok;

  const save = async (): Promise<void> => {
    if (!parsed.ok || name.trim() === '') return;
    setSaving(true);
    try {
      await setInstanceVariables(instanceKey, {
        variables: { [name.trim()]: parsed.value },
        ...(local ? { local: true, elementInstanceKey: incident.elementInstanceKey } : {}),
      });
      void message.success(t('incidents.var.saved', { name: name.trim() }));
      await loadDetail();
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setSaving(false);
    }
  };

  const retry = async (): Promise<void> => {
    setRetrying(true);
    try {
      const result = await retryIncident(
        incident.incidentKey,
        incident.errorType === 'JOB_NO_RETRIES' ? retries : undefined,
      );
      setOutcome(result);
      await loadDetail();
      if (result.activeIncidents.length > 0) void message.warning(t('incidents.retry.again'));
      else void message.success(t('incidents.retry.ok'));
      await onRetried(result);
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setRetrying(false);
    }
  };

  const variables = detail?.variables ?? [];
  const scopeLabel = (scopeKey: string): string =>
    scopeKey === instanceKey
      ? t('incidents.var.scope.instance')
      : t('incidents.var.scope.local', { key: scopeKey });

  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }} data-testid="incident-detail">
      {problem && <Alert type="error" showIcon title={problem} />}
      <Descriptions
        size="small"
        bordered
        column={{ xs: 1, md: 2 }}
        items={[
          {
            key: 'element',
            label: t('incidents.col.element'),
            children: stepName ? `${stepName}（${incident.elementId}）` : incident.elementId,
          },
          { key: 'type', label: t('incidents.col.type'), children: errorType(incident.errorType) },
          {
            key: 'message',
            label: t('incidents.col.message'),
            span: 2,
            children: (
              <Typography.Text style={{ whiteSpace: 'pre-wrap' }} data-testid="incident-message">
                {incident.errorMessage}
              </Typography.Text>
            ),
          },
          {
            key: 'case',
            label: t('incidents.col.case'),
            children:
              incident.caseId != null ? <Link to={`/cases/${incident.caseId}`}>{incident.caseNo}</Link> : '—',
          },
          { key: 'created', label: t('incidents.col.created'), children: time(incident.creationTime) },
          {
            key: 'instance',
            label: t('incidents.instance'),
            children: (
              <Space size={4} wrap>
                <Typography.Text copyable>{instanceKey}</Typography.Text>
                {detail && (
                  <Tag color={running ? 'processing' : 'default'} data-testid="instance-state">
                    {t(`incidents.instance.${detail.processInstance.state}`)}
                  </Tag>
                )}
              </Space>
            ),
          },
          {
            key: 'process',
            label: t('incidents.col.process'),
            children: detail
              ? `${detail.processInstance.bpmnProcessId} v${detail.processInstance.version}`
              : incident.bpmnProcessId,
          },
          ...(incident.jobKey ? [{ key: 'job', label: t('incidents.job'), children: incident.jobKey }] : []),
        ]}
      />

      {xml ? (
        <Suspense fallback={<Skeleton active />}>
          <IncidentDiagram
            xml={xml}
            marks={marks}
            badges={{ open: t('incidents.badge'), resolved: t('incidents.state.RESOLVED') }}
          />
        </Suspense>
      ) : (
        <Skeleton active />
      )}

      <Card size="small" title={t('incidents.var.title')}>
        <Table
          size="small"
          rowKey={(v) => `${v.scopeKey}:${v.name}`}
          loading={!detail && !problem}
          dataSource={variables}
          pagination={variables.length > 10 ? { size: 'small', pageSize: 10 } : false}
          data-testid="incident-variables"
          columns={[
            { title: t('incidents.var.name'), dataIndex: 'name', width: 180, ellipsis: true },
            {
              title: t('incidents.var.value'),
              dataIndex: 'value',
              render: (v: unknown) => (
                <Typography.Text code style={{ wordBreak: 'break-all' }}>
                  {json(v).length > 240 ? `${json(v).slice(0, 240)}…` : json(v)}
                </Typography.Text>
              ),
            },
            {
              title: t('incidents.var.scope'),
              dataIndex: 'scopeKey',
              width: 150,
              render: (k: string) => scopeLabel(k),
            },
            ...(canFix && running
              ? [
                  {
                    title: '',
                    key: 'edit',
                    width: 64,
                    render: (_: unknown, v: { name: string; value: unknown; scopeKey: string }) => (
                      <Button
                        size="small"
                        type="link"
                        onClick={() => {
                          setName(v.name);
                          setValue(JSON.stringify(v.value));
                          setLocal(v.scopeKey !== instanceKey && v.scopeKey === incident.elementInstanceKey);
                        }}
                      >
                        {t('incidents.var.edit')}
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
        {canFix && running && active && (
          <Space
            orientation="vertical"
            size={6}
            style={{ width: '100%', marginTop: 8 }}
            data-testid="var-editor"
          >
            <Typography.Text strong>{t('incidents.var.set')}</Typography.Text>
            <Space.Compact style={{ width: '100%' }}>
              <AutoComplete
                style={{ width: 200 }}
                value={name}
                onChange={setName}
                options={[...new Set(variables.map((v) => v.name))].map((n) => ({ value: n }))}
                placeholder={t('incidents.var.name')}
                aria-label={t('incidents.var.name')}
                filterOption={(input, o) => String(o?.value ?? '').includes(input)}
              />
              <Input
                value={value}
                onChange={(e) => setValue(e.target.value)}
                placeholder={t('incidents.var.valuePlaceholder')}
                aria-label={t('incidents.var.value')}
                status={badJson ? 'error' : undefined}
                onPressEnter={() => void save()}
              />
              <Button
                type="primary"
                loading={saving}
                disabled={!parsed.ok || name.trim() === ''}
                onClick={() => void save()}
              >
                {t('common.save')}
              </Button>
            </Space.Compact>
            {badJson && <Typography.Text type="danger">{t('incidents.var.badJson')}</Typography.Text>}
            <Checkbox checked={local} onChange={(e) => setLocal(e.target.checked)}>
              {t('incidents.var.local')}
            </Checkbox>
          </Space>
        )}
      </Card>

      {outcome && outcome.activeIncidents.length > 0 && (
        <Alert
          type="warning"
          showIcon
          title={t('incidents.retry.again')}
          description={outcome.activeIncidents.map((i) => `${i.elementId}: ${i.errorMessage}`).join('; ')}
        />
      )}
      {active && (
        <Space wrap>
          {incident.errorType === 'JOB_NO_RETRIES' && (
            <Space size={4}>
              <span>{t('incidents.retries')}</span>
              <InputNumber
                size="small"
                min={1}
                max={10}
                value={retries}
                onChange={(v) => setRetries(v ?? 1)}
                disabled={!canFix}
              />
            </Space>
          )}
          {canFix ? (
            <Button type="primary" danger loading={retrying} onClick={() => void retry()} data-testid="retry">
              {t('incidents.retry')}
            </Button>
          ) : (
            <Tooltip title={t('incidents.readOnly')}>
              <Button type="primary" danger disabled data-testid="retry">
                {t('incidents.retry')}
              </Button>
            </Tooltip>
          )}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('incidents.retry.hint')}
          </Typography.Text>
        </Space>
      )}
    </Space>
  );
}
