import test from 'ava';
import { QueryTypes } from 'sequelize';
import { createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';
import { dispatchToStation, findTask, firstGrid, partiesOf, work } from '../helpers/walk.ts';

// Phone numbers that citizens and staff write into free text (the description, a note) leave the API
// masked, as the reporter's phone field does; the database keeps them as written. A note the form shows
// masked and the user sends back unchanged keeps its number.

const MOBILE = '13812345678';
const LANDLINE = '0514-87654321';
const NOTE_MOBILE = '13700001111';

interface CaseBody {
  case: { id: number; description: string; townId: number; villageId: number; processInstanceKey: string };
}

test('phone numbers in a case’s text go out masked and stay whole in the database', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const { lng, lat } = await firstGrid(w);
  const dispatcher = await w.signIn('city.dispatcher');
  const description = `市民（电话 ${MOBILE}，座机 ${LANDLINE}）反映路灯不亮`;
  const masked = '市民（电话 138****5678，座机 0514-****4321）反映路灯不亮';

  const filed = await api<CaseBody>(w, dispatcher, 'POST', '/api/cases', {
    source: 'hotline_12345',
    sourceTicketId: 'HT-20261129-0042',
    reporterPhone: MOBILE,
    description,
    lng,
    lat,
    categoryCode: '06001',
  });
  t.is(filed.status, 201);
  t.is(filed.body.case.description, masked);
  const id = filed.body.case.id;
  await w.settle();

  const detail = await api<CaseBody>(w, dispatcher, 'GET', `/api/cases/${id}`);
  t.is(detail.body.case.description, masked);
  const found = await api<{ items: { id: number; description: string }[] }>(
    w,
    dispatcher,
    'GET',
    `/api/cases?q=${encodeURIComponent('路灯')}`,
  );
  t.is(found.body.items.find((c) => c.id === id)?.description, masked);
  const [stored] = await w.db.sequelize.query<{ description: string }>(
    'SELECT description FROM cases WHERE id = ?',
    { replacements: [id], type: QueryTypes.SELECT },
  );
  t.is(stored.description, description);

  // A note with a number: masked in the case's history (API router) and in the auditor's instance history
  // (an Express route).
  await work(w, 'city.dispatcher', id, 'register', 'register', {
    categoryCode: '06001',
    urgency: 'normal',
    majorEmergency: false,
    registerNote: `已与市民 ${NOTE_MOBILE} 确认位置`,
  });
  const history = await api(w, dispatcher, 'GET', `/api/cases/${id}/history`);
  t.is(history.status, 200);
  const auditor = await w.signIn('city.auditor');
  const instance = await api(
    w,
    auditor,
    'GET',
    `/api/process-instances/${filed.body.case.processInstanceKey}/history`,
  );
  t.is(instance.status, 200);
  for (const answer of [history, instance]) {
    const text = JSON.stringify(answer.body);
    t.false(text.includes(NOTE_MOBILE), text.slice(0, 300));
    t.true(text.includes('已与市民 137****1111 确认位置'));
  }
});

test('a note the form shows masked and the user sends back unchanged keeps its number; an edited one is taken as sent', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const { gridId, lng, lat } = await firstGrid(w);
  const dispatcher = await w.signIn('city.dispatcher');
  const filed = await api<CaseBody>(w, dispatcher, 'POST', '/api/cases', {
    source: 'hotline_12345',
    description: '路灯不亮',
    lng,
    lat,
    categoryCode: '06001',
  });
  const id = filed.body.case.id;
  await w.settle();
  const c = (await api<CaseBody>(w, dispatcher, 'GET', `/api/cases/${id}`)).body.case;
  const { townDispatcher, stationHandler, gridWorker } = await partiesOf(w, c, gridId);
  const result = `已更换灯泡，物业电话 ${NOTE_MOBILE}`;
  await dispatchToStation(w, id, c, townDispatcher);
  await work(w, stationHandler, id, 'handle', 'complete', { handleResult: result });
  await work(w, gridWorker, id, 'verify', 'fail', {
    verifyResult: 'fail',
    verifyNote: `灯仍不亮，回电 ${MOBILE}`,
  });

  // The rework: the handle form is filled with the first round's result, masked.
  const rework = await findTask(w, stationHandler, id, 'handle');
  const key = rework.item.userTaskKey;
  const shown = await api<{ data: { handleResult: string } }>(w, rework.headers, 'GET', `/api/tasks/${key}`);
  t.is(shown.body.data.handleResult, '已更换灯泡，物业电话 137****1111');
  t.is((await api(w, rework.headers, 'POST', `/api/tasks/${key}/claim`)).status, 204);
  const done = await api(w, rework.headers, 'POST', `/api/tasks/${key}/complete`, {
    action: 'complete',
    variables: { handleResult: shown.body.data.handleResult },
  });
  t.is(done.status, 204, JSON.stringify(done.body));
  await w.settle();

  // The second verification: its note shown masked, edited, and taken as sent.
  const verify = await findTask(w, gridWorker, id, 'verify');
  const vKey = verify.item.userTaskKey;
  const vShown = await api<{ data: { verifyNote: string } }>(w, verify.headers, 'GET', `/api/tasks/${vKey}`);
  t.is(vShown.body.data.verifyNote, '灯仍不亮，回电 138****5678');
  t.is((await api(w, verify.headers, 'POST', `/api/tasks/${vKey}/claim`)).status, 204);
  const edited = `${vShown.body.data.verifyNote}；复核已亮`;
  const passed = await api(w, verify.headers, 'POST', `/api/tasks/${vKey}/complete`, {
    action: 'fail',
    variables: { verifyResult: 'fail', verifyNote: edited },
  });
  t.is(passed.status, 204, JSON.stringify(passed.body));
  await w.settle();

  const variables = new Map(
    (await w.deps.engine.getVariables(c.processInstanceKey)).map((v) => [v.name, v.value]),
  );
  t.is(variables.get('handleResult'), result);
  t.is(variables.get('verifyNote'), edited);
});
