import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import { openDatabase } from '../../db/connection.ts';
import { migrate } from '../../db/migrator.ts';
import { databaseTarget, loadConfig } from '../../server/config.ts';

/** A fresh, migrated database for one test: a temp SQLite file, or a new MySQL database when DATABASE_URL says MySQL. */
export interface TestDatabase {
  sequelize: Sequelize;
  /** A temp directory for files (attachments), removed on close. */
  dataDir: string;
  /** Opens a second, independent connection to the same database (a "restarted" process). */
  reopen(): Sequelize;
  close(): Promise<void>;
}

/** Creates and migrates a fresh database. */
export async function openTestDatabase(): Promise<TestDatabase> {
  const config = loadConfig();
  const target = databaseTarget(config);
  if (target.dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'gridflow-test-'));
    const storage = path.join(dir, 'test.sqlite');
    const dataDir = path.join(dir, 'files');
    const open = (): Sequelize =>
      openDatabase({ target: { dialect: 'sqlite', storage, synchronous: 'NORMAL' } });
    const sequelize = open();
    await migrate(sequelize);
    const extra: Sequelize[] = [];
    return {
      sequelize,
      dataDir,
      reopen: () => {
        const s = open();
        extra.push(s);
        return s;
      },
      close: async () => {
        for (const s of extra) await s.close();
        await sequelize.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const filesDir = mkdtempSync(path.join(tmpdir(), 'gridflow-files-'));
  const url = new URL(target.url);
  const name = `gf_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Sequelize(target.url, { dialect: 'mysql', logging: false });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  url.pathname = `/${name}`;
  const open = (): Sequelize =>
    openDatabase({ target: { dialect: 'mysql', url: url.toString(), poolMax: 10 } });
  const sequelize = open();
  await migrate(sequelize);
  const extra: Sequelize[] = [];
  return {
    sequelize,
    dataDir: filesDir,
    reopen: () => {
      const s = open();
      extra.push(s);
      return s;
    },
    close: async () => {
      for (const s of extra) await s.close();
      await sequelize.close();
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.close();
      rmSync(filesDir, { recursive: true, force: true });
    },
  };
}
