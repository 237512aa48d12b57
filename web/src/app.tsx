import { App as AntApp, ConfigProvider, Spin, theme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { lazy, Suspense, useEffect } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from './auth/session.tsx';
import { useI18n } from './i18n/i18n.tsx';
import { AppLayout } from './layout/app-layout.tsx';
import { MENU_PATHS, type MenuKey, homeFor, menuFor } from './lib/menu.ts';

// Every page is its own chunk: the first paint loads the shell and the page it needs. The login page is
// fetched at once, alongside the session check, since a signed-out visitor needs it first.
const loginChunk = import('./pages/login.page.tsx');
const LoginPage = lazy(() => loginChunk);
const InboxPage = lazy(() => import('./pages/inbox.page.tsx'));
const TaskPage = lazy(() => import('./pages/task.page.tsx'));
const IntakePage = lazy(() => import('./pages/intake.page.tsx'));
const ReportPage = lazy(() => import('./pages/report.page.tsx'));
const CasesPage = lazy(() => import('./pages/cases.page.tsx'));
const CasePage = lazy(() => import('./pages/case.page.tsx'));
const ReplayPage = lazy(() => import('./pages/replay.page.tsx'));
const ProcessesPage = lazy(() => import('./pages/processes.page.tsx'));
const IncidentsPage = lazy(() => import('./pages/incidents.page.tsx'));
const NotFoundPage = lazy(() => import('./pages/not-found.page.tsx'));

const pageFallback = (
  <div style={{ padding: 48, textAlign: 'center' }}>
    <Spin />
  </div>
);

/** Routes a signed-out visitor to the login page, keeping where they wanted to go. */
function RequireUser({ children }: { children: React.ReactNode }) {
  const { user } = useSession();
  const location = useLocation();
  if (!user)
    return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return children;
}

/** Shows the page only to roles the menu offers it to. */
function RequireMenu({ page, children }: { page: MenuKey; children: React.ReactNode }) {
  const { user } = useSession();
  if (user && !menuFor(user.roles).includes(page)) return <NotFoundPage />;
  return children;
}

function Home() {
  const { user } = useSession();
  const home = user ? homeFor(user.roles) : null;
  return <Navigate to={home ? MENU_PATHS[home] : '/cases'} replace />;
}

/** The application: antd configured for the language, the session gate, the pages. */
export function App() {
  const { locale } = useI18n();
  const { loading } = useSession();
  useEffect(() => {
    dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
    document.documentElement.lang = locale;
  }, [locale]);
  return (
    <ConfigProvider
      locale={locale === 'zh-CN' ? zhCN : enUS}
      theme={{
        algorithm: theme.defaultAlgorithm,
        token: { colorPrimary: '#1f4e8c', borderRadius: 4, fontSize: 13 },
        components: { Table: { cellPaddingBlockSM: 5 } },
      }}
    >
      <AntApp>
        {loading ? (
          pageFallback
        ) : (
          <Suspense fallback={pageFallback}>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                element={
                  <RequireUser>
                    <AppLayout />
                  </RequireUser>
                }
              >
                <Route index element={<Home />} />
                <Route
                  path="tasks"
                  element={
                    <RequireMenu page="tasks">
                      <InboxPage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="tasks/:key"
                  element={
                    <RequireMenu page="tasks">
                      <TaskPage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="intake"
                  element={
                    <RequireMenu page="intake">
                      <IntakePage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="report"
                  element={
                    <RequireMenu page="report">
                      <ReportPage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="cases"
                  element={
                    <RequireMenu page="cases">
                      <CasesPage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="cases/:id"
                  element={
                    <RequireMenu page="cases">
                      <CasePage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="cases/:id/replay"
                  element={
                    <RequireMenu page="cases">
                      <ReplayPage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="processes/*"
                  element={
                    <RequireMenu page="processes">
                      <ProcessesPage />
                    </RequireMenu>
                  }
                />
                <Route
                  path="incidents"
                  element={
                    <RequireMenu page="incidents">
                      <IncidentsPage />
                    </RequireMenu>
                  }
                />
                <Route path="*" element={<NotFoundPage />} />
              </Route>
            </Routes>
          </Suspense>
        )}
      </AntApp>
    </ConfigProvider>
  );
}
