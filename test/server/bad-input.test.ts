import test from 'ava';
import { QueryTypes } from 'sequelize';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

// Bad input over HTTP: each request gets a 4xx RFC 9457 problem naming the field at fault, and nothing is
// written — no case, no audit record, no engine history, no task state change.

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: { field: string; message: string }[];
}

let w: CaseWorld;
let dispatcher: Record<string, string>;

test.before(async () => {
  w = await createCaseWorld();
  dispatcher = await w.signIn('city.dispatcher');
});
test.after.always(() => w?.close());

/** Row counts of everything a request could write. */
async function written(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'cases',
    'audit_log',
    'engine_history_event',
    'engine_process_instance',
    'attachment',
  ]) {
    const [{ n }] = await w.db.sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`, {
      type: QueryTypes.SELECT,
    });
    out[table] = Number(n);
  }
  return out;
}

const valid = {
  source: 'hotline_12345',
  reporterName: '李女士',
  reporterPhone: '13912345678',
  description: '路边井盖缺失，夜间有安全隐患',
  categoryCode: '01004',
};

const intakeRefusals: [string, Record<string, unknown>, string][] = [
  ['no description', { ...valid, description: undefined }, 'body.description'],
  ['an unknown source', { ...valid, source: 'fax' }, 'body.source'],
  ['a phone number that is not one', { ...valid, reporterPhone: '12345' }, 'body.reporterPhone'],
  ['a longitude without a latitude', { ...valid, lng: 119.18 }, 'body.lat'],
  ['a latitude off the globe', { ...valid, lng: 119.18, lat: 132.27 }, 'body.lat'],
  ['an urgency that does not exist', { ...valid, urgency: 'whenever' }, 'body.urgency'],
  ['an unknown category', { ...valid, categoryCode: '99999' }, 'body.categoryCode'],
  ['a category code that is not a code', { ...valid, categoryCode: 'road' }, 'body.categoryCode'],
];

for (const [what, body, field] of intakeRefusals) {
  test.serial(`intake with ${what} is refused naming ${field}, and nothing is written`, async (t) => {
    const before = await written();
    const res = await api<Problem>(w, dispatcher, 'POST', '/api/cases', body);
    t.is(res.status, 400);
    t.regex(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    t.like(res.body, { status: 400, title: 'Bad Request' });
    t.true(
      res.body.errors?.some((e) => e.field === field),
      `errors: ${JSON.stringify(res.body.errors)}`,
    );
    t.deepEqual(await written(), before);
  });
}

test.serial('a body that is not JSON is a 400 problem, not a 500', async (t) => {
  const before = await written();
  const res = await api<Problem>(w, dispatcher, 'POST', '/api/cases', '{"source": "hotline_12345",');
  t.is(res.status, 400);
  t.is(res.body.code, 'INVALID_JSON');
  t.deepEqual(await written(), before);
});

test.serial(
  'a case outside every grid is accepted and left to the city centre to locate by hand',
  async (t) => {
    const res = await api<{ case: { id: number; status: string; gridId: number | null } }>(
      w,
      dispatcher,
      'POST',
      '/api/cases',
      { ...valid, lng: 116.397, lat: 39.908, address: '不在本市' },
    );
    t.is(res.status, 201);
    await w.settle();
    const detail = await api<{ case: { status: string; gridId: number | null; townId: number | null } }>(
      w,
      dispatcher,
      'GET',
      `/api/cases/${res.body.case.id}`,
    );
    t.like(detail.body.case, { status: 'accepted', gridId: null, townId: null });
    const tasks = await w.openTasks(res.body.case.id);
    t.deepEqual(
      tasks.map((x) => x.elementId),
      ['register'],
    );
    const centre = await w.models.OrgUnit.findOne({ where: { level: 'city', kind: 'centre' } });
    t.deepEqual(tasks[0].candidateGroups, [`unit:${centre!.get('id')}:dispatcher`]);
  },
);

test.serial('search and inbox refuse bad paging and filters naming the parameter', async (t) => {
  const search = await api<Problem>(w, dispatcher, 'GET', '/api/cases?pageSize=1000');
  t.is(search.status, 400);
  t.is(search.body.errors?.[0].field, 'query.pageSize');
  const inbox = await api<Problem>(w, dispatcher, 'GET', '/api/tasks?overdue=maybe&sort=sideways');
  t.is(inbox.status, 400);
  t.deepEqual(inbox.body.errors?.map((e) => e.field).sort(), ['query.overdue', 'query.sort']);
  const badId = await api<Problem>(w, dispatcher, 'GET', '/api/cases/abc');
  t.is(badId.status, 400);
  t.is(badId.body.errors?.[0].field, 'params.id');
});

/** Files a case and returns its register task's key, settled. */
async function registerTask(): Promise<string> {
  const res = await api<{ case: { id: number } }>(w, dispatcher, 'POST', '/api/cases', valid);
  await w.settle();
  const [task] = await w.openTasks(res.body.case.id);
  return task.userTaskKey;
}

async function taskState(key: string): Promise<{ state: string; assignee: string | null }> {
  const task = await w.engine.getUserTask(key);
  return { state: task.state, assignee: task.assignee ?? null };
}

test.serial('completing a task you do not hold is a conflict; the task stays open', async (t) => {
  const key = await registerTask();
  const before = await written();
  const res = await api<Problem>(w, dispatcher, 'POST', `/api/tasks/${key}/complete`, {
    action: 'register',
    variables: { categoryCode: '01004', urgency: 'normal' },
  });
  t.is(res.status, 409);
  t.is(res.body.code, 'NOT_HELD');
  t.deepEqual(await taskState(key), { state: 'CREATED', assignee: null });
  t.deepEqual(await written(), before);
});

test.serial('a task held by a colleague cannot be completed or unclaimed by another', async (t) => {
  const key = await registerTask();
  t.is((await api(w, dispatcher, 'POST', `/api/tasks/${key}/claim`)).status, 204);
  // The city supervisor is not offered register tasks: to them the task is someone else's.
  const supervisor = await w.signIn('city.supervisor');
  const complete = await api<Problem>(w, supervisor, 'POST', `/api/tasks/${key}/complete`, {
    action: 'register',
    variables: { categoryCode: '01004', urgency: 'normal' },
  });
  t.true([403, 404, 409].includes(complete.status), `status ${complete.status}`);
  const unclaim = await api<Problem>(w, supervisor, 'POST', `/api/tasks/${key}/unclaim`);
  t.true([403, 404, 409].includes(unclaim.status), `status ${unclaim.status}`);
  t.deepEqual(await taskState(key), { state: 'CREATED', assignee: 'city.dispatcher' });
});

test.serial(
  'completing with an action the task does not offer names body.action; nothing written',
  async (t) => {
    const key = await registerTask();
    await api(w, dispatcher, 'POST', `/api/tasks/${key}/claim`);
    const before = await written();
    const res = await api<Problem>(w, dispatcher, 'POST', `/api/tasks/${key}/complete`, {
      action: 'approve',
      variables: {},
    });
    t.is(res.status, 400);
    t.is(res.body.code, 'UNKNOWN_ACTION');
    t.deepEqual(
      res.body.errors?.map((e) => e.field),
      ['body.action'],
    );
    t.deepEqual(await taskState(key), { state: 'CREATED', assignee: 'city.dispatcher' });
    t.deepEqual(await written(), before);
  },
);

test.serial('completing with a form that misses a required field names it; nothing written', async (t) => {
  const key = await registerTask();
  await api(w, dispatcher, 'POST', `/api/tasks/${key}/claim`);
  const before = await written();
  const res = await api<Problem>(w, dispatcher, 'POST', `/api/tasks/${key}/complete`, {
    action: 'void',
    variables: {},
  });
  t.is(res.status, 400);
  t.is(res.body.code, 'FORM_INVALID');
  t.deepEqual(
    res.body.errors?.map((e) => e.field),
    ['body.variables.voidReason'],
  );
  t.deepEqual(await taskState(key), { state: 'CREATED', assignee: 'city.dispatcher' });
  t.deepEqual(await written(), before);
});

test.serial(
  'completing with variables the form does not have (a counter, the case id) names each; nothing written',
  async (t) => {
    const key = await registerTask();
    await api(w, dispatcher, 'POST', `/api/tasks/${key}/claim`);
    const before = await written();
    const res = await api<Problem>(w, dispatcher, 'POST', `/api/tasks/${key}/complete`, {
      action: 'register',
      variables: { categoryCode: '06001', urgency: 'normal', returnCount: 0, caseId: 1 },
    });
    t.is(res.status, 400);
    t.is(res.body.code, 'FORM_UNKNOWN_FIELD');
    t.deepEqual(res.body.errors?.map((e) => e.field).sort(), [
      'body.variables.caseId',
      'body.variables.returnCount',
    ]);
    t.deepEqual(await taskState(key), { state: 'CREATED', assignee: 'city.dispatcher' });
    t.deepEqual(await written(), before);
  },
);

test.serial(
  'dispatching to a unit the task does not offer names the field, even with a forged list; nothing written',
  async (t) => {
    const filed = await w.file({
      source: 'hotline_12345',
      sourceTicketId: 'bad-dispatch-1',
      description: '小区门口垃圾堆放三天无人清运',
      categoryCode: '06001',
    });
    await w.settle();
    await w.completeTask(filed.id, 'register', 'register', {
      categoryCode: '06001',
      urgency: 'normal',
      majorEmergency: false,
    });
    const [task] = await w.openTasks(filed.id);
    t.is(task.elementId, 'dispatch-city');
    const station = await w.models.OrgUnit.findOne({ where: { kind: 'station' } });
    await api(w, dispatcher, 'POST', `/api/tasks/${task.userTaskKey}/claim`);
    const before = await written();
    const res = await api<Problem>(w, dispatcher, 'POST', `/api/tasks/${task.userTaskKey}/complete`, {
      action: 'dispatch',
      variables: {
        dispatchUnitKind: 'town',
        dispatchUnitId: station!.get('id'),
        dispatchOptions: [{ label: '伪造', value: station!.get('id') }],
      },
    });
    t.is(res.status, 400);
    t.is(res.body.code, 'FORM_INVALID');
    t.deepEqual(
      res.body.errors?.map((e) => e.field),
      ['body.variables.dispatchUnitId'],
    );
    t.deepEqual(await taskState(task.userTaskKey), { state: 'CREATED', assignee: 'city.dispatcher' });
    t.deepEqual(await written(), before);
  },
);

test.serial('a task key that is not one is a 400; an unknown one a 404', async (t) => {
  const bad = await api<Problem>(w, dispatcher, 'POST', '/api/tasks/12abc/claim');
  t.is(bad.status, 400);
  t.is(bad.body.errors?.[0].field, 'params.key');
  const unknown = await api<Problem>(w, dispatcher, 'POST', '/api/tasks/999999999/claim');
  t.is(unknown.status, 404);
});

test.serial('without a session every API route is a 401 problem', async (t) => {
  const res = await api<Problem>(w, { 'content-type': 'application/json' }, 'POST', '/api/cases', valid);
  t.is(res.status, 401);
  t.is(res.body.code, 'NOT_SIGNED_IN');
});
