import { ArrowLeftOutlined, LeftOutlined, RightOutlined, UploadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Result, Row, Skeleton, Space, Tag, Typography, Upload } from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, api, errorText } from '../api/client.ts';
import type { Attachment, TaskDetail } from '../api/types.ts';
import { useSession } from '../auth/session.tsx';
import { CasePanel, useCase } from '../components/case-panel.tsx';
import { SlaBadge } from '../components/sla-badge.tsx';
import { TaskForm, type TaskFormHandle } from '../components/task-form.tsx';
import { useHotkeys } from '../hooks/use-hotkeys.ts';
import { useI18n } from '../i18n/i18n.tsx';
import {
  type FormSchema,
  actionFieldOf,
  chosenAction,
  fieldLabels,
  photoFieldsOf,
  problemFieldKey,
} from '../lib/form-actions.ts';
import { loadInboxKeys } from '../lib/inbox-store.ts';
import { afterDone, neighbours } from '../lib/task-nav.ts';

/** Actions that undo or refuse: shown as danger buttons. */
const NEGATIVE = new Set(['void', 'return', 'reject', 'fail']);

/** One task: the case on the left, the task's form and its actions on the right. */
export default function TaskPage() {
  const { key = '' } = useParams();
  const { t, label } = useI18n();
  const { user } = useSession();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [detail, setDetail] = useState<TaskDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [problems, setProblems] = useState<{ field: string; message: string }[] | null>(null);
  const [problemText, setProblemText] = useState<string | null>(null);
  const [current, setCurrent] = useState<Record<string, unknown>>({});
  const [photos, setPhotos] = useState<Attachment[]>([]);
  const formRef = useRef<TaskFormHandle>(null);
  const keys = useMemo(() => loadInboxKeys(), []);
  const nav = neighbours(keys, key);

  const loadTask = useCallback(async () => {
    try {
      setDetail(await api<TaskDetail>(`/api/tasks/${key}`));
      setLoadError(null);
    } catch (err) {
      setLoadError(errorText(err));
    }
  }, [key]);

  useEffect(() => {
    setDetail(null);
    setProblems(null);
    setProblemText(null);
    setPhotos([]);
    void loadTask();
  }, [loadTask]);

  const caseId = typeof detail?.data.caseId === 'number' ? detail.data.caseId : null;
  const kase = useCase(caseId);
  const schema = (detail?.form ?? null) as FormSchema | null;
  const actions = detail?.task.actions ?? [];
  const actionField = useMemo(() => actionFieldOf(schema, actions), [schema, actions]);
  const photoFields = useMemo(() => photoFieldsOf(schema), [schema]);
  const labels = useMemo(() => fieldLabels(schema), [schema]);
  const task = detail?.task;
  const held = task?.assignee === user?.username;
  const open = task?.state === 'CREATED';

  const go = (k: string | null): void => {
    if (k) void navigate(`/tasks/${k}`);
  };

  const claim = async (undo = false): Promise<boolean> => {
    setBusy(undo ? 'unclaim' : 'claim');
    try {
      await api(`/api/tasks/${key}/${undo ? 'unclaim' : 'claim'}`, { method: 'POST' });
      await loadTask();
      void message.success(undo ? t('inbox.unclaimed.ok') : t('inbox.claimed'));
      return true;
    } catch (err) {
      void message.error(errorText(err));
      return false;
    } finally {
      setBusy(null);
    }
  };

  const submit = async (pressed?: string): Promise<void> => {
    if (!task || !open || busy) return;
    setProblems(null);
    setProblemText(null);
    const form = formRef.current;
    if (form && pressed && actionField) await form.setValue(actionField, pressed);
    let variables: Record<string, unknown> = {};
    if (form) {
      const data = form.submit();
      if (!data) {
        void message.warning(t('task.invalid'));
        return;
      }
      variables = data;
    }
    // Uploaded photos go in as attachment ids (the form's photo field is read-only: "filled in after upload").
    if (photoFields[0] && photos.length > 0) variables[photoFields[0]] = photos.map((p) => p.id).join(',');
    const action = chosenAction(actions, actionField, variables, pressed);
    if (!action) {
      void message.warning(t('task.pickAction'));
      return;
    }
    setBusy(action);
    try {
      // Submitting claims an unclaimed task first (the API completes only a task the user holds).
      if (!held) await api(`/api/tasks/${key}/claim`, { method: 'POST' });
      await api(`/api/tasks/${key}/complete`, { body: { action, variables } });
      void message.success(t('task.done', { action: label('action', action) }));
      const next = afterDone(keys, key);
      void navigate(next ? `/tasks/${next}` : '/tasks');
    } catch (err) {
      if (err instanceof ApiError) {
        setProblemText(err.problem.detail);
        setProblems(err.problem.errors ?? null);
      } else setProblemText(errorText(err));
      await loadTask();
    } finally {
      setBusy(null);
    }
  };

  useHotkeys({
    j: () => go(nav.next),
    k: () => go(nav.prev),
    c: () => {
      if (open && !task?.assignee) void claim();
    },
    'mod+Enter': () => void submit(),
  });

  const uploadPhoto = async (file: File): Promise<void> => {
    if (caseId == null) return;
    const body = new FormData();
    body.append('file', file, file.name);
    try {
      const r = await api<{ items: Attachment[] }>(`/api/cases/${caseId}/attachments`, { form: body });
      const all = [...photos, ...r.items.filter((a) => !photos.some((p) => p.id === a.id))];
      setPhotos(all);
      kase.reload();
    } catch (err) {
      void message.error(t('intake.uploadFailed', { detail: errorText(err) }));
    }
  };

  if (loadError)
    return (
      <Result
        status="warning"
        title={loadError}
        extra={<Button onClick={() => void navigate('/tasks')}>{t('task.back')}</Button>}
      />
    );
  if (!detail || !task) return <Skeleton active />;

  const chosen = chosenAction(actions, actionField, current);
  const header = (
    <Space wrap size={[12, 4]} style={{ width: '100%', justifyContent: 'space-between' }}>
      <Space wrap size={8}>
        <Button size="small" icon={<ArrowLeftOutlined />} onClick={() => void navigate('/tasks')}>
          {t('task.back')}
        </Button>
        <Typography.Title level={5} style={{ margin: 0 }} data-testid="task-title">
          {task.name ?? task.elementId}
        </Typography.Title>
        {typeof detail.data.caseNo === 'string' && <Tag>{detail.data.caseNo}</Tag>}
        <SlaBadge createdAt={task.creationDate} dueAt={task.dueDate} now={Date.now()} />
      </Space>
      <Space wrap size={8}>
        {open &&
          (task.assignee == null ? (
            <>
              <Typography.Text type="secondary">{t('task.notHeld')}</Typography.Text>
              <Button
                size="small"
                type="primary"
                ghost
                loading={busy === 'claim'}
                onClick={() => void claim()}
              >
                {t('inbox.claim')}
              </Button>
            </>
          ) : held ? (
            <>
              <Tag color="blue">{t('task.youHold')}</Tag>
              <Button size="small" loading={busy === 'unclaim'} onClick={() => void claim(true)}>
                {t('inbox.unclaim')}
              </Button>
            </>
          ) : (
            <Tag color="orange">{t('task.heldBy', { name: task.assignee })}</Tag>
          ))}
        <Button size="small" icon={<LeftOutlined />} disabled={!nav.prev} onClick={() => go(nav.prev)}>
          {t('task.prev')}
        </Button>
        <Button size="small" icon={<RightOutlined />} disabled={!nav.next} onClick={() => go(nav.next)}>
          {t('task.next')}
        </Button>
      </Space>
    </Space>
  );

  const formCard = (
    <Card size="small" title={t('task.form')} data-testid="task-card">
      {!open ? (
        <Result status="success" title={t('task.completed')} />
      ) : (
        <Space direction="vertical" style={{ width: '100%' }} size={8}>
          {schema ? (
            <TaskForm ref={formRef} schema={schema} data={detail.data} onChange={setCurrent} />
          ) : (
            <Typography.Text type="secondary">{t('task.noForm')}</Typography.Text>
          )}
          {photoFields.length > 0 && caseId != null && (
            <div>
              <Upload
                accept="image/*"
                multiple
                showUploadList={false}
                beforeUpload={(file) => {
                  void uploadPhoto(file);
                  return false;
                }}
              >
                <Button size="small" icon={<UploadOutlined />}>
                  {t('task.photos.upload')}
                </Button>
              </Upload>
              <Typography.Text type="secondary" style={{ marginInlineStart: 8, fontSize: 12 }}>
                {t('task.photos.hint', { field: labels[photoFields[0]] ?? photoFields[0] })}
                {photos.length > 0 && ` · ${photos.map((p) => p.fileName).join(', ')}`}
              </Typography.Text>
            </div>
          )}
          {problemText && (
            <Alert
              type="error"
              showIcon
              data-testid="task-problems"
              message={t('task.problems')}
              description={
                problems && problems.length > 0 ? (
                  <ul style={{ margin: 0, paddingInlineStart: 18 }}>
                    {problems.map((p) => {
                      const k = problemFieldKey(p.field);
                      return (
                        <li key={p.field + p.message}>
                          <b>{k ? (labels[k] ?? k) : p.field}</b>: {p.message}
                        </li>
                      );
                    })}
                  </ul>
                ) : (
                  problemText
                )
              }
            />
          )}
          <Space wrap data-testid="task-actions">
            {actions.map((a, i) => (
              <Button
                key={a}
                type={(chosen ?? actions[0]) === a || (!actionField && i === 0) ? 'primary' : 'default'}
                danger={NEGATIVE.has(a)}
                loading={busy === a}
                disabled={busy != null && busy !== a}
                onClick={() => void submit(a)}
                data-action={a}
              >
                {label('action', a)}
              </Button>
            ))}
          </Space>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('task.keys')}
          </Typography.Text>
        </Space>
      )}
    </Card>
  );

  return (
    <Space direction="vertical" size={8} style={{ width: '100%' }}>
      <Card size="small">{header}</Card>
      <Row gutter={[12, 12]}>
        <Col xs={{ span: 24, order: 2 }} lg={{ span: 12, order: 1 }}>
          <CasePanel detail={kase.detail} attachments={kase.attachments} error={kase.error} />
        </Col>
        <Col xs={{ span: 24, order: 1 }} lg={{ span: 12, order: 2 }}>
          <div style={{ position: 'sticky', top: 8 }}>{formCard}</div>
        </Col>
      </Row>
    </Space>
  );
}
