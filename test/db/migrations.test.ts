import test from 'ava';
import { createMigrator } from '../../db/migrator.ts';
import { openTestDatabase } from '../helpers/database.ts';

test('every migration can be undone to an empty schema and done again', async (t) => {
  const db = await openTestDatabase();
  t.teardown(() => db.close());
  const migrator = createMigrator(db.sequelize);
  const applied = (await migrator.executed()).map((m) => m.name);
  t.true(applied.includes('20261128-0008-case-party'));

  await migrator.down({ to: 0 });
  t.deepEqual(await migrator.executed(), []);
  const left = (await db.sequelize.getQueryInterface().showAllTables()).filter((n) => n !== 'migrations');
  t.deepEqual(left, []);

  await migrator.up();
  t.deepEqual(
    (await migrator.executed()).map((m) => m.name),
    applied,
  );
});
