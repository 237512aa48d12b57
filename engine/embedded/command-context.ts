import type { Transaction } from 'sequelize';
import { NotFoundError } from '../../common/errors.ts';
import type { DefinitionCache } from './definitions.ts';
import type { InstanceCache } from './instance-cache.ts';
import type { JobPush, JobWaiter } from './job-push.ts';
import { InstanceState } from './instance-state.ts';
import type { KeyAllocator } from './keys.ts';
import type {
  ElementInstanceRow,
  IncidentRow,
  JobRow,
  PendingHistoryEvent,
  ProcessInstanceRow,
  UserTaskRow,
} from './rows.ts';
import { parseJson } from './rows.ts';
import { type Sql, type Statement, deleteWhereIn, insertRows, placeholders } from './sql.ts';

/** A timer row to insert. */
export interface TimerInsert {
  key: number;
  processInstanceKey: number | null;
  elementInstanceKey: number | null;
  processDefinitionKey: number;
  elementId: string;
  dueAt: number;
  repetitions: number;
  cycle: string | null;
}

/** A message subscription row to insert. */
export interface MessageSubscriptionInsert {
  key: number;
  processInstanceKey: number;
  elementInstanceKey: number;
  elementId: string;
  messageName: string;
  correlationKey: string;
  interrupting: boolean;
}

/** A signal subscription row to insert. */
export interface SignalSubscriptionInsert {
  key: number;
  processInstanceKey: number;
  elementInstanceKey: number;
  elementId: string;
  signalName: string;
  interrupting: boolean;
}

/** What the engine needs from its surroundings inside a command. */
export interface CommandEnv {
  keys: KeyAllocator;
  definitions: DefinitionCache;
  /** Parked in-process workers that a new job can be pushed to. */
  jobPush?: JobPush;
  /** The read cache of running instances (SQLite, where this process is the only writer). */
  cache?: InstanceCache;
  /** Where the engine numbers history itself (SQLite): reserves `n` positions, returns the first. */
  historyPositions?: (sql: Sql, n: number) => Promise<number>;
}

const HISTORY_CHUNK = 200;

const HISTORY_COLUMNS = [
  'process_instance_key',
  'process_definition_key',
  'element_instance_key',
  'element_id',
  'element_type',
  'intent',
  'actor',
  'time',
  'payload',
];

interface PiRow {
  process_instance_key: number | string;
  root_process_instance_key: number | string;
  process_definition_key: number | string;
  bpmn_process_id: string;
  version: number;
  state: ProcessInstanceRow['state'];
  parent_process_instance_key: number | string | null;
  parent_element_instance_key: number | string | null;
  message_correlation_key: string | null;
  incident_count: number;
  lock_version: number;
  started_at: number | string;
  ended_at: number | string | null;
}

const num = (v: unknown): number => Number(v);
const optNum = (v: unknown): number | null => (v == null ? null : Number(v));

const PI_COLUMNS = [
  'process_instance_key',
  'root_process_instance_key',
  'process_definition_key',
  'bpmn_process_id',
  'version',
  'state',
  'parent_process_instance_key',
  'parent_element_instance_key',
  'message_correlation_key',
  'incident_count',
  'lock_version',
  'started_at',
  'ended_at',
] as const;

/** The columns of engine_process_instance `p`, prefixed `p_`, to join onto another table's row. */
export const PI_JOIN_COLUMNS = PI_COLUMNS.map((c) => `p.${c} AS p_${c}`).join(', ');

/** The process instance part of a row selected with PI_JOIN_COLUMNS. */
export function joinedProcessInstanceRow(r: Record<string, unknown>): ProcessInstanceRow {
  const out: Record<string, unknown> = {};
  for (const c of PI_COLUMNS) out[c] = r[`p_${c}`];
  return toProcessInstanceRow(out as unknown as PiRow);
}

/** Maps an engine_process_instance row. */
export function toProcessInstanceRow(r: PiRow): ProcessInstanceRow {
  return {
    key: num(r.process_instance_key),
    rootKey: num(r.root_process_instance_key),
    processDefinitionKey: num(r.process_definition_key),
    bpmnProcessId: r.bpmn_process_id,
    version: Number(r.version),
    state: r.state,
    parentProcessInstanceKey: optNum(r.parent_process_instance_key),
    parentElementInstanceKey: optNum(r.parent_element_instance_key),
    messageCorrelationKey: r.message_correlation_key ?? null,
    incidentCount: Number(r.incident_count),
    lockVersion: Number(r.lock_version),
    startedAt: num(r.started_at),
    endedAt: optNum(r.ended_at),
  };
}

/**
 * The working set of one command inside its transaction: the instances it locked and loaded, the rows it
 * will write and the history it appends. Nothing is written until `flush()`, which issues a few multi-row
 * statements; the command's transaction commits after the last flush.
 */
export class CommandContext {
  readonly instances = new Map<number, InstanceState>();
  readonly history: PendingHistoryEvent[] = [];
  /** History events already flushed, with their positions (for exporters and listeners). */
  readonly flushedHistory: PendingHistoryEvent[] = [];
  /** Job types that got new activatable jobs: parked workers of these types are woken after commit. */
  readonly newJobTypes = new Set<string>();
  /** Jobs activated for parked workers in this command: delivered after commit (see job-push.ts). */
  readonly pushed: { waiter: JobWaiter; job: JobRow; inst: InstanceState }[] = [];
  /** The activation key of jobs pushed by this command. */
  pushActivationKey: number | null = null;
  /** Element instances whose job was settled by the command itself (no JOB_CANCELED when they end). */
  readonly settledJobElements = new Set<number>();
  private readonly lockedRoots = new Set<number>();
  /** Instance rows read (and, on MySQL, locked) together with a job or task row. */
  private readonly preloaded = new Map<number, ProcessInstanceRow>();

  readonly jobInserts: JobRow[] = [];
  readonly jobDeletes: number[] = [];
  readonly jobDeletesByElement: number[] = [];
  readonly userTaskInserts: UserTaskRow[] = [];
  readonly timerInserts: TimerInsert[] = [];
  readonly timerDeletes: number[] = [];
  readonly timerDeletesByElement: number[] = [];
  readonly messageSubInserts: MessageSubscriptionInsert[] = [];
  readonly messageSubDeletes: number[] = [];
  readonly messageSubDeletesByElement: number[] = [];
  readonly signalSubInserts: SignalSubscriptionInsert[] = [];
  readonly signalSubDeletesByElement: number[] = [];
  readonly incidentInserts: IncidentRow[] = [];
  readonly correlationInserts: { messageKey: number; target: string }[] = [];
  /** Statements that change single rows (rare paths): run in order at flush. */
  readonly statements: { sql: string; params: unknown[] }[] = [];

  /** The same transaction as a Sequelize transaction, for code that writes with models inside a command. */
  transaction: Transaction | null = null;

  constructor(
    readonly sql: Sql,
    readonly env: CommandEnv,
    readonly now: number,
    readonly actor: string | null,
  ) {}

  /** A new unique key. */
  nextKey(): number {
    return this.env.keys.nextKey();
  }

  /**
   * Locks the call-activity tree of an instance (its root row, `FOR UPDATE` on MySQL; SQLite has a single
   * writer) and loads the instance: row, live element instances and variables.
   */
  async loadInstance(processInstanceKey: number): Promise<InstanceState> {
    const loaded = this.instances.get(processInstanceKey);
    if (loaded) return loaded;
    const sql = this.sql;
    const cache = this.env.cache;
    let row: ProcessInstanceRow;
    if (sql.dialect === 'sqlite') {
      // One process writes a SQLite file: what it cached after its last commit is what the rows hold.
      const cached = cache?.load(processInstanceKey);
      if (cached) {
        this.instances.set(processInstanceKey, cached);
        return cached;
      }
      row = await this.readInstanceRow(processInstanceKey, '');
    } else {
      // MySQL: commands lock the root of a call-activity tree. Most instances are roots, so lock the row
      // itself first; a child's row names its root, which is locked next (a deadlock this rare ordering
      // may cause is detected by InnoDB and the command retried).
      const pre = this.preloaded.get(processInstanceKey);
      row =
        pre ??
        (await this.readInstanceRow(processInstanceKey, this.lockedRoots.size > 0 ? '' : ' FOR UPDATE'));
      if (!this.lockedRoots.has(row.rootKey)) {
        if (row.rootKey !== processInstanceKey || this.lockedRoots.size > 0) {
          await this.readInstanceRow(row.rootKey, ' FOR UPDATE');
          row = await this.readInstanceRow(processInstanceKey, '');
        }
        this.lockedRoots.add(row.rootKey);
      }
      // Another engine process may have changed the instance since this one cached it: the version tells.
      const cached = cache?.load(processInstanceKey, row.lockVersion);
      if (cached) {
        this.instances.set(processInstanceKey, cached);
        return cached;
      }
    }
    const deployed = await this.env.definitions.get(sql, row.processDefinitionKey);
    const state = new InstanceState(row, deployed.model, false);
    if (row.state === 'ACTIVE') {
      const elements = await sql.all<{
        element_instance_key: number | string;
        flow_scope_key: number | string | null;
        element_id: string;
        element_type: string;
        state: ElementInstanceRow['state'];
        data: string | null;
        created_at: number | string;
      }>(
        'SELECT element_instance_key, flow_scope_key, element_id, element_type, state, data, created_at FROM engine_element_instance WHERE process_instance_key = ?',
        [processInstanceKey],
      );
      for (const e of elements) {
        state.put(
          {
            key: num(e.element_instance_key),
            processInstanceKey,
            flowScopeKey: optNum(e.flow_scope_key),
            elementId: e.element_id,
            elementType: e.element_type,
            state: e.state,
            data: parseJson(e.data, {}),
            createdAt: num(e.created_at),
          },
          true,
        );
      }
      const variables = await sql.all<{ scope_key: number | string; name: string; value: string }>(
        'SELECT scope_key, name, value FROM engine_variable WHERE process_instance_key = ?',
        [processInstanceKey],
      );
      for (const v of variables) {
        const scopeKey = num(v.scope_key);
        let scope = state.variables.get(scopeKey);
        if (!scope) {
          scope = new Map();
          state.variables.set(scopeKey, scope);
        }
        scope.set(v.name, { value: JSON.parse(v.value), json: v.value });
        state.storedScopes.add(scopeKey);
      }
    }
    this.instances.set(processInstanceKey, state);
    return state;
  }

  /**
   * Hands over an instance row that a command read with `FOR UPDATE` joined to its job or task row (one
   * round trip for both); loadInstance then locks nothing more for a root instance.
   */
  adoptLockedRow(row: ProcessInstanceRow): void {
    this.preloaded.set(row.key, row);
  }

  /** Registers an instance created by this command. */
  addNewInstance(row: ProcessInstanceRow, state: InstanceState): void {
    this.instances.set(row.key, state);
    this.lockedRoots.add(row.rootKey);
  }

  private async readInstanceRow(key: number, lock: string): Promise<ProcessInstanceRow> {
    const rows = await this.sql.all<PiRow>(
      `SELECT * FROM engine_process_instance WHERE process_instance_key = ?${lock}`,
      [key],
    );
    if (rows.length === 0) throw instanceNotFound(key);
    return toProcessInstanceRow(rows[0]);
  }

  /** Appends a history event of an instance. */
  event(
    inst: InstanceState,
    ei: ElementInstanceRow | null,
    intent: string,
    payload: Record<string, unknown> = {},
    element?: { id: string; type: string },
  ): void {
    this.history.push({
      processInstanceKey: inst.row.key,
      processDefinitionKey: inst.row.processDefinitionKey,
      elementInstanceKey: ei?.key ?? null,
      elementId: element?.id ?? ei?.elementId ?? null,
      elementType: element?.type ?? ei?.elementType ?? null,
      intent,
      actor: this.actor,
      time: this.now,
      payload,
      position: 0,
    });
  }

  /** Appends a history event for an instance that is not loaded (job time-outs and the like). */
  rawEvent(
    row: {
      processInstanceKey: number;
      processDefinitionKey: number;
      elementInstanceKey: number;
      elementId: string;
    },
    intent: string,
    payload: Record<string, unknown> = {},
  ): void {
    this.history.push({
      processInstanceKey: row.processInstanceKey,
      processDefinitionKey: row.processDefinitionKey,
      elementInstanceKey: row.elementInstanceKey,
      elementId: row.elementId,
      elementType: null,
      intent,
      actor: this.actor,
      time: this.now,
      payload,
      position: 0,
    });
  }

  /** Writes everything collected so far; may be called again later in the same command. */
  async flush(options: { commit?: boolean } = {}): Promise<void> {
    // Every write goes into one batch: one round trip to the database (two on MySQL, whose history
    // positions come from AUTO_INCREMENT), with the COMMIT in it when this is the command's last flush.
    const batch: Statement[] = [];
    const sql = collector(this.sql.dialect, batch);
    const newInstances: ProcessInstanceRow[] = [];
    const elementInserts: unknown[][] = [];
    const elementDeletes: number[] = [];
    const scopeDeletes: number[] = [];
    const variableUpserts: unknown[][] = [];
    const endedInstances: number[] = [];

    for (const inst of this.instances.values()) {
      let changed = inst.rowDirty || inst.variableWrites.size > 0 || inst.deletedScopes.size > 0;
      changed ||= inst.deletedElements.size > 0 || inst.dirtyElements.size > 0;
      const isInsert = inst.isNew && !inst.stored.has(-1);
      if (isInsert) {
        newInstances.push(inst.row);
        inst.stored.add(-1);
      }
      for (const ei of inst.elements.values()) {
        if (!inst.stored.has(ei.key)) {
          elementInserts.push([
            ei.key,
            ei.processInstanceKey,
            ei.flowScopeKey,
            ei.elementId,
            ei.elementType,
            ei.state,
            JSON.stringify(ei.data),
            ei.createdAt,
          ]);
          inst.stored.add(ei.key);
          changed = true;
        } else if (inst.dirtyElements.has(ei.key)) {
          this.statements.push({
            sql: 'UPDATE engine_element_instance SET state = ?, data = ? WHERE element_instance_key = ?',
            params: [ei.state, JSON.stringify(ei.data), ei.key],
          });
        }
      }
      // MySQL: every change bumps the version, so that another process's cached copy is stale from now on.
      // SQLite has one writer, whose cache is never stale (the version is not read there): the row is
      // written only when it changed itself.
      if (!isInsert && (inst.rowDirty || (changed && this.sql.dialect === 'mysql'))) {
        const r = inst.row;
        r.lockVersion++;
        this.statements.push({
          sql: 'UPDATE engine_process_instance SET state = ?, incident_count = ?, ended_at = ?, lock_version = ? WHERE process_instance_key = ?',
          params: [r.state, r.incidentCount, r.endedAt, r.lockVersion, r.key],
        });
        if (inst.rowDirty && r.state !== 'ACTIVE') endedInstances.push(r.key);
      }
      inst.rowDirty = false;
      inst.dirtyElements.clear();
      // An instance that ended loses all its element instances in one statement below.
      if (!(inst.row.state !== 'ACTIVE' && endedInstances.includes(inst.row.key)))
        elementDeletes.push(...inst.deletedElements);
      inst.deletedElements.clear();
      if (inst.row.state === 'ACTIVE') {
        scopeDeletes.push(...inst.deletedScopes);
        for (const w of inst.variableWrites.values()) {
          variableUpserts.push([w.scopeKey, w.name, inst.row.key, w.json]);
          inst.storedScopes.add(w.scopeKey);
        }
      }
      inst.deletedScopes.clear();
      inst.variableWrites.clear();
    }

    // Deletes first: a retried step deletes what its element owned, then writes it anew.
    if (elementDeletes.length > 0)
      await deleteWhereIn(sql, 'engine_element_instance', 'element_instance_key', elementDeletes);
    if (this.jobDeletes.length > 0) await deleteWhereIn(sql, 'engine_job', 'job_key', this.jobDeletes);
    if (this.jobDeletesByElement.length > 0) {
      await deleteWhereIn(sql, 'engine_job', 'element_instance_key', this.jobDeletesByElement);
    }
    if (this.timerDeletes.length > 0)
      await deleteWhereIn(sql, 'engine_timer', 'timer_key', this.timerDeletes);
    if (this.timerDeletesByElement.length > 0) {
      await deleteWhereIn(sql, 'engine_timer', 'element_instance_key', this.timerDeletesByElement);
    }
    if (this.messageSubDeletes.length > 0) {
      await deleteWhereIn(sql, 'engine_message_subscription', 'subscription_key', this.messageSubDeletes);
    }
    if (this.messageSubDeletesByElement.length > 0) {
      await deleteWhereIn(
        sql,
        'engine_message_subscription',
        'element_instance_key',
        this.messageSubDeletesByElement,
      );
    }
    if (this.signalSubDeletesByElement.length > 0) {
      await deleteWhereIn(
        sql,
        'engine_signal_subscription',
        'element_instance_key',
        this.signalSubDeletesByElement,
      );
    }
    this.jobDeletes.length = 0;
    this.jobDeletesByElement.length = 0;
    this.timerDeletes.length = 0;
    this.timerDeletesByElement.length = 0;
    this.messageSubDeletes.length = 0;
    this.messageSubDeletesByElement.length = 0;
    this.signalSubDeletesByElement.length = 0;

    this.dropRowsOfEndedOwners();
    if (newInstances.length > 0) {
      await insertRows(
        sql,
        'engine_process_instance',
        [
          'process_instance_key',
          'root_process_instance_key',
          'process_definition_key',
          'bpmn_process_id',
          'version',
          'state',
          'parent_process_instance_key',
          'parent_element_instance_key',
          'message_correlation_key',
          'incident_count',
          'lock_version',
          'started_at',
          'ended_at',
        ],
        newInstances.map((r) => [
          r.key,
          r.rootKey,
          r.processDefinitionKey,
          r.bpmnProcessId,
          r.version,
          r.state,
          r.parentProcessInstanceKey,
          r.parentElementInstanceKey,
          r.messageCorrelationKey,
          r.incidentCount,
          r.lockVersion,
          r.startedAt,
          r.endedAt,
        ]),
      );
    }
    if (elementInserts.length > 0) {
      await insertRows(
        sql,
        'engine_element_instance',
        [
          'element_instance_key',
          'process_instance_key',
          'flow_scope_key',
          'element_id',
          'element_type',
          'state',
          'data',
          'created_at',
        ],
        elementInserts,
      );
    }
    if (this.jobInserts.length > 0) {
      await insertRows(
        sql,
        'engine_job',
        [
          'job_key',
          'type',
          'state',
          'process_instance_key',
          'element_instance_key',
          'element_id',
          'bpmn_process_id',
          'process_definition_key',
          'version',
          'retries',
          'worker',
          'deadline',
          'activation_key',
          'backoff_until',
          'custom_headers',
          'error_message',
          'created_at',
        ],
        this.jobInserts.map((j) => [
          j.key,
          j.type,
          j.state,
          j.processInstanceKey,
          j.elementInstanceKey,
          j.elementId,
          j.bpmnProcessId,
          j.processDefinitionKey,
          j.version,
          j.retries,
          j.worker,
          j.deadline,
          j.activationKey,
          j.backoffUntil,
          Object.keys(j.customHeaders).length > 0 ? JSON.stringify(j.customHeaders) : null,
          j.errorMessage,
          j.createdAt,
        ]),
      );
      this.jobInserts.length = 0;
    }
    if (this.userTaskInserts.length > 0) {
      const candidates: unknown[][] = [];
      await insertRows(
        sql,
        'engine_user_task',
        [
          'user_task_key',
          'element_instance_key',
          'process_instance_key',
          'process_definition_key',
          'bpmn_process_id',
          'element_id',
          'name',
          'state',
          'assignee',
          'candidate_groups',
          'candidate_users',
          'due_date',
          'follow_up_date',
          'priority',
          'form_key',
          'external_form_reference',
          'custom_headers',
          'action',
          'completed_by',
          'created_at',
          'completed_at',
        ],
        this.userTaskInserts.map((t) => {
          for (const g of new Set(t.candidateGroups)) candidates.push([t.key, 'group', g]);
          for (const u of new Set(t.candidateUsers)) candidates.push([t.key, 'user', u]);
          return [
            t.key,
            t.elementInstanceKey,
            t.processInstanceKey,
            t.processDefinitionKey,
            t.bpmnProcessId,
            t.elementId,
            t.name,
            t.state,
            t.assignee,
            JSON.stringify(t.candidateGroups),
            JSON.stringify(t.candidateUsers),
            t.dueDate,
            t.followUpDate,
            t.priority,
            t.formKey,
            t.externalFormReference,
            Object.keys(t.customHeaders).length > 0 ? JSON.stringify(t.customHeaders) : null,
            t.action,
            t.completedBy,
            t.createdAt,
            t.completedAt,
          ];
        }),
      );
      if (candidates.length > 0) {
        await insertRows(sql, 'engine_user_task_candidate', ['user_task_key', 'kind', 'value'], candidates);
      }
      this.userTaskInserts.length = 0;
    }
    if (this.timerInserts.length > 0) {
      await insertRows(
        sql,
        'engine_timer',
        [
          'timer_key',
          'process_instance_key',
          'element_instance_key',
          'process_definition_key',
          'element_id',
          'due_at',
          'repetitions',
          'cycle',
          'created_at',
        ],
        this.timerInserts.map((t) => [
          t.key,
          t.processInstanceKey,
          t.elementInstanceKey,
          t.processDefinitionKey,
          t.elementId,
          t.dueAt,
          t.repetitions,
          t.cycle,
          this.now,
        ]),
      );
      this.timerInserts.length = 0;
    }
    if (this.messageSubInserts.length > 0) {
      await insertRows(
        sql,
        'engine_message_subscription',
        [
          'subscription_key',
          'process_instance_key',
          'element_instance_key',
          'element_id',
          'message_name',
          'correlation_key',
          'interrupting',
          'created_at',
        ],
        this.messageSubInserts.map((s) => [
          s.key,
          s.processInstanceKey,
          s.elementInstanceKey,
          s.elementId,
          s.messageName,
          s.correlationKey,
          s.interrupting ? 1 : 0,
          this.now,
        ]),
      );
      this.messageSubInserts.length = 0;
    }
    if (this.signalSubInserts.length > 0) {
      await insertRows(
        sql,
        'engine_signal_subscription',
        [
          'subscription_key',
          'process_instance_key',
          'element_instance_key',
          'element_id',
          'signal_name',
          'interrupting',
        ],
        this.signalSubInserts.map((s) => [
          s.key,
          s.processInstanceKey,
          s.elementInstanceKey,
          s.elementId,
          s.signalName,
          s.interrupting ? 1 : 0,
        ]),
      );
      this.signalSubInserts.length = 0;
    }
    if (this.incidentInserts.length > 0) {
      await insertRows(
        sql,
        'engine_incident',
        [
          'incident_key',
          'process_instance_key',
          'process_definition_key',
          'bpmn_process_id',
          'element_instance_key',
          'element_id',
          'job_key',
          'type',
          'message',
          'state',
          'created_at',
          'resolved_at',
        ],
        this.incidentInserts.map((i) => [
          i.key,
          i.processInstanceKey,
          i.processDefinitionKey,
          i.bpmnProcessId,
          i.elementInstanceKey,
          i.elementId,
          i.jobKey,
          i.type,
          i.message,
          i.state,
          i.createdAt,
          i.resolvedAt,
        ]),
      );
      this.incidentInserts.length = 0;
    }
    if (this.correlationInserts.length > 0) {
      await insertRows(
        sql,
        'engine_message_correlation',
        ['message_key', 'target'],
        this.correlationInserts.map((c) => [c.messageKey, c.target]),
      );
      this.correlationInserts.length = 0;
    }

    for (const s of this.statements) await sql.run(s.sql, s.params);
    this.statements.length = 0;

    if (variableUpserts.length > 0 || scopeDeletes.length > 0) {
      if (scopeDeletes.length > 0) await deleteWhereIn(sql, 'engine_variable', 'scope_key', scopeDeletes);
      if (variableUpserts.length > 0) await this.upsertVariables(sql, variableUpserts);
    }
    if (endedInstances.length > 0) {
      // An ended instance keeps its row and its history; its runtime rows go.
      await deleteWhereIn(sql, 'engine_variable', 'process_instance_key', endedInstances);
      await deleteWhereIn(sql, 'engine_element_instance', 'process_instance_key', endedInstances);
      for (const k of endedInstances) {
        this.instances.get(k)?.elements.clear();
      }
    }

    if (this.history.length > 0) {
      const events = this.history.splice(0);
      const rows = events.map((e) => [
        e.processInstanceKey,
        e.processDefinitionKey,
        e.elementInstanceKey,
        e.elementId,
        e.elementType,
        e.intent,
        e.actor,
        e.time,
        JSON.stringify(e.payload),
      ]);
      let positions: number[];
      if (this.env.historyPositions) {
        // SQLite: one engine writes the file, so it numbers history itself and the insert joins the batch.
        const first = await this.env.historyPositions(this.sql, events.length);
        positions = events.map((_, i) => first + i);
        await insertRows(
          sql,
          'engine_history_event',
          ['position', ...HISTORY_COLUMNS],
          rows.map((r, i) => [positions[i], ...r]),
        );
        events.forEach((e, i) => {
          e.position = positions[i];
          this.flushedHistory.push(e);
        });
      } else {
        // MySQL numbers history with AUTO_INCREMENT: the batch reports each insert's first id.
        const from = batch.length;
        await insertRows(sql, 'engine_history_event', HISTORY_COLUMNS, rows, HISTORY_CHUNK);
        const results = (await this.sql.batch(batch, { commit: options.commit === true })) ?? [];
        positions = [];
        for (let c = 0; c < batch.length - from; c++) {
          const size = Math.min(HISTORY_CHUNK, rows.length - c * HISTORY_CHUNK);
          for (let i = 0; i < size; i++) positions.push(results[from + c].insertId + i);
        }
        events.forEach((e, i) => {
          e.position = positions[i];
          this.flushedHistory.push(e);
        });
        return;
      }
    }
    await this.sql.batch(batch, { commit: options.commit === true });
  }

  /** Rows created for element instances that ended within this command are never written. */
  private dropRowsOfEndedOwners(): void {
    const alive = (pi: number | null, ei: number | null): boolean =>
      pi == null || ei == null || (this.instances.get(pi)?.elements.has(ei) ?? false);
    filterInPlace(this.jobInserts, (r) => alive(r.processInstanceKey, r.elementInstanceKey));
    filterInPlace(this.userTaskInserts, (r) => alive(r.processInstanceKey, r.elementInstanceKey));
    filterInPlace(this.timerInserts, (r) => alive(r.processInstanceKey, r.elementInstanceKey));
    filterInPlace(this.messageSubInserts, (r) => alive(r.processInstanceKey, r.elementInstanceKey));
    filterInPlace(this.signalSubInserts, (r) => alive(r.processInstanceKey, r.elementInstanceKey));
  }

  private async upsertVariables(sql: Sql, rows: unknown[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      const values = new Array(chunk.length).fill(`(${placeholders(4)})`).join(', ');
      const conflict =
        sql.dialect === 'sqlite'
          ? ' ON CONFLICT(scope_key, name) DO UPDATE SET value = excluded.value'
          : ' ON DUPLICATE KEY UPDATE value = VALUES(value)';
      await sql.run(
        `INSERT INTO engine_variable (scope_key, name, process_instance_key, value) VALUES ${values}${conflict}`,
        chunk.flat(),
      );
    }
  }
}

/** An Sql whose writes are only collected into `batch`. */
function collector(dialect: Sql['dialect'], batch: Statement[]): Sql {
  return {
    dialect,
    all: () => Promise.reject(new Error('reads are not collected')),
    run: async (sql, params = []) => {
      batch.push({ sql, params });
      return { changes: 0, insertId: 0 };
    },
    batch: async (statements) => {
      batch.push(...statements);
    },
  };
}

function filterInPlace<T>(rows: T[], keep: (row: T) => boolean): void {
  let j = 0;
  for (let i = 0; i < rows.length; i++) if (keep(rows[i])) rows[j++] = rows[i];
  rows.length = j;
}

/** NotFoundError for an unknown process instance. */
export function instanceNotFound(key: number): NotFoundError {
  return new NotFoundError('PROCESS_INSTANCE_NOT_FOUND', `No process instance with key ${key}`);
}
