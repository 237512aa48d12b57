import test from 'ava';
import type { CaseAttributes } from '../../db/models/case.model.ts';
import type { CategoryAttributes } from '../../db/models/category.model.ts';
import { defineModels } from '../../db/models/index.ts';
import { dialectOf } from '../../db/connection.ts';
import { rowsOf } from '../../db/row-store.ts';
import { TransactionRunner } from '../../engine/embedded/transactions.ts';
import { seedDemo } from '../../db/seed/demo-seed.ts';
import { recordStage } from '../../server/services/case-stage.service.ts';
import { openTestDatabase } from '../helpers/database.ts';

const HASH = '$argon2id$v=19$m=65536,t=3,p=4$cHJlY29tcHV0ZWQ$cHJlY29tcHV0ZWQtZm9yLXRlc3Rz';

async function world() {
  const db = await openTestDatabase();
  const models = defineModels(db.sequelize);
  await seedDemo(models, { passwordHash: HASH });
  const category = (await models.Category.findOne({ where: { level: 'minor' } }))!;
  const row = await models.Case.create({
    caseNo: 'RS-1',
    source: 'hotline_12345',
    description: '路灯不亮',
    lng: 119.19,
    lat: 32.19,
    categoryId: category.get('id') as number,
    status: 'new',
    majorEmergency: true,
    acceptedAt: 1_790_000_000_123,
  });
  return { db, models, id: row.get('id') as number, categoryId: category.get('id') as number };
}

test('a row read raw is the row Sequelize reads: booleans, big numbers, doubles, nulls, dates', async (t) => {
  const { db, models, id, categoryId } = await world();
  t.teardown(() => db.close());
  const viaModel = (await models.Case.findByPk(id))!.get({ plain: true });
  const raw = await rowsOf<CaseAttributes>(models.Case).get(id);
  t.deepEqual(raw, viaModel as CaseAttributes);
  t.is(raw!.majorEmergency, true);
  t.is(raw!.acceptedAt, 1_790_000_000_123);
  t.true(raw!.createdAt instanceof Date);

  const category = await rowsOf<CategoryAttributes>(models.Category).get(categoryId);
  t.deepEqual(
    category,
    (await models.Category.findByPk(categoryId))!.get({ plain: true }) as CategoryAttributes,
  );
  t.is(await rowsOf<CaseAttributes>(models.Case).get(987_654), null);
});

test('an update writes what Sequelize would read back, and only what changed', async (t) => {
  const { db, models, id } = await world();
  t.teardown(() => db.close());
  const cases = rowsOf<CaseAttributes>(models.Case);
  const before = (await cases.get(id))!;
  t.is(
    await cases.update(id, { status: 'registered', registeredAt: 1_790_000_100_000, majorEmergency: false }),
    1,
  );

  const after = (await models.Case.findByPk(id))!.get({ plain: true }) as CaseAttributes;
  t.is(after.status, 'registered');
  t.is(after.registeredAt, 1_790_000_100_000);
  t.is(after.majorEmergency, false);
  t.true(after.updatedAt instanceof Date && !Number.isNaN(after.updatedAt.getTime()));
  t.true(after.updatedAt!.getTime() >= before.updatedAt!.getTime());

  // Given the row as read, unchanged attributes are skipped; nothing changed → nothing written.
  const current = (await cases.get(id))!;
  t.is(await cases.update(id, { status: 'registered', registeredAt: 1_790_000_100_000 }, current), 0);
  t.is(await cases.update(id, { status: 'dispatched', registeredAt: 1_790_000_100_000 }, current), 1);
  t.is((await cases.get(id))!.status, 'dispatched');

  await t.throwsAsync(() => cases.update(id, { nonsense: 1 } as Partial<CaseAttributes>), {
    message: /cases has no attribute nonsense/,
  });
});

test('find reads the first row whose attributes match, as findOne would', async (t) => {
  const { db, models, id, categoryId } = await world();
  t.teardown(() => db.close());
  const cases = rowsOf<CaseAttributes>(models.Case);
  const found = await cases.find({ source: 'hotline_12345', caseNo: 'RS-1' });
  t.deepEqual(found, (await models.Case.findByPk(id))!.get({ plain: true }) as CaseAttributes);
  t.is(await cases.find({ source: 'web', caseNo: 'RS-1' }), null);
  t.is((await cases.find({ majorEmergency: true, sourceTicketId: null }))?.id, id);
  const category = (await models.Category.findByPk(categoryId))!.get({ plain: true }) as CategoryAttributes;
  t.is(
    (await rowsOf<CategoryAttributes>(models.Category).find({ code: category.code, active: true }))?.id,
    categoryId,
  );
  await t.throwsAsync(() => cases.find({ nonsense: 1 } as Partial<CaseAttributes>), {
    message: /cases has no attribute nonsense/,
  });
});

test('an insert in a transaction writes the row Sequelize reads back, with the defaults create would give', async (t) => {
  const { db, models, categoryId } = await world();
  t.teardown(() => db.close());
  const runner = new TransactionRunner(db.sequelize, dialectOf(db.sequelize));
  const cases = rowsOf<CaseAttributes>(models.Case);
  const inserted = await runner.run(({ sql }) =>
    cases.insert(
      {
        caseNo: 'RS-2',
        source: 'web',
        description: '井盖缺失',
        lng: 119.2,
        lat: 32.2,
        categoryId,
        status: 'new',
        acceptedAt: 1_790_000_000_456,
        processInstanceKey: '2251799813685249',
      },
      sql,
    ),
  );
  const viaModel = (await models.Case.findByPk(inserted.id))!.get({ plain: true }) as CaseAttributes;
  t.deepEqual(inserted, viaModel);
  t.is(viaModel.urgency, 'normal'); // the model's default
  t.is(viaModel.majorEmergency, false);
  t.is(viaModel.reporterPhone, null);
  t.is(String(viaModel.processInstanceKey), '2251799813685249');
  t.true(viaModel.createdAt instanceof Date);

  // A failing insert (the unique case number) leaves nothing and says why.
  const refused = await runner
    .run(({ sql }) =>
      cases.insert({ caseNo: 'RS-2', source: 'web', description: 'x', status: 'new', acceptedAt: 1 }, sql),
    )
    .then(
      () => null,
      (err: unknown) => err as { code?: string; message?: string },
    );
  t.regex(`${refused?.code} ${refused?.message}`, /UNIQUE|Duplicate/i);
  t.is(await models.Case.count({ where: { caseNo: 'RS-2' } }), 1);
});

test('a row read in a transaction is the row as that transaction left it; outside, the committed row', async (t) => {
  const { db, models, id } = await world();
  t.teardown(() => db.close());
  const runner = new TransactionRunner(db.sequelize, dialectOf(db.sequelize));
  const cases = rowsOf<CaseAttributes>(models.Case);
  const seen = await runner.run(async ({ sql }) => {
    await cases.update(id, { status: 'registered', registeredAt: 1_790_000_100_000 }, undefined, sql);
    return { inside: await cases.get(id, sql), outside: await cases.get(id) };
  });
  t.is(seen.inside!.status, 'registered');
  t.is(seen.inside!.registeredAt, 1_790_000_100_000);
  t.is(seen.outside!.status, 'new');
  t.is((await cases.get(id))!.status, 'registered');
});

test('a stage recorded in a command reads the case as the command left it, and keeps what it set', async (t) => {
  const { db, models, id } = await world();
  t.teardown(() => db.close());
  const runner = new TransactionRunner(db.sequelize, dialectOf(db.sequelize));
  const cases = rowsOf<CaseAttributes>(models.Case);
  const registeredAt = 1_790_000_100_000;
  await runner.run(async ({ sql }) => {
    await cases.update(id, { registeredAt }, undefined, sql);
    await recordStage(models, 'registered', { caseId: id }, 1_790_000_200_000, { bounceLimit: 2 }, sql);
  });
  const after = (await cases.get(id))!;
  t.is(after.status, 'registered');
  t.is(after.registeredAt, registeredAt, 'the registration time the command wrote first stands');
});
