import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  Input,
  InputNumber,
  List,
  Radio,
  Result,
  Row,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, errorText } from '../api/client.ts';
import type { CaseDetail, CaseView, Page } from '../api/types.ts';
import { type IntakeValues, PHONE, fieldErrors, intakeBody } from '../api/intake.ts';
import { useLocated } from '../hooks/use-located.ts';
import { STATUS_COLORS } from '../components/case-panel.tsx';
import { CategoryPicker } from '../components/category-picker.tsx';
import { GridMap } from '../components/grid-map.tsx';
import { PhotoPicker, uploadToCase } from '../components/photo-picker.tsx';
import { useReference } from '../hooks/use-reference.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { DUPLICATE_RULE, duplicateCandidates } from '../lib/geo.ts';
import { CASE_SOURCES } from '../lib/inbox-filters.ts';

/** 受理登记: the hotline operator's form, the grid map to place the case, duplicate suggestions before filing. */
export default function IntakePage() {
  const { t, label } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const ref = useReference();
  const [form] = Form.useForm<IntakeValues>();
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ detail: CaseDetail; uploadError?: string } | null>(null);
  const [dupes, setDupes] = useState<(CaseView & { distanceM: number })[] | null>(null);
  const lng = Form.useWatch('lng', form);
  const lat = Form.useWatch('lat', form);
  const categoryCode = Form.useWatch('categoryCode', form);
  const located = useLocated(lng, lat);
  const category = useMemo(
    () => ref.categories.find((c) => c.code === categoryCode && c.level === 'minor'),
    [ref.categories, categoryCode],
  );

  // Duplicate suggestions: open cases of the same 小类 near the point, reported in the last 72 h.
  useEffect(() => {
    if (!category || lng == null || lat == null) {
      setDupes(null);
      return;
    }
    let live = true;
    const timer = window.setTimeout(() => {
      const since = new Date(Date.now() - DUPLICATE_RULE.windowHours * 3_600_000).toISOString();
      api<Page<CaseView>>(
        `/api/cases?categoryId=${category.id}&from=${encodeURIComponent(since)}&pageSize=200`,
      )
        .then((r) => live && setDupes(duplicateCandidates(r.items, { lng, lat }, Date.now())))
        .catch(() => live && setDupes(null));
    }, 300);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [category, lng, lat]);

  // A 小类 brings its default urgency, which the operator may still change.
  useEffect(() => {
    if (category && !form.isFieldTouched('urgency')) form.setFieldValue('urgency', category.urgency);
  }, [category, form]);

  const submit = async (v: IntakeValues): Promise<void> => {
    setBusy(true);
    try {
      const detail = await api<CaseDetail>('/api/cases', { body: intakeBody(v) });
      let uploadError: string | undefined;
      try {
        await uploadToCase(detail.case.id, files, (path, body) => api(path, { form: body }));
      } catch (err) {
        uploadError = errorText(err);
      }
      setDone({ detail, uploadError });
      void message.success(
        t(detail.created === false ? 'intake.existing' : 'intake.created', { caseNo: detail.case.caseNo }),
      );
    } catch (err) {
      const fields = fieldErrors(
        err,
        Object.keys(form.getFieldsValue(true) as object).concat(['lng', 'lat']),
      );
      if (fields.length > 0) form.setFields(fields as Parameters<typeof form.setFields>[0]);
      void message.error(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const reset = (): void => {
    form.resetFields();
    setFiles([]);
    setDone(null);
  };

  if (done) {
    const c = done.detail.case;
    return (
      <Card>
        <Result
          status="success"
          title={t(done.detail.created === false ? 'intake.existing' : 'intake.created', {
            caseNo: c.caseNo,
          })}
          subTitle={c.description}
          extra={[
            <Button type="primary" key="next" onClick={reset} autoFocus>
              {t('intake.next')}
            </Button>,
            <Button key="case" onClick={() => void navigate(`/cases/${c.id}`)}>
              {t('intake.openCase')}
            </Button>,
            <Button key="tasks" onClick={() => void navigate('/tasks')}>
              {t('intake.openTasks')}
            </Button>,
          ]}
        >
          {done.uploadError && (
            <Alert type="warning" showIcon message={t('intake.uploadFailed', { detail: done.uploadError })} />
          )}
        </Result>
      </Card>
    );
  }

  const place = located
    ? [located.town?.name, located.village?.name, located.grid?.name].filter(Boolean).join(' / ')
    : '';

  return (
    <Form<IntakeValues>
      form={form}
      layout="vertical"
      size="middle"
      initialValues={{ source: 'hotline_12345', urgency: 'normal', majorEmergency: false }}
      onFinish={(v) => void submit(v)}
      requiredMark
      data-testid="intake-form"
    >
      <Row gutter={12}>
        <Col xs={24} lg={13}>
          <Card size="small" title={t('intake.title')}>
            <Row gutter={12}>
              <Col xs={24} sm={12}>
                <Form.Item name="source" label={t('intake.source')} rules={[{ required: true }]}>
                  <Select options={CASE_SOURCES.map((s) => ({ value: s, label: label('source', s) }))} />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item name="sourceTicketId" label={t('intake.ticket')} rules={[{ max: 64 }]}>
                  <Input allowClear />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item name="reporterName" label={t('intake.reporterName')} rules={[{ max: 64 }]}>
                  <Input allowClear />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item
                  name="reporterPhone"
                  label={t('intake.reporterPhone')}
                  rules={[{ pattern: PHONE, message: t('intake.phone.invalid') }]}
                >
                  <Input allowClear inputMode="tel" />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name="categoryCode" label={t('intake.category')} rules={[{ required: true }]}>
                  <CategoryPicker />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name="address" label={t('intake.address')} rules={[{ max: 255 }]}>
                  <Input allowClear />
                </Form.Item>
              </Col>
              <Col xs={12} sm={8}>
                <Form.Item name="lng" label={t('intake.lng')}>
                  <InputNumber style={{ width: '100%' }} min={-180} max={180} step={0.0001} precision={6} />
                </Form.Item>
              </Col>
              <Col xs={12} sm={8}>
                <Form.Item
                  name="lat"
                  label={t('intake.lat')}
                  dependencies={['lng']}
                  rules={[
                    ({ getFieldValue }) => ({
                      validator: (_, value) =>
                        (value == null) === (getFieldValue('lng') == null)
                          ? Promise.resolve()
                          : Promise.reject(new Error(`${t('intake.lng')} / ${t('intake.lat')}`)),
                    }),
                  ]}
                >
                  <InputNumber style={{ width: '100%' }} min={-90} max={90} step={0.0001} precision={6} />
                </Form.Item>
              </Col>
              <Col xs={24} sm={8}>
                <Form.Item name="urgency" label={t('intake.urgency')}>
                  <Radio.Group
                    optionType="button"
                    buttonStyle="solid"
                    size="small"
                    options={['normal', 'urgent', 'emergency'].map((u) => ({
                      value: u,
                      label: label('urgency', u),
                    }))}
                  />
                </Form.Item>
              </Col>
              <Col span={24}>
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
                  <Input.TextArea rows={4} showCount maxLength={4000} />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name="majorEmergency" valuePropName="checked" style={{ marginBottom: 8 }}>
                  <Checkbox>{t('intake.major')}</Checkbox>
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item label={t('intake.attachments')}>
                  <PhotoPicker
                    files={files}
                    onChange={setFiles}
                    label={t('intake.attachments.pick')}
                    accept="image/*,application/pdf,video/mp4"
                  />
                </Form.Item>
              </Col>
            </Row>
            <Button type="primary" htmlType="submit" loading={busy} size="large" data-testid="intake-submit">
              {t('intake.submit')}
            </Button>
          </Card>
        </Col>
        <Col xs={24} lg={11}>
          <Space direction="vertical" size={12} style={{ width: '100%' }}>
            <Card
              size="small"
              title={t('intake.map')}
              styles={{ body: { padding: 8 } }}
              extra={
                place ? (
                  <Tag color="blue">{t('intake.located', { place })}</Tag>
                ) : lng != null && located ? (
                  <Tag color="orange">{t('intake.outside')}</Tag>
                ) : null
              }
            >
              <GridMap
                value={lng != null && lat != null ? { lng, lat } : null}
                onPick={(p) => {
                  form.setFieldsValue({ lng: p.lng, lat: p.lat });
                  void form.validateFields(['lat']).catch(() => undefined);
                }}
                height={300}
              />
            </Card>
            <Card size="small" title={t('intake.dupes')} data-testid="duplicates">
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('intake.dupes.hint', {
                  radius: DUPLICATE_RULE.radiusM,
                  hours: DUPLICATE_RULE.windowHours,
                })}
              </Typography.Text>
              {dupes == null ? (
                <div>
                  <Typography.Text type="secondary">{t('intake.dupes.need')}</Typography.Text>
                </div>
              ) : dupes.length === 0 ? (
                <div>
                  <Typography.Text type="success">{t('intake.dupes.none')}</Typography.Text>
                </div>
              ) : (
                <List
                  size="small"
                  dataSource={dupes.slice(0, 8)}
                  renderItem={(c) => (
                    <List.Item
                      extra={<Tag>{t('intake.distance', { m: Math.round(c.distanceM) })}</Tag>}
                      data-testid="duplicate"
                    >
                      <List.Item.Meta
                        title={
                          <Space size={6}>
                            <Link to={`/cases/${c.id}`} target="_blank">
                              {c.caseNo}
                            </Link>
                            <Tag color={STATUS_COLORS[c.status]}>{label('status', c.status)}</Tag>
                          </Space>
                        }
                        description={<Typography.Text ellipsis>{c.description}</Typography.Text>}
                      />
                    </List.Item>
                  )}
                />
              )}
            </Card>
          </Space>
        </Col>
      </Row>
    </Form>
  );
}
