import test from 'ava';
import { createWorkerWorld } from '../helpers/worker-world.ts';

test('locates a case with a point to its grid, village and town, and gives the accept limit', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const place = await w.pointInGrid();
  const category = await w.models.Category.findOne({ where: { code: '22002' } });
  const caseId = await w.insertCase({
    lng: place.lng,
    lat: place.lat,
    categoryId: category!.get('id') as number,
  });

  const out = await w.run('case-accept', { caseId });

  t.is(out.kind, 'complete');
  t.like(out.variables, {
    located: true,
    gridId: place.gridId,
    villageId: place.villageId,
    townId: place.townId,
    duplicateOf: null,
  });
  const limit = category!.get('limitAcceptMin') as number;
  t.is(Date.parse(out.variables!.stageDueAt as string), w.clock.now() + limit * 60_000);
  t.like(await w.caseRow(caseId), { status: 'accepted', gridId: place.gridId, townId: place.townId });
});

test('a point outside every grid is accepted unlocated, for the city centre to place by hand', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const caseId = await w.insertCase({ lng: 116.4, lat: 39.9 });

  const out = await w.run('case-accept', { caseId });

  t.like(out.variables, { located: false, gridId: null, townId: null });
  t.like(await w.caseRow(caseId), { status: 'accepted', gridId: null });
});

test('finds an open case of the same category nearby as the one this repeats; running twice changes nothing', async (t) => {
  const w = await createWorkerWorld();
  t.teardown(() => w.close());
  const place = await w.pointInGrid();
  const categoryId = (await w.models.Category.findOne({ where: { code: '22002' } }))!.get('id') as number;
  const first = await w.insertCase({ lng: place.lng, lat: place.lat, categoryId, status: 'handling' });
  w.clock.advance(3600_000);
  const second = await w.insertCase({
    lng: place.lng + 0.0005,
    lat: place.lat,
    categoryId,
    acceptedAt: w.clock.now(),
  });

  const once = await w.run('case-accept', { caseId: second });
  const twice = await w.run('case-accept', { caseId: second });

  t.is(once.variables!.duplicateOf, first);
  t.deepEqual(twice.variables, once.variables);
});
