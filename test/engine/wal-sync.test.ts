import { fdatasync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { QueryTypes, type Sequelize } from 'sequelize';
import { ManualClock } from '../../common/clock.ts';
import { openDatabase } from '../../db/connection.ts';
import { migrate } from '../../db/migrator.ts';
import { EmbeddedEngine } from '../../engine/embedded/embedded-engine.ts';
import { WalSync } from '../../engine/embedded/wal-sync.ts';
import { fixture } from '../helpers/engine.ts';

// ADR 0008: with synchronous = FULL asked for, the engine's writer commits with NORMAL and syncs the WAL from
// the thread pool; a command is answered only once that sync has ended.

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gridflow-walsync-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('syncs asked for while one runs share the next one', async (t) => {
  const file = path.join(tempDir(t), 'x-wal');
  writeFileSync(file, 'frames');
  const sync = new WalSync(file);
  t.teardown(() => sync.close());

  await Promise.all(Array.from({ length: 20 }, () => sync.sync()));

  // The first starts at once; the other 19 wait for it and then go out together.
  t.is(sync.syncs, 2);
});

test('a sync that cannot run rejects its callers, and a later one runs', async (t) => {
  const file = path.join(tempDir(t), 'missing-wal');
  const sync = new WalSync(file);
  t.teardown(() => sync.close());

  const err = await t.throwsAsync(sync.sync());
  t.is((err as NodeJS.ErrnoException).code, 'ENOENT');

  writeFileSync(file, 'frames');
  await t.notThrowsAsync(sync.sync());
});

async function fullEngine(t: { teardown(fn: () => Promise<void> | void): void }): Promise<{
  engine: EmbeddedEngine;
  sequelize: Sequelize;
}> {
  const storage = path.join(tempDir(t), 'full.sqlite');
  const sequelize = openDatabase({ target: { dialect: 'sqlite', storage, synchronous: 'FULL' } });
  await migrate(sequelize);
  const engine = new EmbeddedEngine({ sequelize, clock: new ManualClock(), schedulerIntervalMs: 0 });
  await engine.start();
  t.teardown(async () => {
    await engine.stop();
    await sequelize.close();
  });
  await engine.deploy([fixture('six-step.bpmn')]);
  return { engine, sequelize };
}

test.serial('a command is answered only after the WAL sync that follows its commit', async (t) => {
  const { engine, sequelize } = await fullEngine(t);
  const original = WalSync.prototype.sync;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let asked = 0;
  WalSync.prototype.sync = async function (this: WalSync) {
    asked++;
    await held;
    return original.call(this);
  };
  t.teardown(() => {
    WalSync.prototype.sync = original;
  });

  let answered = false;
  const created = engine.createProcessInstance({ bpmnProcessId: 'six-step' }).then((pi) => {
    answered = true;
    return pi;
  });
  // The command commits (another connection sees its instance) but waits for the sync.
  let visible = 0;
  for (let i = 0; i < 200 && visible === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const [row] = await sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM engine_process_instance', {
      type: QueryTypes.SELECT,
    });
    visible = Number(row.n);
  }
  t.is(visible, 1);
  t.true(asked >= 1);
  t.false(answered);

  release();
  const pi = await created;
  t.true(answered);
  t.truthy(pi.processInstanceKey);
});

test.serial('the writer commits with NORMAL; the other connections keep FULL', async (t) => {
  const { engine, sequelize } = await fullEngine(t);
  await engine.createProcessInstance({ bpmnProcessId: 'six-step' });
  const [other] = await sequelize.query<{ synchronous: number }>('PRAGMA synchronous', {
    type: QueryTypes.SELECT,
  });
  t.is(Number(other.synchronous), 2);
  const writer = (engine as unknown as { transactions: { walSync: WalSync | null } }).transactions.walSync;
  t.true(writer instanceof WalSync);
  t.true((writer?.syncs ?? 0) >= 1);
});

test.serial('a failed WAL sync fails the commands it should have made durable', async (t) => {
  const { engine } = await fullEngine(t);
  const original = WalSync.prototype.sync;
  WalSync.prototype.sync = () => Promise.reject(new Error('EIO: disk gone'));
  t.teardown(() => {
    WalSync.prototype.sync = original;
  });

  const err = await t.throwsAsync(engine.createProcessInstance({ bpmnProcessId: 'six-step' }));
  t.regex(err.message, /could not be made durable.*EIO/);
});

test.serial(
  'a group stays open while the previous sync runs: commands that come meanwhile commit together',
  async (t) => {
    const { engine, sequelize } = await fullEngine(t);
    const runner = (engine as unknown as { transactions: { walSync: WalSync; groupHoldMs: number } })
      .transactions;
    // Room for a loaded machine: the hold ends with the slow sync below, not with its time limit.
    runner.groupHoldMs = 5000;
    const storage = (sequelize as unknown as { options: { storage: string } }).options.storage;
    // A disk that takes 300 ms for the first sync, then the real one.
    let calls = 0;
    const slow = new WalSync(`${storage}-wal`, (fd, cb) => {
      calls++;
      if (calls === 1) setTimeout(() => fdatasync(fd, cb), 300);
      else fdatasync(fd, cb);
    });
    runner.walSync = slow;
    t.teardown(() => slow.close());
    // Each group commit asks for one sync.
    let groups = 0;
    const sync = slow.sync.bind(slow);
    slow.sync = () => {
      groups++;
      return sync();
    };

    const first = engine.createProcessInstance({ bpmnProcessId: 'six-step' });
    // Three more once the first one's group has committed and its sync runs, each a few turns of the event
    // loop after the one before (without the hold, each would commit in a group of its own).
    const turn = () => new Promise((r) => setImmediate(r));
    while (groups === 0) await turn();
    const later: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      later.push(engine.createProcessInstance({ bpmnProcessId: 'six-step' }));
      await turn();
      await turn();
      await turn();
    }
    await Promise.all([first, ...later]);

    // The first command's group, then one group for the other three.
    t.is(groups, 2);
    t.is(slow.syncs, 2);
  },
);
