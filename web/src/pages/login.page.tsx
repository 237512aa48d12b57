import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError, errorText } from '../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';

/** The demo database's shared password (db/seed/README.md). */
const DEMO_PASSWORD = 'Gridflow@2026';

/** The demo users to start with (README, "Demo logins"). */
const DEMO_USERS: { username: string; role: string }[] = [
  { username: 'city.dispatcher', role: 'dispatcher' },
  { username: 'zhenzhou.dispatcher', role: 'dispatcher' },
  { username: 'zhenzhou.xupu.handler', role: 'handler' },
  { username: 'zhenzhou.xupu.grid1', role: 'grid_worker' },
  { username: 'city.supervisor', role: 'supervisor' },
  { username: 'dept.chengguan.handler', role: 'handler' },
  { username: 'city.leader', role: 'leader' },
  { username: 'city.auditor', role: 'auditor' },
];

/** Sign-in with the demo hint; goes on to where the user wanted to go. */
export default function LoginPage() {
  const { user, login, expired } = useSession();
  const { t, label, locale, setLocale } = useI18n();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [form] = Form.useForm<{ username: string; password: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const next = params.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  if (user) return <Navigate to={target} replace />;

  const submit = async (v: { username: string; password: string }): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await login(v.username.trim(), v.password);
      void navigate(target, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('login.failed') : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      style={{
        minHeight: '100%',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        background: 'linear-gradient(160deg, #1f4e8c 0%, #2f6fb8 55%, #eef2f7 55%)',
        padding: 16,
      }}
    >
      <Card style={{ width: 420, maxWidth: '100%' }}>
        <Space direction="vertical" size={4} style={{ width: '100%', marginBottom: 16 }}>
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Typography.Title level={4} style={{ margin: 0 }}>
              {t('app.name')}
            </Typography.Title>
            <Button size="small" type="link" onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}>
              {t('lang.switch')}
            </Button>
          </Space>
          <Typography.Text type="secondary">{t('login.subtitle')}</Typography.Text>
        </Space>
        {expired && (
          <Alert type="warning" showIcon message={t('login.expired')} style={{ marginBottom: 12 }} />
        )}
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
        <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} requiredMark={false}>
          <Form.Item name="username" label={t('login.username')} rules={[{ required: true }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
        <div style={{ marginTop: 16 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('login.demo', { password: DEMO_PASSWORD })}
          </Typography.Text>
          <div style={{ marginTop: 6, display: 'flex', flexWrap: 'wrap', gap: 6 }}>
            {DEMO_USERS.map((d) => (
              <Tag
                key={d.username}
                style={{ cursor: 'pointer' }}
                title={t('login.demo.pick')}
                onClick={() => form.setFieldsValue({ username: d.username, password: DEMO_PASSWORD })}
              >
                {d.username} · {label('role', d.role)}
              </Tag>
            ))}
          </div>
        </div>
      </Card>
    </div>
  );
}
