/**
 * `npm run audit:verify`: proves the audit log's hash chains intact, or names the first broken record.
 * Exit code 0 when intact, 1 when broken.
 */
import { openDatabase } from '../db/connection.ts';
import { migrate } from '../db/migrator.ts';
import { databaseTarget, loadConfig } from '../server/config.ts';
import { verifyAudit } from '../server/services/audit.service.ts';
import { sequelizeSql } from '../db/sequelize-sql.ts';

const config = loadConfig();
const target = databaseTarget(config);
const sequelize = openDatabase({ target });
await migrate(sequelize);
const result = await verifyAudit(sequelizeSql(sequelize));
await sequelize.close();
if (result.ok) {
  console.log(`Audit log intact: ${result.records} records in ${result.chains} chains.`);
} else {
  const b = result.broken;
  console.error(
    `Audit log BROKEN at record ${b.seq} (chain ${b.chain}, #${b.chainSeq}): ${b.reason}. ${result.records} records before it verified.`,
  );
  process.exit(1);
}
