import test from 'ava';
import type { Sequelize } from 'sequelize';
import { sequelizeSql } from '../../../db/sequelize-sql.ts';
import { createHash } from 'node:crypto';
import {
  type AuditRecord,
  GENESIS,
  type StoredAudit,
  appendAudit,
  canonicalJson,
  maskedCanonicalJson,
  maskedPayloadJson,
  recordHash,
  verifyAudit,
} from '../../../server/services/audit.service.ts';
import { openTestDatabase } from '../../helpers/database.ts';
import { maskPersonalData } from '../../../common/mask.ts';

const record = (i: number, caseId: number | null): AuditRecord => ({
  at: Date.UTC(2026, 0, 5) + i,
  actor: 'city.dispatcher',
  action: 'case.dispatched',
  entityType: 'case',
  entityId: caseId == null ? null : String(caseId),
  caseId,
  payload: { step: i, to: '真州镇', reporterPhone: '13812345678', note: '回电 13912345678 确认' },
});

async function withDb(t: { teardown: (fn: () => Promise<void>) => void }): Promise<Sequelize> {
  const db = await openTestDatabase();
  t.teardown(() => db.close());
  return db.sequelize;
}

async function appendInTransaction(sequelize: Sequelize, records: AuditRecord[]): Promise<void> {
  await sequelize.transaction(async (transaction) =>
    appendAudit(sequelizeSql(sequelize, transaction), records),
  );
}

test('appended records verify as intact chains, one per case plus system', async (t) => {
  const sequelize = await withDb(t);
  await appendInTransaction(sequelize, [record(1, 7), record(2, 7), record(3, null)]);
  await appendInTransaction(sequelize, [record(4, 8), record(5, 7)]);

  t.deepEqual(await verifyAudit(sequelizeSql(sequelize)), { ok: true, records: 5, chains: 3 });
});

test('phone numbers are masked in what the audit log stores', async (t) => {
  const sequelize = await withDb(t);
  await appendInTransaction(sequelize, [record(1, 7)]);

  const [row] = await sequelizeSql(sequelize).all<{ payload: string }>('SELECT payload FROM audit_log');
  t.false(row.payload.includes('13812345678'));
  t.false(row.payload.includes('13912345678'));
  t.true(row.payload.includes('138****5678'));
  t.true(row.payload.includes('139****5678'));
});

test('a changed field is found and named with its record', async (t) => {
  const sequelize = await withDb(t);
  await appendInTransaction(sequelize, [record(1, 7), record(2, 7), record(3, 7)]);
  const sql = sequelizeSql(sequelize);
  const [second] = await sql.all<{ seq: number }>(
    "SELECT seq FROM audit_log WHERE chain = 'case:7' AND chain_seq = 2",
  );
  await sql.run("UPDATE audit_log SET actor = 'someone.else' WHERE seq = ?", [second.seq]);

  const result = await verifyAudit(sql);
  t.false(result.ok);
  if (!result.ok) {
    t.is(Number(result.broken.seq), Number(second.seq));
    t.is(result.broken.chainSeq, 2);
    t.regex(result.broken.reason, /hash mismatch/);
  }
});

test('a record removed from the middle or from the end of a chain is found', async (t) => {
  const sequelize = await withDb(t);
  await appendInTransaction(sequelize, [
    record(1, 7),
    record(2, 7),
    record(3, 7),
    record(4, 9),
    record(5, 9),
  ]);
  const sql = sequelizeSql(sequelize);

  await sql.run("DELETE FROM audit_log WHERE chain = 'case:9' AND chain_seq = 2");
  const tail = await verifyAudit(sql);
  t.false(tail.ok);
  if (!tail.ok) t.regex(tail.broken.reason, /removed/);

  await sql.run("DELETE FROM audit_log WHERE chain = 'case:7' AND chain_seq = 2");
  const middle = await verifyAudit(sql);
  t.false(middle.ok);
  if (!middle.ok) {
    t.is(middle.broken.chain, 'case:7');
    t.regex(middle.broken.reason, /record 2 of chain case:7 is missing/);
  }
});

test('transactions that start the same new chain at once queue behind each other: no fork, no deadlock', async (t) => {
  // On MySQL, INSERTs of one new chain head that fail as duplicates took shared locks, and two of them then
  // asking for the head's exclusive lock deadlocked (ER_LOCK_DEADLOCK, seen in CI under load).
  const sequelize = await withDb(t);
  for (let round = 0; round < 10; round++) {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => appendInTransaction(sequelize, [record(i, 100 + round)])),
    );
  }
  t.deepEqual(await verifyAudit(sequelizeSql(sequelize)), { ok: true, records: 100, chains: 10 });
});

test('concurrent appends to one chain never fork it', async (t) => {
  const sequelize = await withDb(t);
  await Promise.all(Array.from({ length: 20 }, (_, i) => appendInTransaction(sequelize, [record(i, 42)])));

  t.deepEqual(await verifyAudit(sequelizeSql(sequelize)), { ok: true, records: 20, chains: 1 });
});

test('a record hash is the SHA-256 of the previous hash and the canonical JSON of its fields', (t) => {
  const records: StoredAudit[] = [
    {
      chain: 'case:7',
      chainSeq: 3,
      at: 1_790_000_000_123,
      actor: '王五 "dispatcher"',
      action: 'engine.ELEMENT_COMPLETED',
      entityType: 'process_instance',
      entityId: '2251799813685249',
      caseId: 7,
      payload: canonicalJson({ z: 1, a: ['x', { b: null, a: '引号"\\\n' }] }),
      prevHash: GENESIS,
      hash: '',
    },
    {
      chain: 'system',
      chainSeq: 1,
      at: 0,
      actor: 'system',
      action: 'user.created',
      entityType: 'user',
      entityId: null,
      caseId: null,
      payload: null,
      prevHash: GENESIS,
      hash: '',
    },
    { ...({} as StoredAudit), chain: 'system', chainSeq: 2, at: 5, actor: 'a', action: 'b', entityType: 'c' },
  ];
  for (const r of records) {
    const fields = {
      chain: r.chain,
      chainSeq: r.chainSeq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      entityType: r.entityType,
      entityId: r.entityId,
      caseId: r.caseId,
      payload: r.payload,
    };
    const expected = createHash('sha256')
      .update(`${GENESIS}\n${canonicalJson(fields)}`)
      .digest('hex');
    t.is(recordHash(GENESIS, r), expected);
  }
  t.is(canonicalJson({ b: 1, a: { d: undefined, c: [2, 'x'] } }), '{"a":{"c":[2,"x"]},"b":1}');
  // As the audit log's first release hashed it: chains written then still verify.
  t.is(recordHash(GENESIS, records[0]), '3012785cd09f4ea1801319317acb283a7b77eae4f671050b86d361de682fb3ce');
});

test('a masked canonical payload is the canonical JSON of the masked copy, in one pass', (t) => {
  const payloads: unknown[] = [
    {
      reporterPhone: '13812345678',
      contact: { mobile: ['13912345678', '025-8888'], note: '回电 13700001111，或 tel:13700001111' },
      description: '路灯不亮, 联系人 15800002222; 哈希 a13812345678 不是号码',
      variables: [{ name: 'reporterPhone', value: '13812345678' }],
      count: 3,
      missing: undefined,
      nothing: null,
      flags: [true, false, null, undefined, 1.5],
    },
    '13812345678',
    [{ z: 1, a: '13812345678' }],
    // Each alone, so that nothing else in the payload sends it through the masking writer:
    { note: '电话：\n13812345678', key: '2251799813685249' },
    { tab: '\t15800002222' },
    { control: '\u000113912345678' },
    { n: 13812345678 },
    { landline: '值班室 0514-87654321 转 8' },
    { abroad: '+8613812345678', split: '138 1234 5678' },
    { control: '\u00010514-87654321', bracket: '(0514)87654321' },
    { events: [{ position: 1, intent: 'ELEMENT_ACTIVATED', elementId: 'handle', key: '2251799813685249' }] },
    null,
    7,
  ];
  for (const p of payloads) {
    t.is(maskedCanonicalJson(p), canonicalJson(maskPersonalData(p)));
    // The stored form may keep the given key order; it says the same, masked the same
    t.deepEqual(JSON.parse(maskedPayloadJson(p)), JSON.parse(canonicalJson(maskPersonalData(p))));
  }
  const text = maskedCanonicalJson(payloads[0]);
  t.true(text.includes('a13812345678'), 'a run of letters and digits is not a phone number');
  t.false(/1[3-9]\d{9}/.test(text.replace('a13812345678', '')), text);
});
