import {
  ArrowLeftOutlined,
  CaretRightOutlined,
  PauseOutlined,
  StepBackwardOutlined,
  StepForwardOutlined,
  VerticalLeftOutlined,
  VerticalRightOutlined,
} from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Row,
  Select,
  Skeleton,
  Slider,
  Space,
  Table,
  Tabs,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError, api, errorText } from '../api/client.ts';
import type { CaseAudit, CaseDetail, CaseHistory } from '../api/types.ts';
import { BpmnViewer, type DiagramBadge } from '../components/bpmn-viewer.tsx';
import { useHotkeys } from '../hooks/use-hotkeys.ts';
import { useI18n } from '../i18n/i18n.tsx';
import {
  type ReplayScope,
  type ReplayStep,
  replayMarkers,
  replayState,
  replaySteps,
  variableText,
} from '../lib/replay.ts';

/** Milliseconds per step at each playing speed. */
const SPEEDS = [
  { value: 2000, label: '0.5×' },
  { value: 1000, label: '1×' },
  { value: 500, label: '2×' },
  { value: 250, label: '4×' },
];
const EVENTS_PAGE = 10;

const time = (iso: string): string => new Date(iso).toLocaleString();

/** The diagram's XML, or why there is none (403: the user may read the case but not the definition). */
type Diagram = { xml: string } | { forbidden: true } | { error: string };

/**
 * 流程回放: an auditor replays a case's process instance on the diagram of the version it ran on, step by step
 * (a slider, play and pause): what was active, completed, stopped by an incident, which flows were taken, who
 * did what, the variables at that moment; and whether the case's audit chain is intact.
 */
export default function ReplayPage() {
  const { id } = useParams();
  const [search] = useSearchParams();
  const { t, label } = useI18n();
  const navigate = useNavigate();
  const caseId = id && /^\d+$/.test(id) ? Number(id) : null;
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [history, setHistory] = useState<CaseHistory | null>(null);
  const [diagram, setDiagram] = useState<Diagram | null>(null);
  const [audit, setAudit] = useState<CaseAudit | { error: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [step, setStep] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1000);
  const [eventsPage, setEventsPage] = useState(1);

  useEffect(() => {
    if (caseId == null) return;
    let live = true;
    const wanted = Number(search.get('step'));
    Promise.all([api<CaseDetail>(`/api/cases/${caseId}`), api<CaseHistory>(`/api/cases/${caseId}/history`)])
      .then(async ([d, h]) => {
        if (!live) return;
        setDetail(d);
        setHistory(h);
        const steps = replaySteps(h.events).length;
        setStep(Number.isInteger(wanted) && wanted > 0 ? Math.min(wanted, steps) - 1 : 0);
        const key = h.processInstance?.processDefinitionKey ?? h.events[0]?.processDefinitionKey;
        if (!key) return;
        // The exact version the instance ran on, not the latest: older cases replay on their own diagram.
        const xml = await api<string>(`/api/process-definitions/${key}/xml`).then(
          (x): Diagram => ({ xml: x }),
          (err: unknown): Diagram =>
            err instanceof ApiError && err.status === 403 ? { forbidden: true } : { error: errorText(err) },
        );
        if (live) setDiagram(xml);
      })
      .catch((err: unknown) => live && setError(errorText(err)));
    api<CaseAudit>(`/api/cases/${caseId}/audit`)
      .then((a) => live && setAudit(a))
      .catch((err: unknown) => live && setAudit({ error: errorText(err) }));
    return () => {
      live = false;
    };
    // The step in the URL (?step=N, 1-based) is read once, when the case is loaded.
  }, [caseId]);

  const events = useMemo(() => history?.events ?? [], [history]);
  const steps = useMemo(() => replaySteps(events), [events]);
  const state = useMemo(() => replayState(events, step, steps), [events, step, steps]);
  const markers = useMemo(() => replayMarkers(state), [state]);
  const badges = useMemo(() => {
    const out: Record<string, DiagramBadge> = {};
    for (const [el, n] of Object.entries(state.activeCounts)) if (n > 1) out[el] = { text: `×${n}` };
    for (const el of state.incidents) out[el] = { text: '!', tone: 'incident' };
    return out;
  }, [state]);
  const last = steps.length - 1;

  const go = useCallback((n: number) => setStep(Math.max(0, Math.min(last, n))), [last]);
  useEffect(() => {
    setEventsPage(Math.floor(step / EVENTS_PAGE) + 1);
  }, [step]);
  useEffect(() => {
    if (!playing) return;
    if (step >= last) {
      setPlaying(false);
      return;
    }
    const timer = setTimeout(() => setStep((s) => Math.min(last, s + 1)), speed);
    return () => clearTimeout(timer);
  }, [playing, step, last, speed]);
  const togglePlay = (): void => {
    if (!playing && step >= last) setStep(0);
    setPlaying((p) => !p);
  };
  // The slider and the buttons handle their own keys; the page's keys are for everywhere else.
  const own = (e: KeyboardEvent): boolean =>
    (e.target as HTMLElement | null)?.closest?.('.ant-slider, button') != null;
  useHotkeys({
    ArrowLeft: (e) => own(e) || go(step - 1),
    ArrowRight: (e) => own(e) || go(step + 1),
    ' ': (e) => own(e) || togglePlay(),
  });

  const processId = history?.processInstance?.bpmnProcessId ?? '';
  const elementName = (s: Pick<ReplayStep, 'elementId' | 'elementType'>): string =>
    s.elementType === 'PROCESS'
      ? (names[processId] ?? t('replay.process'))
      : s.elementId
        ? (names[s.elementId] ?? s.elementId)
        : '';
  const who = (s: ReplayStep): string => s.actor ?? t('replay.system');
  const what = (s: ReplayStep): string => {
    const parts: string[] = [];
    if (s.action) parts.push(t('replay.detail.action', { action: label('action', s.action) }));
    if (s.kind === 'activated' && s.candidateGroups?.length)
      parts.push(t('replay.detail.candidates', { groups: s.candidateGroups.join('、') }));
    if (s.assignee) parts.push(t('replay.detail.assignee', { name: s.assignee }));
    if (s.retries != null)
      parts.push(
        t(s.kind === 'retriesUpdated' ? 'replay.detail.retriesSet' : 'replay.detail.retries', {
          n: s.retries,
        }),
      );
    if (s.errorType) parts.push(s.errorType);
    if (s.errorMessage) parts.push(s.errorMessage);
    if (s.submitted?.length) parts.push(t('replay.detail.submitted', { names: s.submitted.join(', ') }));
    return parts.join(' · ');
  };
  const kindTag = (s: ReplayStep) => {
    const color =
      s.kind === 'incident' || s.kind === 'jobFailed' || s.kind === 'errorThrown'
        ? 'red'
        : s.kind === 'incidentResolved'
          ? 'green'
          : s.kind === 'activated'
            ? 'blue'
            : s.kind === 'completed' || s.kind === 'ended'
              ? 'success'
              : 'default';
    return <Tag color={color}>{label('replay.kind', s.kind)}</Tag>;
  };

  if (caseId == null) return <Alert type="error" showIcon message={t('common.notFound')} />;
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!history || !detail) return <Skeleton active />;

  const instance = history.processInstance;
  const current = state.step;
  const brokenRecord =
    audit && 'verification' in audit && audit.verification.broken
      ? audit.records.find((r) => r.chainSeq === audit.verification.broken!.chainSeq)
      : undefined;

  const eventColumns: ColumnsType<ReplayStep & { n: number }> = [
    { title: t('replay.col.no'), dataIndex: 'n', width: 56 },
    { title: t('replay.col.time'), dataIndex: 'timestamp', width: 170, render: (v: string) => time(v) },
    { title: t('replay.col.element'), key: 'element', render: (_, s) => elementName(s) },
    { title: t('replay.col.event'), key: 'kind', width: 110, render: (_, s) => kindTag(s) },
    { title: t('replay.col.actor'), key: 'actor', width: 150, render: (_, s) => who(s) },
    { title: t('replay.col.detail'), key: 'detail', ellipsis: true, render: (_, s) => what(s) },
  ];
  const auditColumns: ColumnsType<CaseAudit['records'][number]> = [
    { title: t('replay.audit.col.seq'), dataIndex: 'chainSeq', width: 64 },
    { title: t('replay.audit.col.at'), dataIndex: 'at', width: 170, render: (v: string) => time(v) },
    { title: t('replay.audit.col.actor'), dataIndex: 'actor', width: 150 },
    {
      title: t('replay.audit.col.action'),
      key: 'action',
      // In words first (an engine record by its first event), then the code as stored and verified.
      render: (_, r) => (
        <>
          {r.action.startsWith('engine.')
            ? label('audit.intent', r.action.slice('engine.'.length))
            : label('audit.action', r.action)}{' '}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {r.action}
            {r.events ? ` ${t('replay.audit.events', { n: r.events.length })}` : ''}
          </Typography.Text>
        </>
      ),
    },
    {
      title: t('replay.audit.col.entity'),
      key: 'entity',
      width: 200,
      render: (_, r) => `${r.entityType}${r.entityId ? ` ${r.entityId}` : ''}`,
    },
    {
      title: t('replay.audit.col.hash'),
      dataIndex: 'hash',
      width: 130,
      render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
    },
  ];

  return (
    <Space direction="vertical" size={8} style={{ width: '100%' }} data-testid="replay-page">
      <Card size="small">
        <Space wrap size={[12, 4]}>
          <Button size="small" icon={<ArrowLeftOutlined />} onClick={() => void navigate(-1)}>
            {t('common.back')}
          </Button>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('replay.title')}
          </Typography.Title>
          <Link to={`/cases/${caseId}`}>{t('replay.case', { caseNo: detail.case.caseNo })}</Link>
          {instance && (
            <>
              <Tag data-testid="replay-version">
                {t('replay.version', {
                  process: names[instance.bpmnProcessId] ?? instance.bpmnProcessId,
                  version: instance.version,
                })}
              </Tag>
              <Tag color={instance.state === 'ACTIVE' ? 'processing' : 'default'}>
                {label('replay.state', instance.state)}
              </Tag>
            </>
          )}
          {audit && 'verification' in audit && (
            <Tag color={audit.verification.ok ? 'success' : 'error'} data-testid="audit-tag">
              {t(audit.verification.ok ? 'replay.audit.tag.ok' : 'replay.audit.tag.broken')}
            </Tag>
          )}
        </Space>
      </Card>

      {audit && 'error' in audit && (
        <Alert type="warning" showIcon message={t('replay.audit.unavailable', { detail: audit.error })} />
      )}
      {audit && 'verification' in audit && (
        <Alert
          data-testid="audit-status"
          type={audit.verification.ok ? 'success' : 'error'}
          showIcon
          message={
            audit.verification.broken
              ? t('replay.audit.broken', {
                  seq: audit.verification.broken.chainSeq,
                  action: brokenRecord?.action ?? '—',
                })
              : t('replay.audit.ok', { n: audit.verification.records })
          }
          description={audit.verification.broken?.reason}
        />
      )}

      {!instance || events.length === 0 ? (
        <Card size="small">
          <Empty description={t('replay.noInstance')} />
        </Card>
      ) : (
        <>
          <Row gutter={8}>
            <Col span={16}>
              <Card size="small" styles={{ body: { padding: 8 } }}>
                {diagram == null ? (
                  <Skeleton active />
                ) : 'xml' in diagram ? (
                  <BpmnViewer
                    xml={diagram.xml}
                    markers={markers}
                    badges={badges}
                    height={470}
                    focus={current?.elementType === 'PROCESS' ? null : current?.elementId}
                    onNames={setNames}
                  />
                ) : 'forbidden' in diagram ? (
                  <Alert type="info" showIcon message={t('replay.noAccess')} />
                ) : (
                  <Alert type="error" showIcon message={t('replay.noDiagram', { detail: diagram.error })} />
                )}
                <Space wrap size={[4, 4]} style={{ marginTop: 8 }}>
                  <Tag color="blue">{t('replay.legend.active')}</Tag>
                  <Tag color="green">{t('replay.legend.completed')}</Tag>
                  <Tag>{t('replay.legend.terminated')}</Tag>
                  <Tag color="success">{t('replay.legend.flow')}</Tag>
                  <Tag color="processing">{t('replay.legend.newFlow')}</Tag>
                  <Tag color="red">{t('replay.legend.incident')}</Tag>
                </Space>
              </Card>
            </Col>
            <Col span={8}>
              <Space direction="vertical" size={8} style={{ width: '100%' }}>
                <Card size="small" title={t('replay.current')} data-testid="replay-current">
                  {current && (
                    <Descriptions size="small" column={1}>
                      <Descriptions.Item label={t('replay.col.time')}>
                        {time(current.timestamp)}
                      </Descriptions.Item>
                      <Descriptions.Item label={t('replay.col.element')}>
                        <span data-testid="replay-current-element" data-element={current.elementId ?? ''}>
                          {elementName(current)}
                        </span>
                      </Descriptions.Item>
                      <Descriptions.Item label={t('replay.col.event')}>
                        <span data-testid="replay-current-kind" data-kind={current.kind}>
                          {kindTag(current)}
                        </span>
                      </Descriptions.Item>
                      <Descriptions.Item label={t('replay.col.actor')}>
                        <span data-testid="replay-current-actor">{who(current)}</span>
                      </Descriptions.Item>
                      {what(current) && (
                        <Descriptions.Item label={t('replay.col.detail')}>{what(current)}</Descriptions.Item>
                      )}
                    </Descriptions>
                  )}
                  {state.incidentList.length > 0 && (
                    <Space direction="vertical" size={2} style={{ width: '100%' }}>
                      <Typography.Text strong>{t('replay.incidents')}</Typography.Text>
                      {state.incidentList.map((i) => (
                        <div key={i.incidentKey}>
                          <Tag color={i.resolvedAt ? 'green' : 'red'}>
                            {t(i.resolvedAt ? 'replay.incident.resolved' : 'replay.incident.open')}
                          </Tag>
                          {names[i.elementId ?? ''] ?? i.elementId} · {i.errorType} {i.errorMessage}
                        </div>
                      ))}
                    </Space>
                  )}
                </Card>
                <VariablesCard state={state} names={names} />
              </Space>
            </Col>
          </Row>

          <Card size="small" data-testid="replay-controls">
            <Row gutter={12} align="middle" wrap={false}>
              <Col flex="none">
                <Space size={4}>
                  <Tooltip title={t('replay.first')}>
                    <Button
                      icon={<VerticalRightOutlined />}
                      aria-label={t('replay.first')}
                      disabled={step <= 0}
                      onClick={() => go(0)}
                    />
                  </Tooltip>
                  <Tooltip title={t('replay.prev')}>
                    <Button
                      icon={<StepBackwardOutlined />}
                      aria-label={t('replay.prev')}
                      disabled={step <= 0}
                      onClick={() => go(step - 1)}
                    />
                  </Tooltip>
                  <Button
                    type="primary"
                    icon={playing ? <PauseOutlined /> : <CaretRightOutlined />}
                    aria-label={t(playing ? 'replay.pause' : 'replay.play')}
                    data-testid="replay-play"
                    onClick={togglePlay}
                  >
                    {t(playing ? 'replay.pause' : 'replay.play')}
                  </Button>
                  <Tooltip title={t('replay.next')}>
                    <Button
                      icon={<StepForwardOutlined />}
                      aria-label={t('replay.next')}
                      disabled={step >= last}
                      onClick={() => go(step + 1)}
                    />
                  </Tooltip>
                  <Tooltip title={t('replay.last')}>
                    <Button
                      icon={<VerticalLeftOutlined />}
                      aria-label={t('replay.last')}
                      disabled={step >= last}
                      onClick={() => go(last)}
                    />
                  </Tooltip>
                </Space>
              </Col>
              <Col flex="auto">
                <Slider
                  min={0}
                  max={Math.max(0, last)}
                  value={step}
                  onChange={(v) => {
                    setPlaying(false);
                    go(v);
                  }}
                  tooltip={{
                    formatter: (v) =>
                      v == null || !steps[v]
                        ? ''
                        : elementName(steps[v]) || label('replay.kind', steps[v].kind),
                  }}
                  aria-label={t('replay.title')}
                  data-testid="replay-slider"
                />
              </Col>
              <Col flex="none">
                <Typography.Text data-testid="replay-step" data-step={step}>
                  {t('replay.step', { n: step + 1, total: steps.length })}
                </Typography.Text>
              </Col>
              <Col flex="none">
                <Select
                  size="small"
                  value={speed}
                  onChange={setSpeed}
                  options={SPEEDS}
                  aria-label={t('replay.speed')}
                  style={{ width: 76 }}
                />
              </Col>
            </Row>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('replay.keys')}
            </Typography.Text>
          </Card>

          <Card size="small" styles={{ body: { paddingTop: 0 } }}>
            <Tabs
              size="small"
              items={[
                {
                  key: 'events',
                  label: t('replay.events'),
                  children: (
                    <Table
                      size="small"
                      rowKey="index"
                      data-testid="replay-events"
                      columns={eventColumns}
                      dataSource={steps.map((s, n) => ({ ...s, n: n + 1 }))}
                      pagination={{
                        current: eventsPage,
                        pageSize: EVENTS_PAGE,
                        showSizeChanger: false,
                        onChange: setEventsPage,
                        size: 'small',
                      }}
                      rowClassName={(s) => (s.n - 1 === step ? 'ant-table-row-selected' : '')}
                      onRow={(s) => ({
                        onClick: () => {
                          setPlaying(false);
                          go(s.n - 1);
                        },
                        style: { cursor: 'pointer' },
                      })}
                    />
                  ),
                },
                {
                  key: 'audit',
                  label: t('replay.audit'),
                  children:
                    audit && 'verification' in audit ? (
                      <>
                        {audit.truncated && (
                          <Alert
                            type="info"
                            showIcon
                            message={t('replay.audit.truncated', { n: audit.records.length })}
                            style={{ marginBottom: 8 }}
                          />
                        )}
                        <Table
                          size="small"
                          rowKey="chainSeq"
                          data-testid="replay-audit"
                          columns={auditColumns}
                          dataSource={audit.records}
                          pagination={{ pageSize: EVENTS_PAGE, showSizeChanger: false, size: 'small' }}
                          expandable={{
                            // An engine record holds one command's events (ADR 0007): listed by intent and element.
                            rowExpandable: (r) => (r.events?.length ?? 0) > 0,
                            expandedRowRender: (r) => (
                              <ol
                                data-testid="replay-audit-events"
                                style={{ margin: 0, paddingInlineStart: 24 }}
                              >
                                {r.events?.map((e, i) => (
                                  <li key={i}>
                                    <span title={e.intent}>{label('audit.intent', e.intent)}</span>{' '}
                                    {e.elementId || e.elementType === 'PROCESS'
                                      ? elementName({
                                          elementId: e.elementId ?? '',
                                          elementType: e.elementType ?? '',
                                        })
                                      : ''}
                                    {e.name ? (
                                      <Typography.Text type="secondary"> {e.name}</Typography.Text>
                                    ) : null}
                                  </li>
                                ))}
                              </ol>
                            ),
                          }}
                          onRow={(r) =>
                            r.chainSeq === audit.verification.broken?.chainSeq
                              ? { style: { background: '#fff1f0' } }
                              : {}
                          }
                        />
                      </>
                    ) : (
                      <Skeleton active />
                    ),
                },
              ]}
            />
          </Card>
        </>
      )}
    </Space>
  );
}

/** The variables at the step: the process's own, then each live element instance's local ones. */
function VariablesCard({
  state,
  names,
}: {
  state: { variables: ReplayScope; localScopes: ReplayScope[] };
  names: Record<string, string>;
}) {
  const { t } = useI18n();
  const scopes = [state.variables, ...state.localScopes];
  return (
    <Card
      size="small"
      title={t('replay.variables')}
      data-testid="replay-variables"
      styles={{ body: { maxHeight: 250, overflow: 'auto', padding: 8 } }}
    >
      {scopes.every((s) => Object.keys(s.variables).length === 0) ? (
        <Typography.Text type="secondary">{t('replay.variables.none')}</Typography.Text>
      ) : (
        scopes
          .filter((s) => Object.keys(s.variables).length > 0)
          .map((s) => (
            <div key={s.scopeKey} style={{ marginBottom: 8 }}>
              {s !== state.variables && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('replay.variables.local', {
                    element: names[s.elementId ?? ''] ?? s.elementId ?? s.scopeKey,
                  })}
                </Typography.Text>
              )}
              <table style={{ width: '100%', fontSize: 12, borderCollapse: 'collapse' }}>
                <tbody>
                  {Object.entries(s.variables)
                    .sort(([a], [b]) => a.localeCompare(b))
                    .map(([name, value]) => {
                      const changed = s.changed.includes(name);
                      return (
                        <tr
                          key={name}
                          data-variable={name}
                          data-changed={changed ? 'true' : undefined}
                          style={{
                            background: changed ? '#fffbe6' : undefined,
                            borderBottom: '1px solid #f5f5f5',
                          }}
                        >
                          <td style={{ padding: '2px 4px', whiteSpace: 'nowrap', verticalAlign: 'top' }}>
                            <Typography.Text code>{name}</Typography.Text>
                          </td>
                          <td style={{ padding: '2px 4px', wordBreak: 'break-all' }}>
                            {variableText(value)}
                            {changed && (
                              <Tag
                                color="gold"
                                style={{ marginInlineStart: 4, fontSize: 11, lineHeight: '16px' }}
                              >
                                {t('replay.variables.changed')}
                              </Tag>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                </tbody>
              </table>
            </div>
          ))
      )}
    </Card>
  );
}
