import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { DataTypes, Sequelize, Transaction, UniqueConstraintError } from 'sequelize';
import { openDatabase } from '../../db/connection.ts';
import { createSqliteDriver } from '../../db/sqlite-driver.ts';

function tempFile(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gridflow-driver-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'db.sqlite');
}

function open(storage: string, busyTimeoutMs?: number): Sequelize {
  if (busyTimeoutMs === undefined)
    return openDatabase({ target: { dialect: 'sqlite', storage, synchronous: 'NORMAL' } });
  return new Sequelize({
    dialect: 'sqlite',
    storage,
    logging: false,
    dialectModule: createSqliteDriver({ pragmas: ['journal_mode = WAL'], busyTimeoutMs }),
    transactionType: Transaction.TYPES.IMMEDIATE,
  });
}

test('Sequelize models work through the driver: dates, booleans, updates, deletes, ordering', async (t) => {
  const sequelize = open(tempFile(t));
  t.teardown(() => sequelize.close());
  const Note = sequelize.define('Note', {
    title: { type: DataTypes.STRING, allowNull: false },
    done: { type: DataTypes.BOOLEAN, defaultValue: false },
    dueAt: DataTypes.DATE,
  });
  await Note.sync();
  const due = new Date('2026-03-01T08:30:00.000Z');

  const a = await Note.create({ title: '井盖缺失', dueAt: due });
  await Note.create({ title: 'street light', done: true });
  await Note.update({ done: true }, { where: { id: a.get('id') } });
  const found = await Note.findAll({ order: [['title', 'ASC']] });
  await Note.destroy({ where: { title: 'street light' } });

  t.deepEqual(
    found.map((n) => [n.get('title'), n.get('done')]),
    [
      ['street light', true],
      ['井盖缺失', true],
    ],
  );
  t.is((found[1].get('dueAt') as Date).toISOString(), due.toISOString());
  t.is(await Note.count(), 1);
});

test('a unique violation surfaces as Sequelize UniqueConstraintError', async (t) => {
  const sequelize = open(tempFile(t));
  t.teardown(() => sequelize.close());
  const Code = sequelize.define('Code', { code: { type: DataTypes.STRING, unique: true } });
  await Code.sync();
  await Code.create({ code: '06001' });

  const error = await t.throwsAsync(Code.create({ code: '06001' }));
  t.true(error instanceof UniqueConstraintError);
});

test('a Sequelize transaction that throws leaves nothing behind', async (t) => {
  const sequelize = open(tempFile(t));
  t.teardown(() => sequelize.close());
  const Row = sequelize.define('Row', { v: DataTypes.INTEGER });
  await Row.sync();

  await t.throwsAsync(
    sequelize.transaction(async (transaction) => {
      await Row.create({ v: 1 }, { transaction });
      throw new Error('abort');
    }),
  );
  t.is(await Row.count(), 0);
});

test('a writer on a second connection waits for the first one without blocking the event loop', async (t) => {
  const storage = tempFile(t);
  const a = open(storage);
  const b = open(storage);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await a.query('CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)');

  let release!: () => void;
  const holding = new Promise<void>((r) => (release = r));
  const first = a.transaction(async (transaction) => {
    await a.query("INSERT INTO t (id, who) VALUES (1, 'a')", { transaction });
    await holding;
  });
  await new Promise((r) => setTimeout(r, 20));
  let bDone = false;
  const second = b.query("INSERT INTO t (id, who) VALUES (2, 'b')").then(() => (bDone = true));
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  // Five ticks of the event loop while b waits; on a loaded machine they may take longer than 25 ms, so wait
  // for them (up to 3 s). A driver that blocked the thread on the lock would run none until b gave up.
  const until = Date.now() + 3000;
  while (ticks < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  const ticksWhileWaiting = ticks;
  const bDoneWhileHeld = bDone;
  release();
  await first;
  await second;
  clearInterval(ticker);

  t.false(bDoneWhileHeld);
  t.true(ticksWhileWaiting >= 5, `the event loop ran only ${ticksWhileWaiting} ticks while b waited`);
  const rows = await a.query('SELECT who FROM t ORDER BY id', { type: 'SELECT' });
  t.deepEqual(rows, [{ who: 'a' }, { who: 'b' }]);
});

test('a writer that waits longer than the busy time-out gets SQLITE_BUSY', async (t) => {
  const storage = tempFile(t);
  const a = open(storage, 200);
  const b = open(storage, 200);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await a.query('CREATE TABLE t (id INTEGER PRIMARY KEY)');
  let release!: () => void;
  const holding = new Promise<void>((r) => (release = r));
  const first = a.transaction(async (transaction) => {
    await a.query('INSERT INTO t (id) VALUES (1)', { transaction });
    await holding;
  });
  await new Promise((r) => setTimeout(r, 20));

  const error = await t.throwsAsync(b.query('INSERT INTO t (id) VALUES (2)'));
  release();
  await first;
  t.regex(String((error as { parent?: { code?: string } }).parent?.code ?? error.message), /SQLITE_BUSY/);
});
