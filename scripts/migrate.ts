/**
 * `npm run migrate`: brings the configured database (DATABASE_URL, or the SQLite file under DATA_DIR) to the
 * latest schema and prints the migrations it ran. `npm start` does the same on every start; this is for an
 * operator who migrates a production database before rolling out the app.
 */
import { openDatabase } from '../db/connection.ts';
import { migrate } from '../db/migrator.ts';
import { databaseTarget, loadConfig } from '../server/config.ts';

const config = loadConfig();
const sequelize = openDatabase({ target: databaseTarget(config) });
try {
  const ran = await migrate(sequelize);
  console.log(
    ran.length === 0 ? 'The database is up to date.' : `Ran ${ran.length} migration(s): ${ran.join(', ')}`,
  );
} finally {
  await sequelize.close();
}
