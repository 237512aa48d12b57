// The browser walk of a case through the web app, in Debian's Chromium against the real server: a hotline call
// filed in 受理登记 and registered and dispatched by the city centre, dispatched on by the town, handled by the
// village station with a photo, verified by the grid worker on a phone-sized screen (who also files a report),
// closed and called back by the city centre, and found 已办结 in 案件查询 with its timeline; after a new
// version of the process is deployed, an auditor replays the case (流程回放) stage by stage on the version it
// ran on. Screenshots of every page go to test-results/e2e/; any console error fails the test.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { CHROMIUM, DESKTOP, FLAGS, PASSWORD, ROOT, SHOTS, startServer, type TestServer } from './harness.ts';

const PHONE = { width: 390, height: 844 };
// 胥浦社区, 真州镇 (the README's walk): the grid of zhenzhou.xupu.grid1.
const POINT = { lng: 119.19292, lat: 32.19534 };
// A 1×1 PNG: what the "camera" sends.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
/** A distinct photo per name (bytes after IEND are ignored by viewers; the server dedupes by SHA-256). */
const photo = (name: string) => ({
  name,
  mimeType: 'image/png',
  buffer: Buffer.concat([PNG, Buffer.from(name)]),
});

/**
 * The page's `globalThis` inside `page.evaluate` (this file is type-checked without the DOM library; the
 * function runs in the browser, so the cast must be inline, not a helper of this file).
 */
type PageGlobal = {
  document: {
    documentElement: { scrollWidth: number };
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  };
};

let server: TestServer;
let browser: Browser;
const consoleErrors: string[] = [];
const timings: Record<string, number> = {};
const openPages: { name: string; page: Page }[] = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});

after(async () => {
  // On a failure, what each user's page showed.
  for (const { name, page } of openPages)
    if (!page.isClosed())
      await page.screenshot({ path: path.join(SHOTS, `failed-${name}.png`) }).catch(() => {});
  await browser?.close();
  await server?.stop();
});

/** A signed-in browser context of one user, with the console watched. */
async function signIn(
  username: string,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    isMobile: viewport === PHONE,
    hasTouch: viewport === PHONE,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  openPages.push({ name: username, page });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // The sign-in check on a signed-out page answers 401 by design (the session cookie is httpOnly).
    if (/status of 401/.test(text) && /\/api\/auth\/me/.test(msg.location().url ?? '')) return;
    consoleErrors.push(`${username}: ${text} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${username}: page error ${err.message}`));
  const started = Date.now();
  await page.goto(`${server.baseUrl}/login`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await page.getByTestId('whoami').waitFor();
  timings[`sign-in ${username}`] = Date.now() - started;
  return { context, page };
}

const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** Opens the user's task for the case from the inbox (refreshing until the workers have created it). */
async function openTask(page: Page, caseNo: string, taskName: string, shotName?: string): Promise<void> {
  await page.goto(`${server.baseUrl}/tasks`);
  const row = page.getByTestId('task-row').filter({ hasText: caseNo }).filter({ hasText: taskName });
  const until = Date.now() + 30_000;
  while (!(await row.count())) {
    assert.ok(Date.now() < until, `no task ${taskName} for ${caseNo} in the inbox`);
    await page.waitForTimeout(500);
    await page.getByRole('button', { name: '刷新' }).click();
  }
  if (shotName) await shot(page, shotName);
  await row
    .first()
    .getByRole('button', { name: /办\s*理/ })
    .click();
  await page.getByTestId('task-title').filter({ hasText: taskName }).waitFor();
  await page.getByTestId('case-panel').waitFor();
  await page.locator('.fjs-form').waitFor();
}

/** Clicks an action button and waits until the task is done (the page leaves it). */
async function act(page: Page, action: string): Promise<void> {
  const url = page.url();
  await page.getByTestId('task-actions').locator(`[data-action="${action}"]`).click();
  await page.waitForURL((u) => u.toString() !== url, { timeout: 15_000 });
}

/** Picks a unit in a task form's org-tree picker (a dispatch target), found by searching its name. */
async function pickOrgUnit(page: Page, label: string, unit: string): Promise<void> {
  const field = page.locator('.gf-org-field').filter({ has: page.locator('label', { hasText: label }) });
  await field.locator('.ant-select').click();
  await page.keyboard.type(unit);
  // The popup re-aligns as the search shrinks its list (above the field, its nodes move down): click the unit
  // once it has stopped moving.
  const node = page.locator('.ant-select-tree-node-content-wrapper', { hasText: unit }).first();
  for (let i = 0, last = ''; i < 30; i++) {
    const box = JSON.stringify(await node.boundingBox());
    if (box === last) break;
    last = box;
    await page.waitForTimeout(100);
  }
  await node.click();
  // The picked unit shows in the picker (antd puts its name in the title of the selection).
  await field.getByTitle(unit, { exact: true }).waitFor();
}

let caseNo = '';
let caseUrl = '';

/** Signs a demo user in over the API (for set-up the walk does not show). */
async function apiSession(username: string): Promise<Record<string, string>> {
  const res = await fetch(`${server.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(res.status, 200, `sign-in of ${username}`);
  const { token } = (await res.json()) as { token: string };
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/** Presses 下一步 until the replay's current step is `kind` on `elementId`. */
async function stepTo(page: Page, kind: string, elementId: string): Promise<void> {
  const element = page.getByTestId('replay-current-element');
  const current = page.getByTestId('replay-current-kind');
  for (let i = 0; i < 400; i++) {
    if (
      (await element.getAttribute('data-element')) === elementId &&
      (await current.getAttribute('data-kind')) === kind
    )
      return;
    const next = page.getByRole('button', { name: '下一步' });
    assert.ok(await next.isEnabled(), `the replay ended before ${kind} ${elementId}`);
    await next.click();
  }
  assert.fail(`no step ${kind} ${elementId}`);
}

/** The replay marker classes on a diagram element (bpmn-js puts its id on the SVG group). */
async function markersOf(page: Page, elementId: string): Promise<string[]> {
  const cls = await page
    .locator(`.gf-bpmn-viewer [data-element-id="${elementId}"]`)
    .first()
    .getAttribute('class');
  return (cls ?? '')
    .split(/\s+/)
    .filter((c) => c.startsWith('replay-'))
    .sort();
}

void test('a hotline case goes from 受理登记 to 已办结 through five users, and an auditor replays it', async () => {
  const t0 = Date.now();

  // The login page, cold.
  {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) consoleErrors.push(`login: ${m.text()}`);
    });
    const started = Date.now();
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('button', { name: /登\s*录/ }).waitFor();
    timings['first page (cold)'] = Date.now() - started;
    await shot(page, '01-login');
    await context.close();
  }

  // 1. The city dispatcher files the hotline call.
  const city = await signIn('city.dispatcher');
  {
    const { page } = city;
    await page.getByRole('menuitem', { name: '受理登记' }).click();
    await page.getByTestId('intake-form').waitFor();
    await page.getByLabel('诉求人').fill('王先生');
    await page.getByLabel('联系电话').fill('13812345678');
    await page.getByTestId('category-picker').click();
    await page.keyboard.type('暴露垃圾');
    await page.locator('.ant-select-tree-node-content-wrapper', { hasText: '暴露垃圾' }).first().click();
    await page.getByLabel('地址').fill('胥浦社区 滨江花园小区北门');
    await page.getByLabel('经度').fill(String(POINT.lng));
    await page.getByLabel('纬度').fill(String(POINT.lat));
    await page.getByLabel('问题描述').fill('小区门口垃圾堆放三天无人清运，气味很大');
    await page.getByTestId('photo-input').setInputFiles(photo('现场.png'));
    await page.getByText('未发现疑似重复案件').waitFor();
    await page.getByText(/所属：真州镇/).waitFor();
    await shot(page, '02-intake');
    await page.getByTestId('intake-submit').click();
    const title = page.locator('.ant-result-title');
    await title.waitFor();
    caseNo = /YZ\d+/.exec((await title.textContent()) ?? '')?.[0] ?? '';
    assert.match(caseNo, /^YZ\d+$/);
    await shot(page, '03-intake-done');

    // 受理立案: claim with the keyboard, open, register with the category the intake set.
    await page.goto(`${server.baseUrl}/tasks`);
    const row = page.getByTestId('task-row').filter({ hasText: caseNo });
    for (let i = 0; i < 60 && !(await row.count()); i++) {
      await page.waitForTimeout(500);
      await page.getByRole('button', { name: '刷新' }).click();
    }
    await row.first().click();
    await page.keyboard.press('c');
    await row.first().getByText('city.dispatcher').waitFor();
    await shot(page, '04-inbox-city');
    await page.keyboard.press('Enter');
    await page.getByTestId('task-title').filter({ hasText: '受理立案' }).waitFor();
    await page.locator('.fjs-form').waitFor();
    await page.getByTestId('case-timeline').waitFor();
    assert.equal(await page.getByTestId('reporter-phone').textContent(), '138****5678');
    await shot(page, '05-task-register');
    await act(page, 'register');

    // 一级分拨 to 真州镇.
    await openTask(page, caseNo, '一级分拨');
    await page.getByText('镇（园区）网格化服务管理中心', { exact: true }).click();
    await pickOrgUnit(page, '分拨单位', '真州镇');
    await shot(page, '06-task-dispatch-city');
    await act(page, 'dispatch');
  }

  // 2. The town dispatcher sends it to the 胥浦社区 station; first without the unit, to see the form refuse.
  const town = await signIn('zhenzhou.dispatcher');
  {
    const { page } = town;
    await openTask(page, caseNo, '二级分拨', '07-inbox-town');
    await page.getByTestId('task-actions').locator('[data-action="dispatch"]').click();
    await page.locator('.fjs-form-field-error').first().waitFor();
    await pickOrgUnit(page, '处置单位', '胥浦社区');
    await shot(page, '08-task-dispatch-town');
    await act(page, 'dispatch');
  }

  // 3. The station handles it, with a photo.
  const station = await signIn('zhenzhou.xupu.handler');
  {
    const { page } = station;
    await openTask(page, caseNo, '处置');
    await page.getByText('处置完成', { exact: true }).click();
    await page.getByLabel('处置结果').fill('已组织保洁人员清运，并通知物业加强巡查');
    await page.locator('input[type=file]').setInputFiles(photo('处置后.png'));
    await page.getByText('处置后.png').waitFor();
    await shot(page, '09-task-handle');
    await act(page, 'complete');
  }

  // 4. The grid worker, on a phone: files a report of their own, then verifies the case on site.
  const worker = await signIn('zhenzhou.xupu.grid1', PHONE);
  {
    const { page, context } = worker;
    await context.grantPermissions(['geolocation'], { origin: server.baseUrl });
    await context.setGeolocation({ longitude: POINT.lng + 0.001, latitude: POINT.lat });
    await page.goto(`${server.baseUrl}/report`);
    await page.getByTestId('report-form').waitFor();
    await page.getByTestId('photo-input').setInputFiles(photo('井盖.png'));
    await page.getByTestId('locate').click();
    await page.getByTestId('position').waitFor();
    await page.getByTestId('category-picker').click();
    await page.keyboard.type('井盖');
    await page.locator('.ant-select-tree-node-content-wrapper', { hasText: '井盖' }).first().click();
    await page.getByLabel('问题描述').fill('人行道井盖松动，已设置警示');
    await shot(page, '10-report-mobile');
    await page.getByTestId('report-submit').click();
    await page.locator('.ant-result-title').waitFor();
    await shot(page, '11-report-done');

    await openTask(page, caseNo, '核查', '12-inbox-mobile');
    await page.getByText('通过（已处置到位）', { exact: true }).click();
    await shot(page, '13-task-verify-mobile');
    await act(page, 'pass');
  }

  // 5. The city centre closes the case and calls the reporter back.
  {
    const { page } = city;
    await openTask(page, caseNo, '结案');
    await page.getByLabel('已符合结案条件').check();
    await shot(page, '14-task-close');
    await act(page, 'close');
    await openTask(page, caseNo, '回访');
    await page.getByText('满意', { exact: true }).click();
    await page.getByLabel('回访记录').fill('诉求人对处置结果表示满意');
    await act(page, 'record');

    // Inbox filters live in the URL: they survive a reload.
    await page.goto(`${server.baseUrl}/tasks`);
    await page.getByText('已超期', { exact: true }).click();
    await page.locator('.ant-segmented-item-label', { hasText: '待签收' }).click();
    await page.waitForURL(/view=groups/);
    assert.match(page.url(), /overdue=1/);
    await page.reload();
    assert.ok(await page.getByRole('checkbox', { name: '已超期' }).isChecked());
    await shot(page, '15-inbox-filtered');

    // 案件查询: the case is 已办结; its page shows the whole timeline; the result exports as CSV.
    await page.getByRole('menuitem', { name: '案件查询' }).click();
    await page.getByPlaceholder('案件编号或描述关键词').fill(caseNo);
    await page.getByRole('button', { name: /查\s*询/ }).click();
    await page.waitForURL(/q=YZ/);
    const status = page.getByTestId('case-status').first();
    const until = Date.now() + 20_000;
    while ((await status.textContent()) !== '已办结') {
      assert.ok(Date.now() < until, `case status is ${await status.textContent()}, not 已办结`);
      await page.waitForTimeout(500);
      await page.reload();
    }
    // At 1280 px every column fits beside the menu: the masked phone number is on screen, not scrolled off.
    const phoneBox = await page.getByRole('cell', { name: '138****5678' }).first().boundingBox();
    assert.ok(phoneBox, 'the phone cell is laid out');
    assert.ok(
      phoneBox.x + phoneBox.width <= DESKTOP.width,
      `the phone cell ends at ${phoneBox.x + phoneBox.width}px`,
    );
    await shot(page, '16-cases');
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const csv = await (await download).createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of csv) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    assert.ok(text.startsWith('\uFEFF案件编号,'), 'CSV starts with the BOM and the header');
    assert.ok(text.includes(caseNo) && text.includes('已办结'));

    await page.getByRole('link', { name: caseNo }).click();
    const timeline = page.getByTestId('case-timeline');
    await timeline.waitFor();
    for (const step of ['受理', '受理立案', '一级分拨', '二级分拨', '处置', '核查', '结案', '回访'])
      await timeline.getByText(step, { exact: true }).first().waitFor();
    await page.getByTestId('case-panel').locator('.ant-image').first().waitFor();
    await shot(page, '17-case');
    caseUrl = page.url();

    // English switch, kept across a reload.
    await page.getByRole('button', { name: '语言' }).click();
    await page.getByText('Timeline').waitFor();
    await page.reload();
    await page.getByText('Timeline').waitFor();
    await shot(page, '18-case-en');
  }

  // 6. A later version of the process is deployed; the auditor replays the closed case on the version it ran on.
  {
    const admin = await apiSession('city.admin');
    const xml = readFileSync(path.join(ROOT, 'processes', 'case-lifecycle.bpmn'), 'utf8').replace(
      '<bpmn:userTask id="close" name="结案">',
      '<bpmn:userTask id="close" name="结案（第二版）">',
    );
    assert.ok(xml.includes('结案（第二版）'));
    const deployed = await fetch(`${server.baseUrl}/api/process-definitions`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ resources: [{ name: 'case-lifecycle.bpmn', content: xml }] }),
    });
    assert.equal(deployed.status, 201, await deployed.text());
  }
  const auditor = await signIn('city.auditor');
  {
    const { page } = auditor;
    const started = Date.now();
    await page.goto(caseUrl);
    await page.getByTestId('open-replay').click();
    await page.waitForURL(/\/cases\/\d+\/replay$/);
    await page.locator('.gf-bpmn-viewer[data-ready="true"]').waitFor();
    timings['replay ready'] = Date.now() - started;
    assert.match((await page.getByTestId('replay-version').textContent()) ?? '', /第 1 版/);
    assert.equal(
      await page.locator('.gf-bpmn-viewer [data-element-id="close"]').first().textContent(),
      '结案',
      'the diagram is the version the case ran on',
    );
    const audit = page.getByTestId('audit-status');
    await audit.waitFor();
    assert.match((await audit.textContent()) ?? '', /审计链校验通过/);
    assert.equal(await page.getByTestId('replay-step').getAttribute('data-step'), '0');
    assert.equal(await page.getByTestId('replay-current-kind').getAttribute('data-kind'), 'started');
    assert.equal(await page.locator('.gf-bpmn-viewer .replay-active').count(), 0);
    await shot(page, '19-replay-start');

    // 受理: done by its worker, the element green.
    await stepTo(page, 'completed', 'accept');
    assert.deepEqual(await markersOf(page, 'accept'), ['replay-completed', 'replay-current']);
    // 受理立案 reached: active, offered to the city centre, the way there marked.
    await stepTo(page, 'activated', 'register');
    assert.ok((await markersOf(page, 'register')).includes('replay-active'));
    assert.ok((await markersOf(page, 'flow-not-self-handled')).includes('replay-flow'));
    assert.deepEqual(await markersOf(page, 'flow-duplicate'), [], 'the branch not taken stays plain');
    // 立案 by the city dispatcher, with the variables of that moment.
    await stepTo(page, 'completed', 'register');
    assert.equal(await page.getByTestId('replay-current-actor').textContent(), 'city.dispatcher');
    assert.match(
      (await page.getByTestId('replay-variables').locator('tr[data-variable="lastAction"]').textContent()) ??
        '',
      /register/,
    );
    await shot(page, '20-replay-registered');
    await stepTo(page, 'completed', 'dispatch-town');
    assert.equal(await page.getByTestId('replay-current-actor').textContent(), 'zhenzhou.dispatcher');
    await stepTo(page, 'completed', 'handle');
    assert.equal(await page.getByTestId('replay-current-actor').textContent(), 'zhenzhou.xupu.handler');
    await stepTo(page, 'completed', 'verify');
    assert.equal(await page.getByTestId('replay-current-actor').textContent(), 'zhenzhou.xupu.grid1');
    assert.match(
      (await page.getByTestId('replay-variables').locator('tr[data-variable="lastAction"]').textContent()) ??
        '',
      /pass/,
    );
    await stepTo(page, 'completed', 'close');
    assert.ok((await markersOf(page, 'close')).includes('replay-completed'));
    // Then 回访 is reached: the flow out of 结案 and 需回访？ were taken.
    await stepTo(page, 'activated', 'callback');
    assert.ok((await markersOf(page, 'flow-closed-task')).includes('replay-flow'));
    assert.ok((await markersOf(page, 'needs-callback')).includes('replay-completed'));
    await shot(page, '21-replay-callback');

    // The end: the end event completed, nothing active.
    await page.getByRole('button', { name: '最后一步' }).click();
    assert.equal(await page.getByTestId('replay-current-kind').getAttribute('data-kind'), 'ended');
    assert.ok((await markersOf(page, 'case-closed')).includes('replay-completed'));
    assert.equal(await page.locator('.gf-bpmn-viewer .replay-active').count(), 0);
    const scrollWidth = await page.evaluate(
      () => (globalThis as unknown as PageGlobal).document.documentElement.scrollWidth,
    );
    assert.ok(scrollWidth <= DESKTOP.width, `no horizontal scrolling at 1280×800 (${scrollWidth})`);
    await shot(page, '22-replay-end');

    // Play from the start, then pause.
    await page.getByRole('button', { name: '第一步' }).click();
    await page.getByTestId('replay-play').click();
    await page.waitForFunction(
      () =>
        Number(
          (globalThis as unknown as PageGlobal).document
            .querySelector('[data-testid="replay-step"]')
            ?.getAttribute('data-step'),
        ) >= 2,
    );
    await page.getByTestId('replay-play').click();
    const paused = await page.getByTestId('replay-step').getAttribute('data-step');
    await page.waitForTimeout(1500);
    assert.equal(await page.getByTestId('replay-step').getAttribute('data-step'), paused, 'paused');

    // The audit records, each with its hash.
    await page.getByRole('tab', { name: '审计记录' }).click();
    await page.getByTestId('replay-audit').locator('tbody tr').first().waitFor();
    // An engine record holds one command's events (ADR 0007): opened, it lists them by intent and element.
    await page
      .getByTestId('replay-audit')
      .locator('button.ant-table-row-expand-icon-collapsed')
      .first()
      .click();
    const events = page.getByTestId('replay-audit-events').first();
    await events.waitFor();
    assert.match((await events.textContent()) ?? '', /流程启动/);
    assert.match((await events.textContent()) ?? '', /创建作业\s*受理/);
    await shot(page, '23-replay-audit');
  }

  for (const s of [city, town, station, worker, auditor]) await s.context.close();
  timings.total = Date.now() - t0;
  console.log(`e2e (${server.mode}): ${JSON.stringify(timings)}`);
  assert.deepEqual(consoleErrors, [], 'no console errors');
});
