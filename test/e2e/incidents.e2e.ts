// 异常 in the browser, in Debian's Chromium against the real server: a small process deployed over the API
// starts by its timer and stops at a gateway none of whose conditions hold — a real incident. The auditor
// sees it read-only; the administrator opens it on the diagram (the gateway marked), sets the variable the
// condition reads, and retries it; the instance completes. The inbox's action column is checked at 1280×800 on
// the way. Screenshots go to test-results/e2e/; any console error fails the test.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { CHROMIUM, DESKTOP, FLAGS, PASSWORD, SHOTS, startServer, type TestServer } from './harness.ts';

/** Started by its timer a second after the deploy; its gateway only knows route "a" and has no default. */
const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_e2e_incident" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">
  <bpmn:process id="e2e-incident" name="异常演示" isExecutable="true">
    <bpmn:startEvent id="tick" name="部署后一秒">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition id="tick_def"><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R1/PT1S</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:exclusiveGateway id="route" name="按路由分支">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>fa</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="done" name="完成">
      <bpmn:incoming>fa</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="route" />
    <bpmn:sequenceFlow id="fa" name="route = a" sourceRef="route" targetRef="done">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=route = "a"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="e2e-incident_diagram">
    <bpmndi:BPMNPlane id="e2e-incident_plane" bpmnElement="e2e-incident">
      <bpmndi:BPMNShape id="tick_di" bpmnElement="tick"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="route_di" bpmnElement="route" isMarkerVisible="true"><dc:Bounds x="255" y="95" width="50" height="50" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="done_di" bpmnElement="done"><dc:Bounds x="402" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="188" y="120" /><di:waypoint x="255" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="fa_di" bpmnElement="fa"><di:waypoint x="305" y="120" /><di:waypoint x="402" y="120" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;

let server: TestServer;
let browser: Browser;
const consoleErrors: string[] = [];
const openPages: { name: string; page: Page }[] = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});

after(async () => {
  for (const { name, page } of openPages)
    if (!page.isClosed())
      await page.screenshot({ path: path.join(SHOTS, `failed-incidents-${name}.png`) }).catch(() => {});
  await browser?.close();
  await server?.stop();
});

/** Calls the API as a user (a bearer token from the sign-in), JSON in and out. */
async function apiAs(
  username: string,
): Promise<(method: string, url: string, body?: unknown) => Promise<{ status: number; body: unknown }>> {
  const login = await fetch(`${server.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(login.status, 200, `sign-in of ${username}`);
  const { token } = (await login.json()) as { token: string };
  return async (method, url, body) => {
    const res = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
}

/** A signed-in browser context of one user at 1280×800, with the console watched. */
async function signIn(username: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
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
  await page.goto(`${server.baseUrl}/login`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await page.getByTestId('whoami').waitFor();
  return { context, page };
}

const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

void test('an incident is seen by the auditor and fixed and retried by the administrator', async () => {
  // Given the process deployed by the administrator, and its instance stopped at the gateway.
  const admin = await apiAs('city.admin');
  const deployed = await admin('POST', '/api/process-definitions', {
    resources: [{ name: 'e2e-incident.bpmn', content: PROCESS }],
  });
  assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
  type Listed = { incidentKey: string; processInstanceKey: string; bpmnProcessId: string; errorType: string };
  let incident: Listed | undefined;
  for (const until = Date.now() + 20_000; !incident;) {
    assert.ok(Date.now() < until, 'the timer started no instance, or it raised no incident');
    await new Promise((r) => setTimeout(r, 300));
    const listed = await admin('GET', '/api/incidents');
    incident = (listed.body as { items: Listed[] }).items.find((i) => i.bpmnProcessId === 'e2e-incident');
  }
  assert.equal(incident.errorType, 'CONDITION_ERROR');

  // The auditor reads it: the list names the step and the error; the drawer has no editor, retry is off.
  {
    const { page, context } = await signIn('city.auditor');
    await page.getByRole('menuitem', { name: '异常' }).click();
    const row = page.getByTestId('incident-row').filter({ hasText: '按路由分支' });
    await row.waitFor();
    await row.getByText('网关条件无出路').waitFor();
    await page.getByText('只读：修改变量和重试仅限系统管理员').first().waitFor();
    await shot(page, 'incidents-01-auditor');
    await row.getByRole('button', { name: /查\s*看/ }).click();
    await page.getByTestId('incident-detail').waitFor();
    await page.locator('.gf-incident').first().waitFor();
    assert.equal(await page.getByTestId('var-editor').count(), 0);
    assert.ok(await page.getByTestId('retry').isDisabled());
    await context.close();
  }

  // The administrator opens it on the diagram, sets route = "a" and retries; the instance completes.
  {
    const { page, context } = await signIn('city.admin');
    await page.getByRole('menuitem', { name: '异常' }).click();
    const row = page.getByTestId('incident-row').filter({ hasText: '按路由分支' });
    await row.waitFor();
    await shot(page, 'incidents-02-list');
    await row.getByRole('button', { name: /查\s*看/ }).click();
    await page.waitForURL(new RegExp(`incident=${incident.incidentKey}`));
    const detail = page.getByTestId('incident-detail');
    await detail.waitFor();
    // The gateway is marked on the diagram, with its badge.
    const marked = page.locator('[data-element-id="route"].gf-incident');
    await marked.waitFor();
    await page.locator('.gf-incident-badge').first().waitFor();
    await detail.getByTestId('instance-state').filter({ hasText: '运行中' }).waitFor();
    await shot(page, 'incidents-03-drawer');

    const editor = page.getByTestId('var-editor');
    await editor.getByLabel('变量名').fill('route');
    await editor.getByLabel('值（JSON）').fill('a');
    await editor.getByText('不是有效的 JSON').waitFor();
    await editor.getByLabel('值（JSON）').fill('"a"');
    await editor.getByRole('button', { name: /保\s*存/ }).click();
    await page.getByText('已设置变量 route').waitFor();
    await page.getByTestId('incident-variables').getByText('"a"').waitFor();
    await page.getByTestId('retry').click();
    await page.getByText('已重试，流程继续运行').waitFor();
    await detail.getByTestId('instance-state').filter({ hasText: '已完成' }).waitFor();
    await page.locator('[data-element-id="route"].gf-incident-resolved').waitFor();
    await shot(page, 'incidents-04-retried');

    // The list of open incidents no longer has it; the resolved ones do.
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => !u.searchParams.has('incident'));
    assert.equal(await row.count(), 0);
    await page.locator('.ant-segmented-item-label', { hasText: '已解决' }).click();
    await page.getByTestId('incident-row').filter({ hasText: '按路由分支' }).waitFor();

    const after = await admin('GET', `/api/process-instances/${incident.processInstanceKey}`);
    assert.equal((after.body as { processInstance: { state: string } }).processInstance.state, 'COMPLETED');
    await context.close();
  }

  // On the way: the inbox's action column stays on screen at 1280×800.
  {
    const dispatcher = await apiAs('city.dispatcher');
    const filed = await dispatcher('POST', '/api/cases', {
      source: 'hotline_12345',
      reporterName: '李女士',
      reporterPhone: '13912345678',
      description: '路灯夜间不亮，行人通行不便',
    });
    assert.ok(filed.status === 201 || filed.status === 200, JSON.stringify(filed.body));
    const caseNo = (filed.body as { case: { caseNo: string } }).case.caseNo;
    const { page, context } = await signIn('city.dispatcher');
    await page.goto(`${server.baseUrl}/tasks`);
    const row = page.getByTestId('task-row').filter({ hasText: caseNo });
    for (const until = Date.now() + 20_000; !(await row.count());) {
      assert.ok(Date.now() < until, `no task for ${caseNo} in the inbox`);
      await page.waitForTimeout(500);
      await page.getByRole('button', { name: '刷新' }).click();
    }
    const claim = row.first().getByRole('button', { name: /签\s*收/ });
    await claim.waitFor();
    const box = await claim.boundingBox();
    assert.ok(box, 'the claim button is laid out');
    assert.ok(box.x + box.width <= DESKTOP.width, `the claim button ends at ${box.x + box.width}px`);
    const open = row.first().getByRole('button', { name: /办\s*理/ });
    const openBox = await open.boundingBox();
    assert.ok(openBox && openBox.x + openBox.width <= DESKTOP.width, 'the open button is on screen');
    await shot(page, 'inbox-1280');
    await context.close();
  }

  assert.deepEqual(consoleErrors, [], 'no console errors');
});
