import test from 'ava';
import { createWorkerWorld } from '../helpers/worker-world.ts';

const MINUTE = 60_000;
/** The headers of the `route` task in processes/case-lifecycle.bpmn: the stage a certain route enters. */
const ROUTE_HEADERS = { 'stage.department': 'handling', 'stage.town': 'dispatched' };

test('routes a power repair straight to the power company, the only unit of that remit', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const categoryId = (await w.models.Category.findOne({ where: { code: '22002' } }))!.get('id') as number;
  const power = await w.unit({ level: 'city', kind: 'department', departmentKind: 'power' });
  const caseId = await w.insertCase({ categoryId, townId, status: 'registered' });

  const out = await w.run('case-route', { caseId });

  t.deepEqual(out.variables, {
    autoRouteUnitId: power,
    dispatchUnitId: power,
    dispatchUnitKind: 'department',
    handlerUnitId: power,
  });
  t.is((await w.caseRow(caseId)).status, 'registered', 'without a stage header the route only decides');
});

test('a certain route enters the stage its header names: handling by the department, with its limit', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const category = await w.models.Category.findOne({ where: { code: '22002' } });
  const power = await w.unit({ level: 'city', kind: 'department', departmentKind: 'power' });
  const caseId = await w.insertCase({
    categoryId: category!.get('id') as number,
    townId,
    status: 'registered',
  });

  const out = await w.run('case-route', { caseId, returnCount: 0 }, { headers: ROUTE_HEADERS });

  const limit = category!.get('limitHandleMin') as number;
  t.like(out.variables, { autoRouteUnitId: power, handlerUnitId: power, dispatchUnitKind: 'department' });
  t.is(Date.parse(out.variables!.handleDueAt as string), w.clock.now() + limit * MINUTE);
  t.like(await w.caseRow(caseId), {
    status: 'handling',
    handlingUnitId: power,
    dispatchedAt: w.clock.now(),
    handleDueAt: w.clock.now() + limit * MINUTE,
  });
});

test('a stage header naming no known stage is a defect of the diagram: nothing is written', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const categoryId = (await w.models.Category.findOne({ where: { code: '22002' } }))!.get('id') as number;
  await w.unit({ level: 'city', kind: 'department', departmentKind: 'power' });
  const caseId = await w.insertCase({ categoryId, townId, status: 'registered' });

  await t.throwsAsync(w.run('case-route', { caseId }, { headers: { 'stage.department': 'handed-over' } }), {
    message: /stage\.department names an unknown stage "handed-over"/,
  });
  t.is((await w.caseRow(caseId)).status, 'registered');
});

test('leaves a remit shared by the city and the towns to the dispatcher', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const shared = await w.models.Category.findOne({ where: { departmentKind: 'urban_management' } });
  const caseId = await w.insertCase({ categoryId: shared!.get('id') as number, townId });

  t.deepEqual((await w.run('case-route', { caseId }, { headers: ROUTE_HEADERS })).variables, {
    autoRouteUnitId: null,
  });
  t.is((await w.caseRow(caseId)).status, 'new', 'an uncertain route enters no stage');
});

test('never routes an unlocated case', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const categoryId = (await w.models.Category.findOne({ where: { code: '22002' } }))!.get('id') as number;
  const caseId = await w.insertCase({ categoryId, townId: null });

  t.deepEqual((await w.run('case-route', { caseId })).variables, { autoRouteUnitId: null });
});
