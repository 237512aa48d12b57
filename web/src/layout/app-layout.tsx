import {
  ApartmentOutlined,
  AuditOutlined,
  WarningOutlined,
  CameraOutlined,
  FileAddOutlined,
  GlobalOutlined,
  LogoutOutlined,
  MenuOutlined,
  ProfileOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { Button, Grid, Layout, Menu, Space, Spin, Tag, Typography } from 'antd';
import { Suspense, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { MENU_PATHS, type MenuKey, menuFor } from '../lib/menu.ts';

const ICONS: Record<MenuKey, React.ReactNode> = {
  tasks: <ProfileOutlined />,
  intake: <FileAddOutlined />,
  report: <CameraOutlined />,
  cases: <AuditOutlined />,
  processes: <ApartmentOutlined />,
  incidents: <WarningOutlined />,
};

/** The frame of every signed-in page: the menu the roles allow, who is signed in, language, sign-out. */
export function AppLayout() {
  const { user, logout } = useSession();
  const { t, label, locale, setLocale } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const narrow = !screens.md;
  const [collapsed, setCollapsed] = useState(narrow);
  if (!user) return null;
  const items = menuFor(user.roles).map((k) => ({ key: k, icon: ICONS[k], label: t(`menu.${k}`) }));
  const current = (Object.keys(MENU_PATHS) as MenuKey[]).find((k) =>
    location.pathname.startsWith(MENU_PATHS[k]),
  );
  return (
    <Layout style={{ minHeight: '100%' }}>
      <Layout.Sider
        breakpoint="md"
        collapsedWidth={narrow ? 0 : 56}
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        width={176}
        style={
          narrow
            ? { position: 'fixed', zIndex: 20, height: '100vh' }
            : { position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }
        }
        trigger={narrow ? null : undefined}
      >
        <div
          style={{
            color: '#fff',
            padding: '14px 16px',
            fontWeight: 600,
            whiteSpace: 'nowrap',
            overflow: 'hidden',
          }}
          title={t('app.name')}
        >
          {collapsed ? 'GF' : t('app.short')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={current ? [current] : []}
          items={items}
          onClick={(e) => {
            void navigate(MENU_PATHS[e.key as MenuKey]);
            if (narrow) setCollapsed(true);
          }}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: narrow ? '0 8px' : '0 16px',
            height: 48,
            lineHeight: '48px',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            borderBottom: '1px solid #e8ebf0',
          }}
        >
          <Space size={4} align="center" style={{ lineHeight: 'normal' }}>
            {narrow && (
              <Button
                type="text"
                icon={<MenuOutlined />}
                onClick={() => setCollapsed((c) => !c)}
                aria-label="menu"
                data-testid="menu-toggle"
              />
            )}
            <Typography.Text strong ellipsis style={{ maxWidth: narrow ? 130 : 420 }}>
              {narrow ? t('app.short') : t('app.name')}
            </Typography.Text>
          </Space>
          <Space size={narrow ? 4 : 12} align="center" style={{ lineHeight: 'normal' }}>
            <span data-testid="whoami">
              <UserOutlined /> {user.displayName}
              {!narrow && (
                <>
                  {' '}
                  <Typography.Text type="secondary">· {user.orgUnit.name}</Typography.Text>{' '}
                  {user.roles.map((r) => (
                    <Tag key={r} style={{ marginInlineEnd: 0, marginInlineStart: 4 }}>
                      {label('role', r)}
                    </Tag>
                  ))}
                </>
              )}
            </span>
            <Button
              size="small"
              icon={<GlobalOutlined />}
              onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}
              aria-label={t('lang.label')}
            >
              {t('lang.switch')}
            </Button>
            <Button
              size="small"
              icon={<LogoutOutlined />}
              onClick={() => void logout().then(() => navigate('/login'))}
              aria-label={t('login.logout')}
            >
              {narrow ? null : t('login.logout')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: narrow ? 8 : 12, minWidth: 0 }}>
          <Suspense
            fallback={
              <div style={{ padding: 48, textAlign: 'center' }}>
                <Spin />
              </div>
            }
          >
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
