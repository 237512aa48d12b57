import test from 'ava';
import { defineModels } from '../../../db/models/index.ts';
import {
  CATEGORY_CACHE_MS,
  categoryById,
  minorCategoryOptions,
} from '../../../server/services/category-cache.ts';
import { openTestDatabase } from '../../helpers/database.ts';

// A category read on the case loop's path is reused for CATEGORY_CACHE_MS without reading the database
// (category-cache.ts); a change made meanwhile (by hand, by a migration, by another process) holds after it.

test('a category is read once per CATEGORY_CACHE_MS, shared frozen, and read again after it', async (t) => {
  const db = await openTestDatabase();
  t.teardown(() => db.close());
  const models = defineModels(db.sequelize);
  const created = await models.Category.create({
    code: '99001',
    name: '测试小类',
    root: 'event',
    level: 'minor',
    parentCode: null,
    departmentKind: null,
    urgency: 'normal',
    registerCondition: null,
    closeCondition: null,
    limitAcceptMin: 10,
    limitDispatchMin: 30,
    limitHandleMin: 2880,
    limitVerifyMin: 480,
    limitCloseMin: 60,
    version: 1,
    active: true,
  });
  const id = created.get('id') as number;

  // given the category read once
  const first = await categoryById(models, id);
  t.is(first?.limitHandleMin, 2880);
  t.true(Object.isFrozen(first));

  // when its limit changes behind the cache's back (a hand edit), and the category and a missing one are read
  await db.sequelize.query('UPDATE category SET limit_handle_min = 1440 WHERE id = ?', {
    replacements: [id],
  });
  t.is(await categoryById(models, id + 1000), null);
  await db.sequelize.query(
    "INSERT INTO category (id, code, name, root, level, urgency, limit_accept_min, limit_dispatch_min, limit_handle_min, limit_verify_min, limit_close_min, version, active, created_at, updated_at) VALUES (?, '99002', '后来的小类', 'event', 'minor', 'normal', 10, 30, 60, 60, 60, 1, 1, '2026-01-01', '2026-01-01')",
    { replacements: [id + 1000] },
  );

  // then within CATEGORY_CACHE_MS both answers are the cached ones
  t.is((await categoryById(models, id))?.limitHandleMin, 2880);
  t.is(await categoryById(models, id + 1000), null);

  // and after it, the database's
  await new Promise((resolve) => setTimeout(resolve, CATEGORY_CACHE_MS + 50));
  t.is((await categoryById(models, id))?.limitHandleMin, 1440);
  t.is((await categoryById(models, id + 1000))?.name, '后来的小类');
});

test("the register form's 小类 choices are read once per CATEGORY_CACHE_MS, and again after it", async (t) => {
  const db = await openTestDatabase();
  t.teardown(() => db.close());
  const addMinor = (code: string, name: string) =>
    db.sequelize.query(
      "INSERT INTO category (code, name, root, level, urgency, limit_accept_min, limit_dispatch_min, limit_handle_min, limit_verify_min, limit_close_min, version, active, created_at, updated_at) VALUES (?, ?, 'event', 'minor', 'normal', 10, 30, 60, 60, 60, 1, 1, '2026-01-01', '2026-01-01')",
      { replacements: [code, name] },
    );
  await addMinor('99001', '第一个小类');

  // given the list read once
  t.deepEqual(await minorCategoryOptions(db.sequelize), [{ label: '99001 第一个小类', value: '99001' }]);

  // when a 小类 is added behind the cache's back, within CATEGORY_CACHE_MS the list is the cached one
  await addMinor('99002', '第二个小类');
  t.is((await minorCategoryOptions(db.sequelize)).length, 1);

  // and after it, the database's
  await new Promise((resolve) => setTimeout(resolve, CATEGORY_CACHE_MS + 50));
  t.deepEqual(
    (await minorCategoryOptions(db.sequelize)).map((o) => o.value),
    ['99001', '99002'],
  );
});
