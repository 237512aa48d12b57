import test from 'ava';
import { QueryTypes } from 'sequelize';
import { IntakeSchema } from '../../server/schemas/case.schema.ts';
import { createCase } from '../../server/services/case.service.ts';
import { createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';
import { dispatchToStation, firstGrid, partiesOf, work } from '../helpers/walk.ts';

// One case from the hotline to closed, entirely over HTTP as the README's curl session does it: every user
// signs in, finds the task in their inbox, claims it and completes it with its form.

test('a hotline case walks from intake to closed over the HTTP API', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  const { gridId, lng, lat } = await firstGrid(w);

  const dispatcher = await w.signIn('city.dispatcher');
  const filed = await api<{
    case: {
      id: number;
      caseNo: string;
      reporterPhone: string;
      townId: number;
      villageId: number;
      status: string;
    };
    created: boolean;
  }>(w, dispatcher, 'POST', '/api/cases', {
    source: 'hotline_12345',
    sourceTicketId: 'HT-20260302-0001',
    reporterName: '王先生',
    reporterPhone: '13812345678',
    description: '小区门口垃圾堆放三天无人清运',
    lng,
    lat,
    categoryCode: '06001',
  });
  t.is(filed.status, 201);
  t.true(filed.body.created);
  t.is(filed.body.case.reporterPhone, '138****5678');
  const again = await api<{ case: { id: number }; created: boolean }>(w, dispatcher, 'POST', '/api/cases', {
    source: 'hotline_12345',
    sourceTicketId: 'HT-20260302-0001',
    description: '重复推送',
  });
  t.is(again.status, 200);
  t.is(again.body.case.id, filed.body.case.id);
  t.false(again.body.created);

  const id = filed.body.case.id;
  await w.settle();
  const c = (
    await api<{ case: { townId: number; villageId: number } }>(w, dispatcher, 'GET', `/api/cases/${id}`)
  ).body.case;
  const { townDispatcher, stationHandler, gridWorker } = await partiesOf(w, c, gridId);

  await dispatchToStation(w, id, c, townDispatcher);
  await work(w, stationHandler, id, 'handle', 'complete', { handleResult: '已清运' });
  await work(w, gridWorker, id, 'verify', 'pass', {
    verifyResult: 'pass',
    verifyNote: '现场已清理',
  });
  await work(w, 'city.dispatcher', id, 'close', 'close', { closeConditionMet: true });
  await work(w, 'city.dispatcher', id, 'callback', 'record', {
    satisfaction: 'satisfied',
    callbackNote: '满意',
  });

  const done = await api<{
    case: { status: string; satisfaction: string };
    timeline: { title: string; actor: string | null }[];
  }>(w, dispatcher, 'GET', `/api/cases/${id}`);
  t.is(done.body.case.status, 'closed');
  t.is(done.body.case.satisfaction, 'satisfied');
  t.true(done.body.timeline.some((e) => e.title === '处置' && e.actor === stationHandler));
  const history = await api<{ processInstance: { state: string } }>(
    w,
    dispatcher,
    'GET',
    `/api/cases/${id}/history`,
  );
  t.is(history.body.processInstance.state, 'COMPLETED');
});

test('one hotline ticket filed twice at once opens one case: both answers name it, one says created', async (t) => {
  const w = await createCaseWorld();
  t.teardown(() => w.close());
  // Straight to the service, in one tick: both look the ticket up before either has written it, so the
  // second insert meets the unique key (source, ticket) and must answer with the first case.
  const intake = IntakeSchema.parse({
    source: 'hotline_12345',
    sourceTicketId: 'HT-20260302-0777',
    reporterPhone: '13812345678',
    description: '同一工单被网关重复推送',
    categoryCode: '06001',
  });
  const actor = { userId: null, username: 'gateway-12345', orgUnitId: null };
  const [a, b] = await Promise.all([createCase(w.deps, actor, intake), createCase(w.deps, actor, intake)]);
  t.is(a.case.id, b.case.id);
  t.is(a.case.caseNo, b.case.caseNo);
  t.deepEqual([a.created, b.created].sort(), [false, true]);
  const [{ cases, instances }] = await w.db.sequelize.query<{ cases: number; instances: number }>(
    `SELECT (SELECT COUNT(*) FROM cases WHERE source_ticket_id = 'HT-20260302-0777') AS cases,
            (SELECT COUNT(*) FROM engine_process_instance) AS instances`,
    { type: QueryTypes.SELECT },
  );
  t.is(Number(cases), 1);
  t.is(Number(instances), 1);

  // Over HTTP the repeat answers 200 with the same case.
  const dispatcher = await w.signIn('city.dispatcher');
  const again = await api<{ case: { id: number }; created: boolean }>(w, dispatcher, 'POST', '/api/cases', {
    source: 'hotline_12345',
    sourceTicketId: 'HT-20260302-0777',
    description: '重复推送',
  });
  t.is(again.status, 200);
  t.is(again.body.case.id, a.case.id);
});
