import test from 'ava';
import { QueryTypes } from 'sequelize';
import { type CaseWorld, createCaseWorld } from '../helpers/case-world.ts';
import { api } from '../helpers/http.ts';

// GET /api/cases/:id/audit: the case's audit chain (审计链) for the replay page, verified on every read, so
// that a record changed in the database behind the application's back is named.

interface AuditBody {
  verification: {
    ok: boolean;
    records: number;
    chains: number;
    broken?: { seq: number; chain: string; chainSeq: number; reason: string };
  };
  records: {
    chainSeq: number;
    at: string;
    actor: string;
    action: string;
    entityType: string;
    entityId: string | null;
    hash: string;
    events?: { intent: string; elementId: string | null; elementType: string | null; name?: string }[];
  }[];
  truncated: boolean;
}

let w: CaseWorld;
test.before(async () => {
  w = await createCaseWorld();
});
test.after.always(() => w?.close());

/** A hotline case registered by the city centre (the workers have run); without a location, so no merging. */
async function registeredCase(): Promise<{ id: number }> {
  const filed = await w.file({
    source: 'hotline_12345',
    reporterName: '王先生',
    reporterPhone: '13812345678',
    description: '小区门口垃圾堆放三天无人清运，联系 13812345678',
    categoryCode: '06001',
  });
  await w.completeTask(filed.id, 'register', 'register', { categoryCode: '06001', urgency: 'normal' });
  return filed;
}

test.serial('a fresh case’s chain verifies, and lists its records in order without payloads', async (t) => {
  // Given a registered case
  const c = await registeredCase();

  // When an auditor reads its audit trail
  const res = await api<AuditBody>(w, await w.signIn('city.auditor'), 'GET', `/api/cases/${c.id}/audit`);

  // Then the chain is intact and every record is listed, from 1 without a gap
  t.is(res.status, 200);
  t.like(res.body.verification, { ok: true, chains: 1 });
  t.is(res.body.verification.records, res.body.records.length);
  t.false(res.body.truncated);
  t.deepEqual(
    res.body.records.map((r) => r.chainSeq),
    res.body.records.map((_, i) => i + 1),
  );
  t.like(res.body.records[0], { action: 'case.created', entityType: 'case', entityId: String(c.id) });
  t.true(res.body.records.some((r) => r.action === 'engine.USER_TASK_COMPLETED' && r.actor === 'tester'));
  t.true(res.body.records.every((r) => /^[0-9a-f]{12}$/.test(r.hash) && !Number.isNaN(Date.parse(r.at))));
  // One record per command on the instance (ADR 0007): named after its first event, listing all of them
  const engineRecords = res.body.records.filter((r) => r.action.startsWith('engine.'));
  t.true(engineRecords.length >= 3);
  for (const r of engineRecords) t.is(`engine.${r.events?.[0]?.intent}`, r.action);
  const completion = engineRecords.find((r) => r.action === 'engine.USER_TASK_COMPLETED')!;
  t.like(completion.events![0], { intent: 'USER_TASK_COMPLETED', elementId: 'register' });
  t.true(completion.events!.some((e) => e.intent === 'ELEMENT_COMPLETED' && e.elementId === 'register'));
  t.true(completion.events!.some((e) => e.intent === 'VARIABLE_CREATED' && e.name === 'lastAction'));
  t.true(completion.events!.some((e) => e.intent === 'JOB_CREATED' && e.elementId === 'route'));
  t.is(res.body.records.find((r) => r.action === 'case.created')?.events, undefined);
  t.false(JSON.stringify(res.body).includes('13812345678'), 'no phone number, no payload');
  t.false('payload' in res.body.records[0]);
});

test.serial('a record changed in the database is named as the break of the chain', async (t) => {
  // Given a case whose third audit record was edited with raw SQL
  const c = await registeredCase();
  await w.db.sequelize.query("UPDATE audit_log SET actor = 'mallory' WHERE chain = ? AND chain_seq = 3", {
    replacements: [`case:${c.id}`],
  });

  // When its audit trail is read
  const res = await api<AuditBody>(w, await w.signIn('city.auditor'), 'GET', `/api/cases/${c.id}/audit`);

  // Then the verification fails at that record, and says why
  t.is(res.status, 200);
  t.false(res.body.verification.ok);
  t.like(res.body.verification.broken, { chain: `case:${c.id}`, chainSeq: 3 });
  t.regex(res.body.verification.broken!.reason, /hash mismatch/);
  t.is(res.body.records.find((r) => r.chainSeq === 3)?.actor, 'mallory');
  t.is(res.body.verification.records, 2, 'the records before the break are good');

  // And another case's chain is not affected
  const other = await registeredCase();
  const fine = await api<AuditBody>(w, await w.signIn('city.auditor'), 'GET', `/api/cases/${other.id}/audit`);
  t.true(fine.body.verification.ok);
});

test.serial(
  'an engine record whose payload was overwritten is still listed, and named as the break',
  async (t) => {
    // Given a case whose engine records' payloads were overwritten with raw SQL: not an object, odd events
    const c = await registeredCase();
    const engine = await w.db.sequelize.query<{ chain_seq: number }>(
      "SELECT chain_seq FROM audit_log WHERE chain = ? AND action LIKE 'engine.%' ORDER BY chain_seq",
      { replacements: [`case:${c.id}`], type: QueryTypes.SELECT },
    );
    const [first, second] = engine.map((r) => Number(r.chain_seq));
    await w.db.sequelize.query("UPDATE audit_log SET payload = 'null' WHERE chain = ? AND chain_seq = ?", {
      replacements: [`case:${c.id}`, first],
    });
    await w.db.sequelize.query(
      'UPDATE audit_log SET payload = \'{"events":[null,7,{"intent":"ELEMENT_ACTIVATED"}]}\' WHERE chain = ? AND chain_seq = ?',
      { replacements: [`case:${c.id}`, second] },
    );

    // When its audit trail is read
    const res = await api<AuditBody>(w, await w.signIn('city.auditor'), 'GET', `/api/cases/${c.id}/audit`);

    // Then it is listed, the first overwritten record named as the break
    t.is(res.status, 200);
    t.like(res.body.verification.broken, { chainSeq: first });
    t.is(res.body.records.find((r) => r.chainSeq === first)?.events, undefined);
    t.deepEqual(
      res.body.records.find((r) => r.chainSeq === second)?.events?.map((e) => e.intent),
      ['?', '?', 'ELEMENT_ACTIVATED'],
    );
  },
);

test.serial(
  'outside one’s scope the audit trail is the same 404 as a case that does not exist',
  async (t) => {
    const c = await registeredCase();
    const h = await w.signIn('dept.chengguan.handler');
    const hidden = await api<{ status: number; code?: string }>(w, h, 'GET', `/api/cases/${c.id}/audit`);
    const missing = await api<{ status: number; code?: string }>(w, h, 'GET', '/api/cases/99999999/audit');
    t.is(hidden.status, 404);
    t.is(hidden.body.code, missing.body.code);
  },
);
