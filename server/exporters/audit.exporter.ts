import type { Exporter } from '../../engine/port.ts';
import { type AuditRecord, appendAudit } from '../services/audit.service.ts';
import type { CaseKeys } from './case-keys.ts';

/** Appends every engine event to the audit log, in the transaction of the command that produced it. */
export function auditExporter(caseKeys: CaseKeys, dialect: 'sqlite' | 'mysql'): Exporter {
  return {
    name: 'audit',
    export: async (events, { sql }) => {
      const cases = await caseKeys.resolve(events, sql);
      const records: AuditRecord[] = events.map((e) => ({
        at: Date.parse(e.timestamp),
        actor: e.actor ?? 'system',
        action: `engine.${e.intent}`,
        entityType: 'process_instance',
        entityId: e.processInstanceKey,
        caseId: cases.get(e.processInstanceKey) ?? null,
        chain: `process:${e.processInstanceKey}`,
        payload: {
          position: e.position,
          elementId: e.elementId ?? null,
          elementType: e.elementType ?? null,
          elementInstanceKey: e.elementInstanceKey ?? null,
          ...e.payload,
        },
      }));
      await appendAudit(
        {
          dialect,
          all: (text, params) => sql.all(text, params),
          run: (text, params) => sql.run(text, params),
        },
        records,
      );
    },
  };
}
