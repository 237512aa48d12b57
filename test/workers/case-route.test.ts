import test from 'ava';
import { createWorkerWorld } from '../helpers/worker-world.ts';

test('routes a power repair straight to the power company, the only unit of that remit', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const categoryId = (await w.models.Category.findOne({ where: { code: '22002' } }))!.get('id') as number;
  const power = await w.unit({ level: 'city', kind: 'department', departmentKind: 'power' });
  const caseId = await w.insertCase({ categoryId, townId });

  const out = await w.run('case-route', { caseId });

  t.deepEqual(out.variables, {
    autoRouteUnitId: power,
    dispatchUnitId: power,
    dispatchUnitKind: 'department',
    handlerUnitId: power,
  });
});

test('leaves a remit shared by the city and the towns to the dispatcher', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const shared = await w.models.Category.findOne({ where: { departmentKind: 'urban_management' } });
  const caseId = await w.insertCase({ categoryId: shared!.get('id') as number, townId });

  t.deepEqual((await w.run('case-route', { caseId })).variables, { autoRouteUnitId: null });
});

test('never routes an unlocated case', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const categoryId = (await w.models.Category.findOne({ where: { code: '22002' } }))!.get('id') as number;
  const caseId = await w.insertCase({ categoryId, townId: null });

  t.deepEqual((await w.run('case-route', { caseId })).variables, { autoRouteUnitId: null });
});
