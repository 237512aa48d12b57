/**
 * `npm run bench:audit`: what appending to the audit log costs, on a fresh SQLite database (or DATABASE_URL's
 * MySQL) through the engine's own transaction path, as the audit exporter appends: one append per command
 * with that command's engine events (12, the case loop's average), commands 8 at a time over 200 case
 * chains. Two shapes in the same run: one record holding the command's events (what the exporter writes,
 * ADR 0007), and one record per event (what it wrote before). Prints CPU and wall time per command and per
 * event, and apart, the JavaScript alone (the masked canonical payload and the SHA-256 of each record). A
 * benchmark that prints figures, not a test.
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
  maskedPayloadJson,
  recordHash,
} from '../server/services/audit.service.ts';

const COMMANDS = Number(process.env.BENCH_AUDIT_COMMANDS ?? 4000);
const PER_COMMAND = 12;
const IN_FLIGHT = 8;
const CHAINS = 200;

/**
 * Engine events as the audit exporter records them: element events and variables. One command in 15 — the
 * intake's, on the shortest path — carries the reporter's phone number, which the log masks.
 */
function events(caseId: number, n: number, withPhone: boolean): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 0
      ? {
          position: i,
          intent: 'VARIABLE_CREATED',
          elementId: 'case-lifecycle',
          elementType: 'PROCESS',
          elementInstanceKey: null,
          name: withPhone && i === 0 ? 'reporterPhone' : 'stageDueAt',
          value: withPhone && i === 0 ? '13812345678' : '2026-12-01T08:00:00.000Z',
          scopeKey: String(2251799813685249 + caseId),
        }
      : {
          position: i,
          intent: 'ELEMENT_ACTIVATED',
          elementId: 'stage-handling',
          elementType: 'SERVICE_TASK',
          elementInstanceKey: String(2251799813690000 + i),
          flowScopeKey: String(2251799813685249 + caseId),
          bpmnProcessId: 'case-lifecycle',
          version: 1,
        },
  );
}

type Shape = 'one record per command' | 'one record per event';

/** A command's audit records in either shape. */
function records(caseId: number, n: number, at: number, shape: Shape, withPhone: boolean): AuditRecord[] {
  const base = {
    at,
    actor: 'city.dispatcher',
    entityType: 'process_instance',
    entityId: String(2251799813685249 + caseId),
    caseId,
  };
  const list = events(caseId, n, withPhone);
  return shape === 'one record per command'
    ? [{ ...base, action: `engine.${String(list[0].intent)}`, payload: { events: list } }]
    : list.map((e) => ({ ...base, action: `engine.${String(e.intent)}`, payload: e }));
}

const config = loadConfig({ ...process.env });
const db = await freshDatabase(config, 'audit', { withQueryIndexes: true });
const runner = new TransactionRunner(db.sequelize, db.dialect);

console.log(`Gridflow audit benchmark — ${db.description}, node ${process.version}`);
console.log(
  `  ${COMMANDS} appends of a command's ${PER_COMMAND} events, ${IN_FLIGHT} at a time, ${CHAINS} chains, in each shape\n`,
);
try {
  for (const [round, shape] of [1, 2, 3].flatMap((r) =>
    (['one record per command', 'one record per event'] as const).map((s) => [r, s] as const),
  )) {
    let next = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < COMMANDS) {
          const command = next++;
          const caseId = round * 100_000 + (command % CHAINS);
          await runner.run(({ sql }) =>
            appendAudit(
              { dialect: db.dialect, all: (t, p) => sql.all(t, p), run: (t, p) => sql.run(t, p) },
              records(caseId, PER_COMMAND, Date.now(), shape, command % 15 === 0),
            ),
          );
        }
      }),
    );
    const wall = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const perCommand = (cpu.user + cpu.system) / COMMANDS;
    console.log(
      `  round ${round}, ${shape.padEnd(22)}: ${perCommand.toFixed(0)} µs CPU per command (${(perCommand / PER_COMMAND).toFixed(1)} per event), ${((wall * 1000) / COMMANDS).toFixed(0)} µs wall`,
    );
  }
  // The JavaScript alone: a command's record (12 events) masked, serialized and hashed, 2 000 times; without
  // a phone number (14 commands in 15) the payload is JSON.stringify, with one it goes through the masking
  // writer, as every payload did before.
  for (const withPhone of [false, true]) {
    const [record] = records(1, PER_COMMAND, Date.now(), 'one record per command', withPhone);
    for (const [name, serialize] of [
      ['maskedPayloadJson', maskedPayloadJson],
      ['maskedCanonicalJson', maskedCanonicalJson],
    ] as const) {
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const start = performance.now();
        let prev = GENESIS;
        for (let i = 0; i < 2000; i++) {
          const stored: StoredAudit = {
            chain: 'case:1',
            chainSeq: i + 1,
            at: record.at,
            actor: record.actor,
            action: record.action,
            entityType: record.entityType,
            entityId: record.entityId ?? null,
            caseId: 1,
            payload: serialize(record.payload),
            prevHash: prev,
            hash: '',
          };
          prev = stored.hash = recordHash(prev, stored);
        }
        best = Math.min(best, ((performance.now() - start) * 1000) / 2000);
      }
      console.log(
        `  JavaScript alone, ${withPhone ? 'with a phone number   ' : 'without a phone number'}, ${name.padEnd(19)}: ${best.toFixed(1)} µs per command record (best of 3)`,
      );
    }
  }
} finally {
  await db.cleanup();
}
