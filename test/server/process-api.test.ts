import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { QueryTypes } from 'sequelize';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';

// Process administration over HTTP: definitions and their XML, lint and deploy, forms, incidents and their
// retry, on the seeded demo world with the real engine and the deployed case lifecycle.

const CASE_LIFECYCLE = readFileSync(
  path.join(import.meta.dirname, '..', '..', 'processes', 'case-lifecycle.bpmn'),
  'utf8',
);

interface Definition {
  key: string;
  bpmnProcessId: string;
  name: string | null;
  version: number;
  deployedAt: string;
  resourceName: string;
}

interface Deployment {
  deploymentKey: string;
  created: boolean;
  processes: (Definition & { created: boolean })[];
  forms: { key: string; formId: string; version: number; created: boolean }[];
}

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string; elementId?: string; rule?: string }[];
}

interface IncidentView {
  incidentKey: string;
  processInstanceKey: string;
  elementId: string;
  elementInstanceKey: string;
  jobKey: string | null;
  errorType: string;
  errorMessage: string;
  state: string;
  caseId: number | null;
  caseNo: string | null;
}

async function api<T>(
  w: CaseWorld,
  headers: Record<string, string>,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; type: string; body: T }> {
  const base = await w.serve();
  const raw = typeof body === 'string';
  const res = await fetch(`${base}${url}`, {
    method,
    headers: raw ? { ...headers, 'content-type': 'application/xml' } : headers,
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  return { status: res.status, type, body: (type.includes('json') && text ? JSON.parse(text) : text) as T };
}

/** A small process: a service task nobody serves, then a gateway that only knows route "a" (no default). */
function routingProcess(name = 'Routing'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_papi" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">
  <bpmn:process id="papi-routing" name="${name}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="work" name="Work">
      <bpmn:extensionElements><zeebe:taskDefinition type="papi-work" retries="3" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:exclusiveGateway id="route" name="Route?"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end-a"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="route" />
    <bpmn:sequenceFlow id="f3" sourceRef="route" targetRef="end-a">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">=route = "a"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
`;
}

/** All versions of every process, as the admin sees them. */
async function allDefinitions(w: CaseWorld, h: Record<string, string>): Promise<string[]> {
  const res = await api<{ items: Definition[] }>(w, h, 'GET', '/api/process-definitions?all=true');
  return res.body.items.map((d) => `${d.bpmnProcessId}:${d.version}:${d.key}`);
}

test('lists the deployed case lifecycle to the centre and serves its XML unchanged, to nobody else', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const admin = await w.signIn('city.admin');

  // when the admin lists the definitions
  const list = await api<{ items: Definition[] }>(w, admin, 'GET', '/api/process-definitions');

  // then the case lifecycle is there in version 1, and its metadata and XML come back by key
  t.is(list.status, 200);
  const lifecycle = list.body.items.find((d) => d.bpmnProcessId === 'case-lifecycle');
  t.like(lifecycle, { version: 1, name: '案件处置流程', resourceName: 'case-lifecycle.bpmn' });
  t.regex(lifecycle!.key, /^\d+$/);
  const meta = await api<Definition>(w, admin, 'GET', `/api/process-definitions/${lifecycle!.key}`);
  t.deepEqual(meta.body, lifecycle);
  const auditor = await w.signIn('city.auditor');
  const xml = await api<string>(w, auditor, 'GET', `/api/process-definitions/${lifecycle!.key}/xml`);
  t.is(xml.status, 200);
  t.regex(xml.type, /^application\/xml/);
  t.is(xml.body, CASE_LIFECYCLE);

  // and a key that is no key is a 400 naming the parameter, an unknown one a 404
  const bad = await api<Problem>(w, admin, 'GET', '/api/process-definitions/12ab');
  t.is(bad.status, 400);
  t.is(bad.body.errors?.[0].field, 'params.key');
  const unknown = await api<Problem>(w, admin, 'GET', '/api/process-definitions/999999999/xml');
  t.is(unknown.status, 404);
  t.is(unknown.body.code, 'PROCESS_DEFINITION_NOT_FOUND');

  // and the city centre's dispatcher and a leader may read the list; a handler and a town dispatcher may not
  for (const user of ['city.dispatcher', 'city.supervisor', 'city.leader']) {
    const res = await api(w, await w.signIn(user), 'GET', '/api/process-definitions');
    t.is(res.status, 200, user);
  }
  for (const user of ['dept.chengguan.handler', 'zhenzhou.dispatcher']) {
    const res = await api<Problem>(
      w,
      await w.signIn(user),
      'GET',
      `/api/process-definitions/${lifecycle!.key}`,
    );
    t.is(res.status, 403, user);
  }
});

test('serves task forms by id and by key to any signed-in user', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const handler = await w.signIn('dept.chengguan.handler');

  const byId = await api<{ key: string; formId: string; version: number; schema: { id: string } }>(
    w,
    handler,
    'GET',
    '/api/forms/handle',
  );
  t.is(byId.status, 200);
  t.like(byId.body, { formId: 'handle', version: 1, schema: { id: 'handle' } });
  const byKey = await api(w, handler, 'GET', `/api/forms/key/${byId.body.key}`);
  t.deepEqual(byKey.body, byId.body);

  t.is((await api(w, handler, 'GET', '/api/forms/no-such-form')).status, 404);
  t.is((await api(w, handler, 'GET', '/api/forms/key/x1')).status, 400);
  t.is((await api(w, {}, 'GET', '/api/forms/handle')).status, 401);
});

test('refuses broken diagrams with the element and rule, and deploys nothing', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const admin = await w.signIn('city.admin');
  const before = await allDefinitions(w, admin);
  const noTaskType = routingProcess().replace(
    '<bpmn:extensionElements><zeebe:taskDefinition type="papi-work" retries="3" /></bpmn:extensionElements>',
    '',
  );
  const flowToNowhere = routingProcess().replace('targetRef="end-a"', 'targetRef="nowhere"');

  // given a dispatcher and a handler, neither may lint nor deploy
  for (const user of ['city.dispatcher', 'dept.chengguan.handler']) {
    const h = await w.signIn(user);
    const resources = [{ name: 'routing.bpmn', content: routingProcess() }];
    t.is((await api(w, h, 'POST', '/api/process-definitions/lint', { resources })).status, 403, user);
    t.is((await api(w, h, 'POST', '/api/process-definitions', { resources })).status, 403, user);
  }

  // when the admin lints a service task without a task type, it is a finding on that element (200: a check)
  const lint = await api<{
    findings: { resource: string; elementId: string; rule: string; category: string }[];
  }>(w, admin, 'POST', '/api/process-definitions/lint', {
    resources: [{ name: 'routing.bpmn', content: noTaskType }],
  });
  t.is(lint.status, 200);
  const finding = lint.body.findings.find((f) => f.elementId === 'work' && f.category === 'error');
  t.truthy(finding, JSON.stringify(lint.body.findings));
  t.is(finding?.resource, 'routing.bpmn');

  // and deploying it, a flow to nowhere, or malformed XML (raw body) is a 422 naming the element and rule
  const deploy = await api<Problem>(w, admin, 'POST', '/api/process-definitions', {
    resources: [{ name: 'routing.bpmn', content: noTaskType }],
  });
  t.is(deploy.status, 422);
  t.is(deploy.body.code, 'DEPLOY_REJECTED');
  t.true(
    deploy.body.errors!.some(
      (e) => e.elementId === 'work' && e.field === 'routing.bpmn#work' && e.rule === finding?.rule,
    ),
    JSON.stringify(deploy.body.errors),
  );
  const nowhere = await api<Problem>(w, admin, 'POST', '/api/process-definitions', {
    resources: [{ name: 'routing.bpmn', content: flowToNowhere }],
  });
  t.is(nowhere.status, 422);
  t.true(
    nowhere.body.errors!.some((e) => e.elementId === 'f3' && e.rule),
    JSON.stringify(nowhere.body.errors),
  );
  const malformed = await api<Problem>(
    w,
    admin,
    'POST',
    '/api/process-definitions?name=routing.bpmn',
    routingProcess().replace('</bpmn:process>', ''),
  );
  t.is(malformed.status, 422);
  t.is(malformed.body.errors?.[0].rule, 'xml');
  const malformedLint = await api<{ findings: { rule: string; category: string }[] }>(
    w,
    admin,
    'POST',
    '/api/process-definitions/lint?name=routing.bpmn',
    '<bpmn:definitions',
  );
  t.is(malformedLint.status, 200);
  t.like(malformedLint.body.findings[0], { rule: 'xml', category: 'error' });

  // and a broken form, a body of another type, or no resources are 4xx before the engine sees them
  const badForm = await api<Problem>(w, admin, 'POST', '/api/process-definitions', {
    resources: [{ name: 'x.form', content: '{"components":[]}' }],
  });
  t.is(badForm.status, 400);
  t.is(badForm.body.errors?.[0].field, 'body.resources.0.content');
  const base = await w.serve();
  const plain = await fetch(`${base}/api/process-definitions`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'text/plain' },
    body: routingProcess(),
  });
  t.is(plain.status, 415);
  t.is((await api(w, admin, 'POST', '/api/process-definitions', { resources: [] })).status, 400);

  // then nothing was deployed
  t.deepEqual(await allDefinitions(w, admin), before);
});

test('a stage header that names no known stage is refused at deploy and shown by the check, naming the element', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const admin = await w.signIn('city.admin');
  const before = await allDefinitions(w, admin);
  // given the case lifecycle with a typo in the stage 核查's pass enters, another in the stage a route to a
  // department enters, and the joint handling's 记录处置 without its stage
  const typo = CASE_LIFECYCLE.replace(
    '<zeebe:header key="stage.pass" value="verified" />',
    '<zeebe:header key="stage.pass" value="verifed" />',
  )
    .replace(
      '<zeebe:header key="stage.department" value="handling" />',
      '<zeebe:header key="stage.department" value="handled-over" />',
    )
    .replace('<zeebe:header key="stage" value="handling" />', '<zeebe:header key="stage" value="" />');
  t.not(typo, CASE_LIFECYCLE);
  const resources = [{ name: 'case-lifecycle.bpmn', content: typo }];

  // when the admin checks it, both are errors of the rule, on their elements
  const lint = await api<{
    findings: { resource: string; elementId: string; rule: string; category: string }[];
  }>(w, admin, 'POST', '/api/process-definitions/lint', { resources });
  t.is(lint.status, 200);
  const own = lint.body.findings.filter((f) => f.rule === 'gridflow/stage-header');
  t.deepEqual(own.map((f) => [f.resource, f.elementId, f.category]).sort(), [
    ['case-lifecycle.bpmn', 'route', 'error'],
    ['case-lifecycle.bpmn', 'stage-handling-joint', 'error'],
    ['case-lifecycle.bpmn', 'verify', 'error'],
  ]);

  // and deploying it is a 422 naming them, and nothing is deployed
  const deploy = await api<Problem>(w, admin, 'POST', '/api/process-definitions', { resources });
  t.is(deploy.status, 422);
  t.is(deploy.body.code, 'DEPLOY_REJECTED');
  t.deepEqual(deploy.body.errors!.map((e) => e.field).sort(), [
    'case-lifecycle.bpmn#route',
    'case-lifecycle.bpmn#stage-handling-joint',
    'case-lifecycle.bpmn#verify',
  ]);
  t.regex(deploy.body.errors!.find((e) => e.elementId === 'verify')!.message, /stage\.pass.*"verifed"/);
  t.deepEqual(await allDefinitions(w, admin), before);

  // then the shipped diagram has no such finding
  const shipped = await api<{ findings: { rule: string }[] }>(
    w,
    admin,
    'POST',
    '/api/process-definitions/lint',
    {
      resources: [{ name: 'case-lifecycle.bpmn', content: CASE_LIFECYCLE }],
    },
  );
  t.false(shipped.body.findings.some((f) => f.rule === 'gridflow/stage-header'));
});

test('deploys a changed diagram as a new version and identical content as the version it already is', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const admin = await w.signIn('city.admin');
  const changed = CASE_LIFECYCLE.replace('name="案件处置流程"', 'name="案件处置流程（修订）"');
  t.not(changed, CASE_LIFECYCLE);

  // when the admin deploys the changed case lifecycle with a new form
  const form = JSON.stringify({ id: 'papi-note', type: 'default', components: [] });
  const first = await api<Deployment>(w, admin, 'POST', '/api/process-definitions', {
    resources: [
      { name: 'case-lifecycle.bpmn', content: changed },
      { name: 'papi-note.form', content: form },
    ],
  });

  // then it is version 2, created, and the form version 1
  t.is(first.status, 201, JSON.stringify(first.body));
  t.true(first.body.created);
  t.like(first.body.processes[0], { bpmnProcessId: 'case-lifecycle', version: 2, created: true });
  t.like(first.body.forms[0], { formId: 'papi-note', version: 1, created: true });

  // when the same content is deployed again (JSON), and the diagram once more as a raw XML body
  const again = await api<Deployment>(w, admin, 'POST', '/api/process-definitions', {
    resources: [
      { name: 'case-lifecycle.bpmn', content: changed },
      { name: 'papi-note.form', content: form },
    ],
  });
  const raw = await api<Deployment>(
    w,
    admin,
    'POST',
    '/api/process-definitions?name=case-lifecycle.bpmn',
    changed,
  );

  // then both answer with the existing versions, not created
  for (const res of [again, raw]) {
    t.is(res.status, 200);
    t.false(res.body.created);
    t.like(res.body.processes[0], { key: first.body.processes[0].key, version: 2, created: false });
  }
  t.like(again.body.forms[0], { key: first.body.forms[0].key, version: 1, created: false });

  // and the versions list newest first; the default list shows only the latest
  const versions = await api<{ items: Definition[] }>(
    w,
    admin,
    'GET',
    '/api/process-definitions?bpmnProcessId=case-lifecycle',
  );
  t.deepEqual(
    versions.body.items.map((d) => [d.version, d.name]),
    [
      [2, '案件处置流程（修订）'],
      [1, '案件处置流程'],
    ],
  );
  const latest = await api<{ items: Definition[] }>(w, admin, 'GET', '/api/process-definitions');
  t.deepEqual(
    latest.body.items.filter((d) => d.bpmnProcessId === 'case-lifecycle').map((d) => d.version),
    [2],
  );

  // and the audit log records the one deploy that created something, by the admin
  const audits = await w.db.sequelize.query<{ actor: string; entity_id: string; payload: string }>(
    "SELECT actor, entity_id, payload FROM audit_log WHERE action = 'process.deployed'",
    { type: QueryTypes.SELECT },
  );
  t.is(audits.length, 1);
  t.is(audits[0].actor, 'city.admin');
  t.is(audits[0].entity_id, first.body.deploymentKey);
  t.like(JSON.parse(audits[0].payload), { processes: [{ bpmnProcessId: 'case-lifecycle', version: 2 }] });
});

test('an incident from a real failure is listed with its case, retried by the admin, and the instance goes on', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const admin = await w.signIn('city.admin');
  const auditor = await w.signIn('city.auditor');

  // given the routing process deployed over the API, and an instance of it that runs a case
  const deployed = await api<Deployment>(w, admin, 'POST', '/api/process-definitions', {
    resources: [{ name: 'routing.bpmn', content: routingProcess() }],
  });
  t.is(deployed.status, 201);
  let caseRow = { id: 0, caseNo: '' };
  const instance = await w.engine.createProcessInstance({
    bpmnProcessId: 'papi-routing',
    within: async ({ transaction, processInstanceKey }) => {
      const row = await w.models.Case.create(
        {
          caseNo: `PAPI${processInstanceKey.slice(-8)}`,
          source: 'web',
          description: '测试用案件',
          status: 'new',
          processInstanceKey,
        },
        { transaction },
      );
      caseRow = { id: row.get('id') as number, caseNo: row.get('caseNo') as string };
    },
  });
  const key = instance.processInstanceKey;

  // when its job fails with no retries left
  const [job] = await w.engine.activateJobs({
    type: 'papi-work',
    worker: 'papi-test',
    maxJobsToActivate: 1,
    timeout: 60_000,
  });
  await w.engine.failJob({ jobKey: job.key, retries: 0, errorMessage: 'the gateway is down' });

  // then the auditor sees the incident with its element, type, message and case
  const listed = await api<{ items: IncidentView[] }>(w, auditor, 'GET', '/api/incidents');
  t.is(listed.status, 200);
  const incident = listed.body.items.find((i) => i.processInstanceKey === key);
  t.like(incident, {
    elementId: 'work',
    errorType: 'JOB_NO_RETRIES',
    errorMessage: 'the gateway is down',
    jobKey: job.key,
    state: 'ACTIVE',
    caseId: caseRow.id,
    caseNo: caseRow.caseNo,
  });
  t.is((await api(w, await w.signIn('city.supervisor'), 'GET', '/api/incidents')).status, 200);
  t.is((await api(w, await w.signIn('dept.chengguan.handler'), 'GET', '/api/incidents')).status, 403);
  t.is((await api(w, await w.signIn('city.leader'), 'GET', '/api/incidents')).status, 403);

  // and the auditor may not retry it
  const refused = await api<Problem>(w, auditor, 'POST', `/api/incidents/${incident!.incidentKey}/retry`);
  t.is(refused.status, 403);

  // when the admin retries it with two retries
  const retried = await api<{ incident: IncidentView; jobRetries: number; activeIncidents: IncidentView[] }>(
    w,
    admin,
    'POST',
    `/api/incidents/${incident!.incidentKey}/retry`,
    { retries: 2 },
  );

  // then it is resolved, and the job is handed out again with two retries
  t.is(retried.status, 200, JSON.stringify(retried.body));
  t.like(retried.body, {
    incident: { state: 'RESOLVED', caseId: caseRow.id },
    jobRetries: 2,
    activeIncidents: [],
  });
  const [again] = await w.engine.activateJobs({
    type: 'papi-work',
    worker: 'papi-test',
    maxJobsToActivate: 1,
    timeout: 60_000,
  });
  t.is(again?.key, job.key);
  t.is(again?.retries, 2);
  const twice = await api<Problem>(w, admin, 'POST', `/api/incidents/${incident!.incidentKey}/retry`);
  t.is(twice.status, 409);
  t.regex(twice.body.detail, new RegExp(incident!.incidentKey));
  const unknown = await api<Problem>(w, admin, 'POST', '/api/incidents/999999999/retry');
  t.is(unknown.status, 404);
  t.regex(unknown.body.detail, /999999999/);
  t.is(
    (await api(w, admin, 'POST', `/api/incidents/${incident!.incidentKey}/retry`, { retries: 11 })).status,
    400,
  );

  // when the job completes with a route the gateway does not know
  await w.engine.completeJob({ jobKey: again.key, variables: { route: 'b' } });
  const gateway = (
    await api<{ items: IncidentView[] }>(w, admin, 'GET', `/api/incidents?processInstanceKey=${key}`)
  ).body.items;
  t.is(gateway.length, 1);
  t.like(gateway[0], { elementId: 'route', errorType: 'CONDITION_ERROR', jobKey: null });

  // then a retry without a fix fails again and raises a new incident
  const unfixed = await api<{ incident: IncidentView; activeIncidents: IncidentView[] }>(
    w,
    admin,
    'POST',
    `/api/incidents/${gateway[0].incidentKey}/retry`,
  );
  t.is(unfixed.status, 200);
  t.is(unfixed.body.incident.state, 'RESOLVED');
  t.is(unfixed.body.activeIncidents.length, 1);
  t.like(unfixed.body.activeIncidents[0], { elementId: 'route', errorType: 'CONDITION_ERROR' });

  // when the auditor tries to fix the variable, and the admin fixes it with a bad then a good body
  const variables = `/api/process-instances/${key}/variables`;
  t.is((await api(w, auditor, 'PUT', variables, { variables: { route: 'a' } })).status, 403);
  const notObject = await api<Problem>(w, admin, 'PUT', variables, { variables: ['a'] });
  t.is(notObject.status, 400);
  t.is(notObject.body.errors?.[0].field, 'body.variables');
  const foreign = await api<Problem>(w, admin, 'PUT', variables, {
    variables: { route: 'a' },
    elementInstanceKey: '999999999',
  });
  t.is(foreign.status, 404);
  t.is((await api(w, admin, 'PUT', variables, { variables: { route: 'a' } })).status, 204);

  // and retries the new incident
  const fixed = await api<{ activeIncidents: IncidentView[] }>(
    w,
    admin,
    'POST',
    `/api/incidents/${unfixed.body.activeIncidents[0].incidentKey}/retry`,
  );

  // then the instance completes, and its history names the admin on the resolutions
  t.is(fixed.status, 200);
  t.deepEqual(fixed.body.activeIncidents, []);
  const detail = await api<{
    processInstance: { state: string; hasIncident: boolean };
    case: { id: number } | null;
    variables: { name: string; value: unknown }[];
  }>(w, auditor, 'GET', `/api/process-instances/${key}`);
  t.is(detail.status, 200);
  t.like(detail.body, {
    processInstance: { state: 'COMPLETED', hasIncident: false },
    case: { id: caseRow.id },
  });
  t.true(detail.body.variables.some((v) => v.name === 'route' && v.value === 'a'));
  const history = await api<{ events: { intent: string; actor?: string }[] }>(
    w,
    auditor,
    'GET',
    `/api/process-instances/${key}/history`,
  );
  const resolutions = history.body.events.filter((e) => e.intent === 'INCIDENT_RESOLVED');
  t.deepEqual(
    resolutions.map((e) => e.actor),
    ['city.admin', 'city.admin', 'city.admin'],
  );
  t.is(history.body.events.at(-1)?.intent, 'PROCESS_INSTANCE_COMPLETED');
  const resolved = await api<{ items: IncidentView[] }>(
    w,
    auditor,
    'GET',
    `/api/incidents?state=RESOLVED&processInstanceKey=${key}`,
  );
  t.is(resolved.body.items.length, 3);
  t.is((await api(w, await w.signIn('city.dispatcher'), 'GET', `/api/process-instances/${key}`)).status, 403);
  t.is((await api(w, admin, 'GET', '/api/process-instances/999999999/history')).status, 404);
});
