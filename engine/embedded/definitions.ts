import { NotFoundError } from '../../common/errors.ts';
import { readBpmn } from '../deploy/read-bpmn.ts';
import { parseProcesses } from '../model/parse-process.ts';
import type { ProcessModel } from '../model/process-model.ts';
import type { Sql } from './sql.ts';

/** A deployed definition row with its executable model. */
export interface DeployedProcess {
  key: number;
  bpmnProcessId: string;
  version: number;
  name: string | null;
  resourceName: string;
  checksum: string;
  deployedAt: number;
  model: ProcessModel;
}

interface DefinitionRow {
  process_definition_key: number | string;
  bpmn_process_id: string;
  version: number;
  name: string | null;
  resource_name: string;
  checksum: string;
  deployed_at: number | string;
  xml: string;
}

/**
 * Deployed definitions, parsed once per process and cached by key (definitions never change once
 * deployed). "Latest version" is always asked of the database, since another engine process may deploy.
 */
export class DefinitionCache {
  private readonly byKey = new Map<number, DeployedProcess>();
  private readonly loading = new Map<number, Promise<DeployedProcess>>();

  /** The definition with this key; NotFoundError when there is none. */
  async get(sql: Sql, key: number): Promise<DeployedProcess> {
    const cached = this.byKey.get(key);
    if (cached) return cached;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(sql, key).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** The cached definition, if it was loaded before (no I/O). */
  peek(key: number): DeployedProcess | undefined {
    return this.byKey.get(key);
  }

  /** The latest version of a process id; NotFoundError when it was never deployed. */
  async latest(sql: Sql, bpmnProcessId: string): Promise<DeployedProcess> {
    const rows = await sql.all<{ process_definition_key: number | string }>(
      'SELECT process_definition_key FROM engine_process_definition WHERE bpmn_process_id = ? ORDER BY version DESC LIMIT 1',
      [bpmnProcessId],
    );
    if (rows.length === 0) {
      throw new NotFoundError('PROCESS_NOT_FOUND', `No process with id "${bpmnProcessId}" is deployed`);
    }
    return this.get(sql, Number(rows[0].process_definition_key));
  }

  /** A given version of a process id. */
  async version(sql: Sql, bpmnProcessId: string, version: number): Promise<DeployedProcess> {
    const rows = await sql.all<{ process_definition_key: number | string }>(
      'SELECT process_definition_key FROM engine_process_definition WHERE bpmn_process_id = ? AND version = ?',
      [bpmnProcessId, version],
    );
    if (rows.length === 0) {
      throw new NotFoundError('PROCESS_NOT_FOUND', `Process "${bpmnProcessId}" has no version ${version}`);
    }
    return this.get(sql, Number(rows[0].process_definition_key));
  }

  /** Puts a freshly deployed model in the cache (deploy parsed it already). */
  remember(process: DeployedProcess): void {
    this.byKey.set(process.key, process);
  }

  private async load(sql: Sql, key: number): Promise<DeployedProcess> {
    const rows = await sql.all<DefinitionRow>(
      'SELECT process_definition_key, bpmn_process_id, version, name, resource_name, checksum, deployed_at, xml FROM engine_process_definition WHERE process_definition_key = ?',
      [key],
    );
    if (rows.length === 0) {
      throw new NotFoundError('PROCESS_DEFINITION_NOT_FOUND', `No process definition with key ${key}`);
    }
    const row = rows[0];
    const { definitions } = await readBpmn(row.xml);
    const model = parseProcesses(definitions).find((m) => m.bpmnProcessId === row.bpmn_process_id);
    if (!model) throw new Error(`Definition ${key} does not contain process ${row.bpmn_process_id}`);
    const process: DeployedProcess = {
      key,
      bpmnProcessId: row.bpmn_process_id,
      version: Number(row.version),
      name: row.name,
      resourceName: row.resource_name,
      checksum: row.checksum,
      deployedAt: Number(row.deployed_at),
      model,
    };
    this.byKey.set(key, process);
    return process;
  }
}
