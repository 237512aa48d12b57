import { ArrowLeftOutlined, HistoryOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Space } from 'antd';
import { useNavigate, useParams } from 'react-router';
import { useSession } from '../auth/session.tsx';
import { CasePanel, useCase } from '../components/case-panel.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { canReplay } from '../lib/replay.ts';

/** One case with its full timeline (案件详情). */
export default function CasePage() {
  const { id } = useParams();
  const { t } = useI18n();
  const { user } = useSession();
  const navigate = useNavigate();
  const caseId = id && /^\d+$/.test(id) ? Number(id) : null;
  const kase = useCase(caseId);
  return (
    <Space direction="vertical" size={8} style={{ width: '100%', maxWidth: 1100 }}>
      <Card size="small">
        <Space>
          <Button size="small" icon={<ArrowLeftOutlined />} onClick={() => void navigate(-1)}>
            {t('common.back')}
          </Button>
          <Button size="small" icon={<ReloadOutlined />} onClick={kase.reload}>
            {t('common.refresh')}
          </Button>
          {user && caseId != null && canReplay(user) && (
            <Button
              size="small"
              icon={<HistoryOutlined />}
              data-testid="open-replay"
              onClick={() => void navigate(`/cases/${caseId}/replay`)}
            >
              {t('replay.open')}
            </Button>
          )}
        </Space>
      </Card>
      <CasePanel detail={kase.detail} attachments={kase.attachments} error={kase.error} mapHeight={280} />
    </Space>
  );
}
