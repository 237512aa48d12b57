// Pure: which pages a user's roles open (test/web/menu.test.ts). The server still checks every call; this only
// keeps the menu to what the user can use.

/** The pages, in menu order. */
export const MENU_KEYS = ['tasks', 'intake', 'report', 'cases', 'processes', 'incidents'] as const;
/** One page of the menu. */
export type MenuKey = (typeof MENU_KEYS)[number];

/** The path of each page. */
export const MENU_PATHS: Record<MenuKey, string> = {
  tasks: '/tasks',
  intake: '/intake',
  report: '/report',
  cases: '/cases',
  processes: '/processes',
  incidents: '/incidents',
};

/** Roles that are offered user tasks by the case lifecycle (docs/case-lifecycle.md, candidate groups). */
const TASK_ROLES = ['dispatcher', 'handler', 'grid_worker', 'supervisor'];

const ALLOWED: Record<MenuKey, (roles: readonly string[]) => boolean> = {
  tasks: (roles) => roles.some((r) => TASK_ROLES.includes(r)),
  intake: (roles) => roles.includes('dispatcher'),
  report: (roles) => roles.includes('grid_worker'),
  cases: (roles) => roles.length > 0,
  // 流程管理: administrators edit and deploy; auditors read the diagrams and versions.
  processes: (roles) => roles.includes('admin') || roles.includes('auditor'),
  // 异常: administrators retry; auditors read.
  incidents: (roles) => roles.includes('admin') || roles.includes('auditor'),
};

/** The menu entries the roles allow, in menu order. */
export function menuFor(roles: readonly string[]): MenuKey[] {
  return MENU_KEYS.filter((k) => ALLOWED[k](roles));
}

/** The page a user lands on after signing in: the task inbox when they have tasks, else the first entry. */
export function homeFor(roles: readonly string[]): MenuKey | null {
  return menuFor(roles)[0] ?? null;
}

/** True when the user should get the phone layout by default (grid workers work in the street). */
export function prefersMobile(roles: readonly string[]): boolean {
  return roles.length > 0 && roles.every((r) => r === 'grid_worker');
}
