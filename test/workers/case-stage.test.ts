import test from 'ava';
import { createWorkerWorld } from '../helpers/worker-world.ts';

const MINUTE = 60_000;

test('registered: stamps the case, starts the dispatch limit and the counters', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const category = await w.models.Category.findOne({ where: { code: '22002' } });
  const caseId = await w.insertCase({ categoryId: category!.get('id') as number, status: 'accepted' });

  const out = await w.run('case-stage', { caseId }, { headers: { stage: 'registered' } });

  const limit = category!.get('limitDispatchMin') as number;
  t.like(out.variables, {
    returnCount: 0,
    reworkCount: 0,
    reopenCount: 0,
    extensionCount: 0,
    bounceLimit: 2,
  });
  t.is(Date.parse(out.variables!.stageDueAt as string), w.clock.now() + limit * MINUTE);
  t.like(await w.caseRow(caseId), { status: 'registered', registeredAt: w.clock.now() });
});

test('dispatched to a town: the town dispatcher is who a return goes back to; worked twice, the first time stays', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const cityCentreId = await w.unit({ level: 'city', kind: 'centre' });
  const townId = await w.unit({ level: 'town', kind: 'centre' });
  const caseId = await w.insertCase({ status: 'registered' });
  const vars = { caseId, cityCentreId, dispatchUnitId: townId, dispatchUnitKind: 'town' };

  const out = await w.run('case-stage', vars, { headers: { stage: 'dispatched' } });
  const firstAt = w.clock.now();
  w.clock.advance(5 * MINUTE);
  await w.run('case-stage', vars, { headers: { stage: 'dispatched' } });

  t.is(out.variables!.returnToGroup, `unit:${townId}:dispatcher`);
  t.like(await w.caseRow(caseId), { status: 'dispatched', handlingUnitId: townId, dispatchedAt: firstAt });
});

test('parked stops the clock with what was left; resumed starts again from it', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const caseId = await w.insertCase({ status: 'handling', handleDueAt: Date.UTC(2026, 2, 2, 3, 0, 0) });

  const parked = await w.run('case-stage', { caseId }, { headers: { stage: 'parked' } });
  t.is(parked.variables!.parkedRemainingMin, 120);
  t.is((await w.caseRow(caseId)).status, 'parked');

  w.clock.advance(3 * 24 * 60 * MINUTE);
  const resumed = await w.run(
    'case-stage',
    { caseId, parkedRemainingMin: 120 },
    { headers: { stage: 'resumed' } },
  );
  t.is(Date.parse(resumed.variables!.handleDueAt as string), w.clock.now() + 120 * MINUTE);
  t.like(await w.caseRow(caseId), { status: 'handling', handleDueAt: w.clock.now() + 120 * MINUTE });
});

test('extended moves the handling deadline by the granted working days and counts the extension', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const due = Date.UTC(2026, 2, 3, 1, 0, 0);
  const caseId = await w.insertCase({ status: 'handling', handleDueAt: due });

  const out = await w.run(
    'case-stage',
    { caseId, extensionDays: 2, extensionCount: 0 },
    { headers: { stage: 'extended' } },
  );

  t.is(out.variables!.extensionCount, 1);
  t.is((await w.caseRow(caseId)).handleDueAt, due + 2 * 480 * MINUTE);
});

test('returned, rework and reopened count up from what the process holds', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const caseId = await w.insertCase({ status: 'handling' });

  const returned = await w.run('case-stage', { caseId, returnCount: 1 }, { headers: { stage: 'returned' } });
  const rework = await w.run('case-stage', { caseId, reworkCount: 0 }, { headers: { stage: 'rework' } });
  const reopened = await w.run('case-stage', { caseId }, { headers: { stage: 'reopened' } });

  t.is(returned.variables!.returnCount, 2);
  t.is(rework.variables!.reworkCount, 1);
  t.is(reopened.variables!.reopenCount, 1);
  t.like(await w.caseRow(caseId), { status: 'handling', closedAt: null });
});

test('a stage header the worker does not know is a bug in the diagram: it throws (an incident), writes nothing', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const caseId = await w.insertCase({ status: 'registered' });

  await t.throwsAsync(w.run('case-stage', { caseId }, { headers: { stage: 'teleported' } }), {
    message: /no valid "stage" header/,
  });
  t.is((await w.caseRow(caseId)).status, 'registered');
});
