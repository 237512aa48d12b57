import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import * as createEngineTables from './migrations/20261127-0001-create-engine-tables.ts';
import * as createDomainTables from './migrations/20261127-0002-create-domain-tables.ts';
import * as createWorkflowTables from './migrations/20261127-0003-create-workflow-tables.ts';
import * as createSessionTable from './migrations/20261128-0004-create-session-table.ts';
import * as outboxDelivery from './migrations/20261128-0005-outbox-delivery.ts';
import * as queryIndexes from './migrations/20261128-0006-query-indexes.ts';
import * as openCandidates from './migrations/20261128-0007-open-candidates.ts';
import * as caseParty from './migrations/20261128-0008-case-party.ts';
import * as candidateDueOrder from './migrations/20261128-0009-candidate-due-order.ts';
import * as casePartyStatus from './migrations/20261128-0010-case-party-status.ts';
import * as auditWriteIndexes from './migrations/20261128-0011-audit-write-indexes.ts';

/** Every migration, in order. Add new ones at the end; never edit one that has shipped. */
const MIGRATIONS = [
  { name: '20261127-0001-create-engine-tables', module: createEngineTables },
  { name: '20261127-0002-create-domain-tables', module: createDomainTables },
  { name: '20261127-0003-create-workflow-tables', module: createWorkflowTables },
  { name: '20261128-0004-create-session-table', module: createSessionTable },
  { name: '20261128-0005-outbox-delivery', module: outboxDelivery },
  { name: '20261128-0006-query-indexes', module: queryIndexes },
  { name: '20261128-0007-open-candidates', module: openCandidates },
  { name: '20261128-0008-case-party', module: caseParty },
  { name: '20261128-0009-candidate-due-order', module: candidateDueOrder },
  { name: '20261128-0010-case-party-status', module: casePartyStatus },
  { name: '20261128-0011-audit-write-indexes', module: auditWriteIndexes },
];

/** The umzug migrator over the application database; the `migrations` table records what ran. */
export function createMigrator(sequelize: Sequelize): Umzug<QueryInterface> {
  return new Umzug<QueryInterface>({
    migrations: MIGRATIONS.map(({ name, module }) => ({ name, up: module.up, down: module.down })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'migrations' }),
    logger: undefined,
  });
}

/** Brings the schema up to date; safe to run at every start. Resolves with the names of the migrations it ran. */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  return (await createMigrator(sequelize).up()).map((m) => m.name);
}
