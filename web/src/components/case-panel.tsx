import { FileOutlined } from '@ant-design/icons';
import { Alert, Card, Descriptions, Empty, Image, Skeleton, Space, Tag, Timeline, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, errorText } from '../api/client.ts';
import type { Attachment, CaseDetail } from '../api/types.ts';
import { useReference } from '../hooks/use-reference.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { GridMap } from './grid-map.tsx';

/** Tag colours of the case statuses. */
export const STATUS_COLORS: Record<string, string> = {
  new: 'default',
  accepted: 'cyan',
  registered: 'blue',
  dispatched: 'geekblue',
  handling: 'processing',
  returned: 'orange',
  parked: 'gold',
  handled: 'lime',
  verified: 'green',
  closed: 'success',
  voided: 'default',
  merged: 'purple',
};

/** Tag colours of urgencies. */
export const URGENCY_COLORS: Record<string, string> = {
  normal: 'default',
  urgent: 'orange',
  emergency: 'red',
};

/** A case and its attachments, with a reload. */
export function useCase(caseId: number | null): {
  detail: CaseDetail | null;
  attachments: Attachment[];
  error: string | null;
  reload: () => void;
} {
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (caseId == null) return;
    let live = true;
    Promise.all([
      api<CaseDetail>(`/api/cases/${caseId}`),
      api<{ items: Attachment[] }>(`/api/cases/${caseId}/attachments`).then((r) => r.items),
    ])
      .then(([d, a]) => {
        if (!live) return;
        setDetail(d);
        setAttachments(a);
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [caseId, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { detail, attachments, error, reload };
}

const time = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '');

/** The case as the handler needs it: what, where, who reported (phone masked), photos, the pin, the timeline. */
export function CasePanel({
  detail,
  attachments,
  error,
  mapHeight = 220,
}: {
  detail: CaseDetail | null;
  attachments: Attachment[];
  error?: string | null;
  mapHeight?: number;
}) {
  const { t, label } = useI18n();
  const ref = useReference();
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!detail) return <Skeleton active />;
  const c = detail.case;
  const images = attachments.filter((a) => a.contentType.startsWith('image/'));
  const files = attachments.filter((a) => !a.contentType.startsWith('image/'));
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }} data-testid="case-panel">
      <Card
        size="small"
        title={`${t('case.caseNo')} ${c.caseNo}`}
        extra={<Tag color={STATUS_COLORS[c.status]}>{label('status', c.status)}</Tag>}
      >
        <Typography.Paragraph style={{ fontSize: 14, marginBottom: 12 }} data-testid="case-description">
          {c.description}
        </Typography.Paragraph>
        <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
          <Descriptions.Item label={t('case.category')}>{c.categoryName ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('case.urgency')}>
            <Tag color={URGENCY_COLORS[c.urgency]}>{label('urgency', c.urgency)}</Tag>
            {c.majorEmergency && <Tag color="red">{t('case.major')}</Tag>}
          </Descriptions.Item>
          <Descriptions.Item label={t('case.source')}>
            {label('source', c.source)}
            {c.sourceTicketId ? ` · ${c.sourceTicketId}` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={t('case.acceptedAt')}>{time(c.acceptedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('case.reporter')}>{c.reporterName ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('case.phone')}>
            <span data-testid="reporter-phone">{c.reporterPhone ?? '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('case.town')}>{ref.unitName(c.townId) || '—'}</Descriptions.Item>
          <Descriptions.Item label={t('case.village')}>{ref.unitName(c.villageId) || '—'}</Descriptions.Item>
          <Descriptions.Item label={t('case.address')} span={2}>
            {c.address ?? '—'}
            {c.lng != null && c.lat != null && (
              <Typography.Text type="secondary" style={{ marginInlineStart: 8, fontSize: 12 }}>
                ({c.lng.toFixed(5)}, {c.lat.toFixed(5)})
              </Typography.Text>
            )}
          </Descriptions.Item>
          {c.handlingUnitId != null && (
            <Descriptions.Item label={t('case.handlingUnit')}>
              {ref.unitName(c.handlingUnitId)}
            </Descriptions.Item>
          )}
          {c.handleDueAt && (
            <Descriptions.Item label={t('case.handleDueAt')}>{time(c.handleDueAt)}</Descriptions.Item>
          )}
          {c.closedAt && <Descriptions.Item label={t('case.closedAt')}>{time(c.closedAt)}</Descriptions.Item>}
          {c.satisfaction && (
            <Descriptions.Item label={t('case.satisfaction')}>
              {label('satisfaction', c.satisfaction)}
            </Descriptions.Item>
          )}
        </Descriptions>
      </Card>
      <Card size="small" title={t('case.photos')}>
        {attachments.length === 0 ? (
          <Typography.Text type="secondary">{t('case.noPhotos')}</Typography.Text>
        ) : (
          <Space wrap>
            <Image.PreviewGroup>
              {images.map((a) => (
                <Image
                  key={a.id}
                  src={a.url}
                  alt={a.fileName}
                  width={96}
                  height={96}
                  style={{ objectFit: 'cover', borderRadius: 4 }}
                />
              ))}
            </Image.PreviewGroup>
            {files.map((a) => (
              <a key={a.id} href={a.url} target="_blank" rel="noreferrer">
                <FileOutlined /> {a.fileName}
              </a>
            ))}
          </Space>
        )}
      </Card>
      <Card size="small" title={t('case.map')} styles={{ body: { padding: 8 } }}>
        {c.lng != null && c.lat != null ? (
          <GridMap value={{ lng: c.lng, lat: c.lat }} focus height={mapHeight} />
        ) : (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('case.noLocation')} />
        )}
      </Card>
      <CaseTimeline detail={detail} />
    </Space>
  );
}

/** The case's steps, oldest first: each task with its action and who did it. */
export function CaseTimeline({ detail }: { detail: CaseDetail }) {
  const { t, label } = useI18n();
  return (
    <Card size="small" title={t('case.timeline')}>
      <Timeline
        data-testid="case-timeline"
        items={detail.timeline.map((e) => {
          const open = e.kind === 'task' && e.state === 'CREATED';
          return {
            color: open ? 'blue' : e.kind === 'case' ? 'green' : 'gray',
            children: (
              <div>
                <Typography.Text strong>{e.title}</Typography.Text>
                {e.kind === 'task' && e.action && (
                  <Tag style={{ marginInlineStart: 8 }}>{label('action', e.action)}</Tag>
                )}
                {e.kind === 'case' && e.action && (
                  <Tag style={{ marginInlineStart: 8 }}>
                    {label(e.title === '受理' ? 'source' : 'status', e.action)}
                  </Tag>
                )}
                {open && <Tag color="processing">{t('case.timeline.open')}</Tag>}
                <div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {time(e.at)}
                    {e.actor ? ` · ${e.actor}` : ''}
                  </Typography.Text>
                </div>
              </div>
            ),
          };
        })}
      />
    </Card>
  );
}
