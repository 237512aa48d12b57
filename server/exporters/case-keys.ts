import type { ExportContext, HistoryEvent } from '../../engine/port.ts';

/** The case of each process instance in a batch, from `cases.process_instance_key` (cached: it never changes). */
export class CaseKeys {
  private readonly known = new Map<string, number | null>();

  /** Case ids by process instance key for the instances of these events. */
  async resolve(
    events: readonly HistoryEvent[],
    sql: ExportContext['sql'],
  ): Promise<Map<string, number | null>> {
    const missing = [...new Set(events.map((e) => e.processInstanceKey))].filter((k) => !this.known.has(k));
    if (missing.length > 0) {
      const rows = await sql.all<{ id: number; process_instance_key: number | string }>(
        `SELECT id, process_instance_key FROM cases WHERE process_instance_key IN (${missing.map(() => '?').join(', ')})`,
        missing.map(Number),
      );
      for (const k of missing) this.known.set(k, null);
      for (const r of rows) this.known.set(String(r.process_instance_key), Number(r.id));
      // Only cases are remembered: an instance whose case row is not there yet is asked again next time.
      for (const k of missing) if (this.known.get(k) == null) this.known.delete(k);
      if (this.known.size > 50_000) this.known.clear();
    }
    const out = new Map<string, number | null>();
    for (const e of events) out.set(e.processInstanceKey, this.known.get(e.processInstanceKey) ?? null);
    return out;
  }
}
