import { AimOutlined, CheckCircleOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Checkbox, Form, Input, Result, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, errorText } from '../api/client.ts';
import { type IntakeValues, intakeBody } from '../api/intake.ts';
import type { CaseDetail } from '../api/types.ts';
import { CategoryPicker } from '../components/category-picker.tsx';
import { PhotoPicker, uploadToCase } from '../components/photo-picker.tsx';
import { useLocated } from '../hooks/use-located.ts';
import { useI18n } from '../i18n/i18n.tsx';

interface ReportValues {
  categoryCode?: string;
  description: string;
  selfHandled?: boolean;
}

/** 网格员上报: the grid worker's phone page — photo, position, category, what is wrong, fixed on the spot. */
export default function ReportPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<ReportValues>();
  const [files, setFiles] = useState<File[]>([]);
  const [pos, setPos] = useState<{ lng: number; lat: number } | null>(null);
  const [locating, setLocating] = useState(false);
  const [locError, setLocError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<CaseDetail | null>(null);
  const located = useLocated(pos?.lng, pos?.lat);

  const locate = (): void => {
    if (!('geolocation' in navigator)) {
      setLocError('geolocation');
      return;
    }
    setLocating(true);
    setLocError(null);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setPos({
          lng: Math.round(p.coords.longitude * 1e6) / 1e6,
          lat: Math.round(p.coords.latitude * 1e6) / 1e6,
        });
        setLocating(false);
      },
      (err) => {
        setLocError(err.message || String(err.code));
        setLocating(false);
      },
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
    );
  };

  const submit = async (v: ReportValues): Promise<void> => {
    if (!pos) {
      void message.warning(t('report.needLocation'));
      return;
    }
    setBusy(true);
    try {
      const values: IntakeValues = {
        source: 'grid_report',
        urgency: 'normal',
        description: v.description,
        categoryCode: v.categoryCode,
        selfHandled: Boolean(v.selfHandled),
        lng: pos.lng,
        lat: pos.lat,
      };
      const detail = await api<CaseDetail>('/api/cases', { body: intakeBody(values) });
      try {
        await uploadToCase(detail.case.id, files, (path, body) => api(path, { form: body }));
      } catch (err) {
        void message.error(t('intake.uploadFailed', { detail: errorText(err) }));
      }
      setDone(detail);
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (done)
    return (
      <Card style={{ maxWidth: 480, margin: '0 auto' }}>
        <Result
          status="success"
          title={t('report.done', { caseNo: done.case.caseNo })}
          subTitle={done.case.description}
          extra={[
            <Button
              type="primary"
              key="again"
              block
              onClick={() => {
                form.resetFields();
                setFiles([]);
                setDone(null);
              }}
            >
              {t('report.again')}
            </Button>,
            <Button
              key="case"
              block
              style={{ marginTop: 8 }}
              onClick={() => void navigate(`/cases/${done.case.id}`)}
            >
              {t('intake.openCase')}
            </Button>,
          ]}
        />
      </Card>
    );

  const place = located ? [located.village?.name, located.grid?.name].filter(Boolean).join(' / ') : '';
  return (
    <Card size="small" title={t('report.title')} style={{ maxWidth: 480, margin: '0 auto' }}>
      <Form<ReportValues>
        form={form}
        layout="vertical"
        onFinish={(v) => void submit(v)}
        initialValues={{ selfHandled: false }}
        data-testid="report-form"
      >
        <Form.Item label={t('task.photos')}>
          <PhotoPicker files={files} onChange={setFiles} label={t('report.photo')} capture="environment" />
        </Form.Item>
        <Form.Item label={t('case.location')} required>
          <Space direction="vertical" style={{ width: '100%' }}>
            <Button icon={<AimOutlined />} onClick={locate} loading={locating} block data-testid="locate">
              {locating ? t('report.locating') : t('report.locate')}
            </Button>
            {pos && (
              <Typography.Text type="success" data-testid="position">
                <CheckCircleOutlined />{' '}
                {t('report.located', { lng: pos.lng.toFixed(5), lat: pos.lat.toFixed(5) })}
              </Typography.Text>
            )}
            {place && <Tag color="blue">{t('intake.located', { place })}</Tag>}
            {locError && (
              <Alert type="error" showIcon message={t('report.locateFailed', { detail: locError })} />
            )}
          </Space>
        </Form.Item>
        <Form.Item name="categoryCode" label={t('intake.category')} rules={[{ required: true }]}>
          <CategoryPicker />
        </Form.Item>
        <Form.Item
          name="description"
          label={t('intake.description')}
          rules={[
            {
              required: true,
              whitespace: true,
              min: 2,
              max: 4000,
              message: t('intake.description.required'),
            },
          ]}
        >
          <Input.TextArea rows={4} maxLength={4000} />
        </Form.Item>
        <Form.Item name="selfHandled" valuePropName="checked">
          <Checkbox>{t('report.selfHandled')}</Checkbox>
        </Form.Item>
        <Button
          type="primary"
          htmlType="submit"
          size="large"
          block
          loading={busy}
          data-testid="report-submit"
        >
          {t('report.submit')}
        </Button>
      </Form>
    </Card>
  );
}
