import { hash } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { MAY_HOLD_PHONE_NUMBER, maskPersonalData, maskString } from '../../common/mask.ts';
import { sequelizeSql } from '../../db/sequelize-sql.ts';

/** The SQL an audit append runs on: the caller's transaction (an engine exporter's, or a service's). */
export interface AuditSql {
  readonly dialect: 'sqlite' | 'mysql';
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<unknown>;
}

/** One thing that happened: a user action or an engine event. */
export interface AuditRecord {
  at: number;
  actor: string;
  action: string;
  entityType: string;
  entityId?: string | null;
  /** The case it belongs to; its chain is `case:<id>`, records without a case go to `system`. */
  caseId?: number | null;
  /** Another chain for records without a case (e.g. `process:<key>`). */
  chain?: string;
  payload?: unknown;
}

/** The genesis hash every chain starts from. */
export const GENESIS = '0'.repeat(64);

/** The chain a record belongs to. */
export function chainOf(record: Pick<AuditRecord, 'caseId' | 'chain'>): string {
  return record.caseId != null ? `case:${record.caseId}` : (record.chain ?? 'system');
}

/** JSON with object keys sorted, so that the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  return writeCanonical(value, false, '');
}

/**
 * `canonicalJson(maskPersonalData(value))` in one pass, without the masked copy: every record of every
 * command goes through it (the audit exporter writes one per engine event).
 */
export function maskedCanonicalJson(value: unknown): string {
  return writeCanonical(value, true, '');
}

/**
 * JSON text that may hold personal data: a phone-like key, or text in which `maskText` would find a phone
 * number (`MAY_HOLD_PHONE_NUMBER`). Every string `maskString` would change matches.
 */
const MAYBE_PERSONAL = new RegExp(`phone|mobile|tel|${MAY_HOLD_PHONE_NUMBER.source}`, 'i');

/**
 * A record's payload as stored: JSON with personal data masked as `maskPersonalData` masks it. The hash
 * covers the stored text, so its key order does not matter to verification. Most payloads — an engine
 * command's events — hold no phone-like key and no mobile number; for those `JSON.stringify` is already the
 * masked text (masking would change no string), written natively in a fraction of the time. The others go
 * through the masking writer, keys sorted.
 */
export function maskedPayloadJson(value: unknown): string {
  const plain = JSON.stringify(value ?? null);
  return MAYBE_PERSONAL.test(plain) ? maskedCanonicalJson(value) : plain;
}

function writeCanonical(value: unknown, mask: boolean, key: string): string {
  if (typeof value === 'string') return JSON.stringify(mask ? maskString(value, key) : value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${writeCanonical(value[i], mask, key)}`;
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(object).sort()) {
    const v = object[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(k)}:${writeCanonical(v, mask, k)}`;
  }
  return `${out}}`;
}

/**
 * The hash of a stored record: covers the previous hash of its chain and every field. The body is
 * `canonicalJson` of the fields (chain, chainSeq, at, actor, action, entityType, entityId, caseId, payload),
 * written out here in its sorted key order because every record of every command is hashed (a test holds
 * the two equal).
 */
export function recordHash(prevHash: string, r: StoredAudit): string {
  // In canonicalJson's key order; a field that is undefined is left out, as canonicalJson leaves it.
  const body =
    `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"at":${JSON.stringify(r.at)}` +
    `${optionalField('caseId', r.caseId)},"chain":${JSON.stringify(r.chain)},"chainSeq":${JSON.stringify(r.chainSeq)}` +
    `${optionalField('entityId', r.entityId)},"entityType":${JSON.stringify(r.entityType)}` +
    `${optionalField('payload', r.payload)}}`;
  return hash('sha256', `${prevHash}\n${body}`, 'hex');
}

const optionalField = (key: string, v: unknown): string =>
  v === undefined ? '' : `,"${key}":${JSON.stringify(v)}`;

/** A record as stored. */
export interface StoredAudit {
  seq?: number;
  chain: string;
  chainSeq: number;
  at: number;
  actor: string;
  action: string;
  entityType: string;
  entityId: string | null;
  caseId: number | null;
  /** Masked JSON text. */
  payload: string | null;
  prevHash: string;
  hash: string;
}

/**
 * Appends records to their chains in the caller's transaction (the audit log is written with the change
 * it records, or not at all). Personal data in payloads is masked before it is stored.
 */
export async function appendAudit(sql: AuditSql, records: readonly AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  const byChain = new Map<string, AuditRecord[]>();
  for (const r of records) {
    const chain = chainOf(r);
    let list = byChain.get(chain);
    if (!list) byChain.set(chain, (list = []));
    list.push(r);
  }
  const chains = [...byChain.keys()].sort();
  const heads = await lockHeads(sql, chains);
  const missing = chains.filter((c) => !heads.some((h) => h.chain === c));
  if (missing.length > 0) {
    for (const chain of missing) {
      // Another transaction may start this chain at the same time: the second waits for the first and then
      // takes the head as it left it. On MySQL the duplicate must be met with an exclusive lock (ON
      // DUPLICATE KEY UPDATE): a plain INSERT that fails takes a shared one, and two of those both asking
      // for the head's exclusive lock below deadlock.
      await sql.run(
        sql.dialect === 'mysql'
          ? 'INSERT INTO audit_chain (chain, last_seq, last_hash) VALUES (?, 0, ?) ON DUPLICATE KEY UPDATE chain = chain'
          : 'INSERT INTO audit_chain (chain, last_seq, last_hash) VALUES (?, 0, ?) ON CONFLICT (chain) DO NOTHING',
        [chain, GENESIS],
      );
    }
    heads.push(...(await lockHeads(sql, missing)));
  }
  const rows: unknown[][] = [];
  for (const head of heads) {
    const chain = head.chain;
    const list = byChain.get(chain)!;
    let prevHash = head.last_hash;
    let chainSeq = Number(head.last_seq);
    for (const r of list) {
      const stored: StoredAudit = {
        chain,
        chainSeq: ++chainSeq,
        at: r.at,
        actor: r.actor,
        action: r.action,
        entityType: r.entityType,
        entityId: r.entityId ?? null,
        caseId: r.caseId ?? null,
        payload: r.payload === undefined ? null : maskedPayloadJson(r.payload),
        prevHash,
        hash: '',
      };
      stored.hash = recordHash(prevHash, stored);
      prevHash = stored.hash;
      rows.push([
        stored.chain,
        stored.chainSeq,
        stored.at,
        stored.actor,
        stored.action,
        stored.entityType,
        stored.entityId,
        stored.caseId,
        stored.payload,
        stored.prevHash,
        stored.hash,
      ]);
    }
    await sql.run('UPDATE audit_chain SET last_seq = ?, last_hash = ? WHERE chain = ?', [
      chainSeq,
      prevHash,
      chain,
    ]);
  }
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    await sql.run(
      `INSERT INTO audit_log (chain, chain_seq, at, actor, action, entity_type, entity_id, case_id, payload, prev_hash, hash) VALUES ${chunk
        .map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .join(', ')}`,
      chunk.flat(),
    );
  }
}

/** Reads and (MySQL) locks chain heads in a fixed order, so concurrent appends queue instead of forking a chain. */
async function lockHeads(
  sql: AuditSql,
  chains: string[],
): Promise<{ chain: string; last_seq: number; last_hash: string }[]> {
  return sql.all<{ chain: string; last_seq: number; last_hash: string }>(
    `SELECT chain, last_seq, last_hash FROM audit_chain WHERE chain IN (${chains.map(() => '?').join(', ')}) ORDER BY chain${sql.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
    chains,
  );
}

/** The outcome of a verification. */
export type AuditVerification =
  | { ok: true; records: number; chains: number }
  | {
      ok: false;
      records: number;
      chains: number;
      broken: { seq: number; chain: string; chainSeq: number; reason: string };
    };

interface AuditRow {
  seq: number | string;
  chain: string;
  chain_seq: number | string;
  at: number | string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  case_id: number | string | null;
  payload: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * Walks every chain in order and recomputes each hash. Names the first broken record: a changed field
 * (hash mismatch), a record that does not follow its predecessor (prev_hash), or a missing record (a gap in
 * chain_seq). Reads in pages, so it runs over millions of records in constant memory.
 */
export async function verifyAudit(
  sql: AuditSql,
  options: { chain?: string } = {},
): Promise<AuditVerification> {
  let records = 0;
  let chains = 0;
  let currentChain: string | null = null;
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let after: [string, number] = ['', 0];
  for (;;) {
    const where = options.chain
      ? 'chain = ? AND chain_seq > ?'
      : '(chain > ? OR (chain = ? AND chain_seq > ?))';
    const params = options.chain ? [options.chain, after[1]] : [after[0], after[0], after[1]];
    const page = await sql.all<AuditRow>(
      `SELECT * FROM audit_log WHERE ${where} ORDER BY chain, chain_seq LIMIT 2000`,
      params,
    );
    if (page.length === 0) break;
    for (const row of page) {
      const r: StoredAudit = {
        seq: Number(row.seq),
        chain: row.chain,
        chainSeq: Number(row.chain_seq),
        at: Number(row.at),
        actor: row.actor,
        action: row.action,
        entityType: row.entity_type,
        entityId: row.entity_id,
        caseId: row.case_id == null ? null : Number(row.case_id),
        payload: row.payload,
        prevHash: row.prev_hash,
        hash: row.hash,
      };
      if (r.chain !== currentChain) {
        currentChain = r.chain;
        chains++;
        prevHash = GENESIS;
        expectedSeq = 1;
      }
      const broken = (reason: string): AuditVerification => ({
        ok: false,
        records,
        chains,
        broken: { seq: r.seq!, chain: r.chain, chainSeq: r.chainSeq, reason },
      });
      if (r.chainSeq !== expectedSeq) return broken(`record ${expectedSeq} of chain ${r.chain} is missing`);
      if (r.prevHash !== prevHash)
        return broken('it does not follow the previous record (prev_hash differs)');
      if (recordHash(prevHash, r) !== r.hash) return broken('its content was changed (hash mismatch)');
      prevHash = r.hash;
      expectedSeq++;
      records++;
      after = [r.chain, r.chainSeq];
    }
  }
  // A chain whose head is ahead of its last record lost its tail.
  const heads = await sql.all<{ chain: string; last_seq: number | string; last_hash: string }>(
    `SELECT chain, last_seq, last_hash FROM audit_chain${options.chain ? ' WHERE chain = ?' : ''}`,
    options.chain ? [options.chain] : [],
  );
  for (const h of heads) {
    const last = await sql.all<{ seq: number | string; chain_seq: number | string; hash: string }>(
      'SELECT seq, chain_seq, hash FROM audit_log WHERE chain = ? ORDER BY chain_seq DESC LIMIT 1',
      [h.chain],
    );
    const lastSeq = last.length > 0 ? Number(last[0].chain_seq) : 0;
    if (lastSeq !== Number(h.last_seq) || (last.length > 0 && last[0].hash !== h.last_hash)) {
      return {
        ok: false,
        records,
        chains,
        broken: {
          seq: last.length > 0 ? Number(last[0].seq) : 0,
          chain: h.chain,
          chainSeq: Number(h.last_seq),
          reason: `the chain ends at record ${lastSeq} but its head says ${Number(h.last_seq)}: records were removed`,
        },
      };
    }
  }
  return { ok: true, records, chains };
}

/** At most this many audit records are listed (the verification still walks the whole chain). */
const AUDIT_RECORDS_MAX = 5000;

/** One engine event inside an audit record, as the replay lists it: what happened, to which element. */
export interface AuditEventView {
  intent: string;
  elementId: string | null;
  elementType: string | null;
  /** A variable event's variable (its name; the value stays in the payload). */
  name?: string;
}

/**
 * One audit record as the replay lists it: no payload, the hash shortened to 12 hex digits. A record of the
 * engine (`engine.*`) holds every event of one command on the instance (ADR 0007): `events` lists them in
 * order, by intent and element, still without their values.
 */
export interface AuditRecordView {
  chainSeq: number;
  at: string;
  actor: string;
  action: string;
  entityType: string;
  entityId: string | null;
  hash: string;
  events?: AuditEventView[];
}

/** The case's audit chain `case:<id>`: verified from its first record, and listed without payloads. */
export async function caseAuditTrail(
  sequelize: Sequelize,
  caseId: number,
): Promise<{
  verification: AuditVerification;
  records: AuditRecordView[];
  truncated: boolean;
}> {
  const sql = sequelizeSql(sequelize);
  const chain = `case:${caseId}`;
  const verification = await verifyAudit(sql, { chain });
  const rows = await sql.all<
    Pick<AuditRow, 'chain_seq' | 'at' | 'actor' | 'action' | 'entity_type' | 'entity_id' | 'hash' | 'payload'>
  >(
    `SELECT chain_seq, at, actor, action, entity_type, entity_id, hash,
            CASE WHEN action LIKE 'engine.%' THEN payload END AS payload
       FROM audit_log WHERE chain = ? ORDER BY chain_seq LIMIT ?`,
    [chain, AUDIT_RECORDS_MAX + 1],
  );
  const records = rows.slice(0, AUDIT_RECORDS_MAX).map((r) => {
    const view: AuditRecordView = {
      chainSeq: Number(r.chain_seq),
      at: new Date(Number(r.at)).toISOString(),
      actor: r.actor,
      action: r.action,
      entityType: r.entity_type,
      entityId: r.entity_id == null ? null : String(r.entity_id),
      hash: r.hash.slice(0, 12),
    };
    const events = engineEvents(r.payload);
    if (events) view.events = events;
    return view;
  });
  // Payloads are left out; an actor or id that is a phone number is masked as everywhere else.
  return { verification, records: maskPersonalData(records), truncated: rows.length > AUDIT_RECORDS_MAX };
}

/** The events of an engine record's payload (`{ events: [...] }`), by intent and element; null for others. */
function engineEvents(payload: string | null): AuditEventView[] | null {
  if (payload == null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null; // a payload changed behind the application's back: the verification names that record
  }
  // Read defensively: the trail is also where a record changed behind the application's back is shown.
  const events =
    parsed !== null && typeof parsed === 'object' ? (parsed as { events?: unknown }).events : null;
  if (!Array.isArray(events)) return null;
  return events.map((item: unknown) => {
    const e = (item !== null && typeof item === 'object' ? item : {}) as Record<string, unknown>;
    const view: AuditEventView = {
      intent: typeof e.intent === 'string' ? e.intent : '?',
      elementId: typeof e.elementId === 'string' ? e.elementId : null,
      elementType: typeof e.elementType === 'string' ? e.elementType : null,
    };
    if (view.intent.startsWith('VARIABLE_') && typeof e.name === 'string') view.name = e.name;
    return view;
  });
}
