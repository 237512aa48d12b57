/**
 * `npm run bench:audit`: what appending to the audit log costs per record, on a fresh SQLite database (or
 * DATABASE_URL's MySQL) through the engine's own transaction path, as the audit exporter appends: one
 * append per command with that command's engine events (9 records, the case loop's average), commands 8 at
 * a time over 200 case chains. Prints CPU and wall time per record, and apart, the JavaScript alone (the
 * masked canonical payload and the SHA-256 of each record). A benchmark that prints figures, not a test.
 */
import { performance } from 'node:perf_hooks';
import { TransactionRunner } from '../engine/embedded/transactions.ts';
import { loadConfig } from '../server/config.ts';
import { freshDatabase } from './cases/database.ts';
import {
  type AuditRecord,
  type StoredAudit,
  GENESIS,
  appendAudit,
  maskedCanonicalJson,
  recordHash,
} from '../server/services/audit.service.ts';

const COMMANDS = Number(process.env.BENCH_AUDIT_COMMANDS ?? 4000);
const PER_COMMAND = 9;
const IN_FLIGHT = 8;
const CHAINS = 200;

/** Engine events as the audit exporter records them: element events and variables, one with a phone. */
function records(caseId: number, n: number, at: number): AuditRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    at,
    actor: 'city.dispatcher',
    action: i % 3 === 0 ? 'engine.VARIABLE_CREATED' : 'engine.ELEMENT_ACTIVATED',
    entityType: 'process_instance',
    entityId: String(2251799813685249 + caseId),
    caseId,
    payload:
      i % 3 === 0
        ? {
            position: i,
            elementId: null,
            elementType: null,
            elementInstanceKey: null,
            name: 'reporterPhone',
            value: '13812345678',
            scopeKey: String(2251799813685249 + caseId),
          }
        : {
            position: i,
            elementId: 'stage-handling',
            elementType: 'SERVICE_TASK',
            elementInstanceKey: String(2251799813690000 + i),
            flowScopeKey: String(2251799813685249 + caseId),
            bpmnProcessId: 'case-lifecycle',
            version: 1,
          },
  }));
}

const config = loadConfig({ ...process.env });
const db = await freshDatabase(config, 'audit', { withQueryIndexes: true });
const runner = new TransactionRunner(db.sequelize, db.dialect);

console.log(`Gridflow audit benchmark — ${db.description}, node ${process.version}`);
console.log(`  ${COMMANDS} appends of ${PER_COMMAND} records, ${IN_FLIGHT} at a time, ${CHAINS} chains\n`);
try {
  for (const round of [1, 2, 3]) {
    let next = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < COMMANDS) {
          const caseId = round * 100_000 + (next++ % CHAINS);
          await runner.run(({ sql }) =>
            appendAudit(
              { dialect: db.dialect, all: (t, p) => sql.all(t, p), run: (t, p) => sql.run(t, p) },
              records(caseId, PER_COMMAND, Date.now()),
            ),
          );
        }
      }),
    );
    const wall = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const n = COMMANDS * PER_COMMAND;
    console.log(
      `  round ${round}: ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU per record, ${((wall * 1000) / n).toFixed(1)} µs wall`,
    );
  }
  const list = records(1, 20_000, Date.now());
  const stored: StoredAudit[] = list.map((r, i) => ({
    chain: 'case:1',
    chainSeq: i + 1,
    at: r.at,
    actor: r.actor,
    action: r.action,
    entityType: r.entityType,
    entityId: r.entityId ?? null,
    caseId: 1,
    payload: null,
    prevHash: GENESIS,
    hash: '',
  }));
  for (const round of [1, 2, 3]) {
    const start = performance.now();
    let prev = GENESIS;
    for (let i = 0; i < list.length; i++) {
      const s = stored[i];
      s.payload = maskedCanonicalJson(list[i].payload);
      s.prevHash = prev;
      prev = s.hash = recordHash(prev, s);
    }
    const us = ((performance.now() - start) * 1000) / list.length;
    console.log(
      `  JavaScript alone, round ${round} (masked payload and hash): ${us.toFixed(1)} µs per record`,
    );
  }
} finally {
  await db.cleanup();
}
