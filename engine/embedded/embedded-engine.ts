import { createHash } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import { ConflictError, InvalidArgumentError, NotFoundError, TransientError } from '../../common/errors.ts';
import { type Logger, silentLogger } from '../../common/logger.ts';
import { lintDefinitions } from '../deploy/lint.ts';
import { BpmnParseError, readBpmn } from '../deploy/read-bpmn.ts';
import { parseProcesses } from '../model/parse-process.ts';
import type { ProcessModel } from '../model/process-model.ts';
import { elementOf } from '../model/process-model.ts';
import type {
  ActivateJobsRequest,
  ActivatedJob,
  CompleteJobRequest,
  CompleteUserTaskRequest,
  UserTaskCheck,
  CreateProcessInstanceRequest,
  DeployResource,
  Deployment,
  EngineListener,
  ExportContext,
  Exporter,
  FailJobRequest,
  FormDefinition,
  HistoryEvent,
  HistoryIntent,
  Incident,
  IncidentType,
  Key,
  LintFinding,
  Page,
  ProcessDefinition,
  ProcessInstance,
  PublishMessageRequest,
  SearchResult,
  ThrowErrorRequest,
  UserTask,
  UserTaskChangeset,
  UserTaskFilter,
  UserTaskSort,
  Variable,
  Variables,
  WorkflowEngine,
} from '../port.ts';
import {
  type CommandEnv,
  CommandContext,
  PI_JOIN_COLUMNS,
  instanceNotFound,
  joinedProcessInstanceRow,
  toProcessInstanceRow,
} from './command-context.ts';
import { DefinitionCache } from './definitions.ts';
import { Checkpointer } from './checkpointer.ts';
import { InstanceCache } from './instance-cache.ts';
import { InstanceState } from './instance-state.ts';
import { JobPush, type JobWaiter } from './job-push.ts';
import { KeyAllocator, KeysExhausted } from './keys.ts';
import { Processor } from './processor.ts';
import type { JobRow, PendingHistoryEvent, ProcessInstanceRow, UserTaskRow } from './rows.ts';
import { parseJson } from './rows.ts';
import { nextCycleDue, parseCycle } from '../timer/timer-spec.ts';
import { type Dialect, DeferredWritesSql, type Sql, forUpdate, placeholders } from './sql.ts';
import { TransactionRunner } from './transactions.ts';
import { assertVariables, parseDateField, parseKey, requireInt, requireText } from './validate.ts';

/** Options of the embedded engine. */
export interface EmbeddedEngineOptions {
  sequelize: Sequelize;
  clock: Clock;
  log?: Logger;
  /** How often the scheduler looks for due work (ms); 0 disables the loop (tests call `runScheduler`). */
  schedulerIntervalMs?: number;
}

/** A deploy that lint or parsing refused; `findings` lists every element and reason. */
export class DeployRejectedError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly findings: LintFinding[],
  ) {
    super(
      'DEPLOY_REJECTED',
      message,
      findings.map((f) => ({
        field: `${f.resourceName}#${f.elementId}`,
        message: `${f.message} (${f.rule})`,
      })),
    );
  }
}

/** History position counters of SQLite files, shared by every engine object of this process on that file. */
const HISTORY_COUNTERS = new Map<string, { next: number | null }>();
/** Instance caches of SQLite files, likewise shared. */
const INSTANCE_CACHES = new Map<string, InstanceCache>();

const iso = (ms: number | null | undefined): string | undefined =>
  ms == null ? undefined : new Date(ms).toISOString();
const num = (v: unknown): number => Number(v);

/**
 * The embedded workflow engine: Zeebe's semantics, every bit of state in the application database.
 * Each command is one transaction that advances every token to its next wait state (see processor.ts).
 */
export class EmbeddedEngine implements WorkflowEngine {
  readonly dialect: Dialect;
  private readonly sequelize: Sequelize;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly keys = new KeyAllocator();
  private readonly definitions = new DefinitionCache();
  private readonly transactions: TransactionRunner;
  private readonly commandEnv: CommandEnv;
  private readonly historyCounter: { next: number | null } | undefined;
  private readonly cache: InstanceCache | undefined;
  private readonly jobPush = new JobPush();
  private readonly checkpointer: Checkpointer | undefined;
  private readonly listeners = new Set<EngineListener>();
  private readonly exporters: Exporter[] = [];
  /** Bumped whenever jobs of a type become activatable. */
  private readonly jobGenerations = new Map<string, number>();
  private readonly reads: Sql;
  private schedulerTimer: NodeJS.Timeout | null = null;
  private schedulerRunning: Promise<unknown> | null = null;
  private readonly schedulerIntervalMs: number;
  private stopped = false;

  constructor(options: EmbeddedEngineOptions) {
    this.sequelize = options.sequelize;
    const d = this.sequelize.getDialect();
    this.dialect = d === 'sqlite' ? 'sqlite' : 'mysql';
    this.clock = options.clock;
    this.log = (options.log ?? silentLogger).child({ scope: 'engine' });
    this.schedulerIntervalMs = options.schedulerIntervalMs ?? 1000;
    this.transactions = new TransactionRunner(this.sequelize, this.dialect);
    if (this.dialect === 'sqlite') {
      const storage = String(
        (this.sequelize as unknown as { options: { storage?: string } }).options.storage ?? ':memory:',
      );
      let counter = HISTORY_COUNTERS.get(storage);
      if (!counter) HISTORY_COUNTERS.set(storage, (counter = { next: null }));
      this.historyCounter = counter;
      let cache = INSTANCE_CACHES.get(storage);
      if (!cache) INSTANCE_CACHES.set(storage, (cache = new InstanceCache()));
      this.cache = cache;
      if (storage !== ':memory:' && storage !== '') this.checkpointer = new Checkpointer(storage);
    } else {
      // MySQL: checked against the instance row's version at every load (other processes write too).
      this.cache = new InstanceCache();
    }
    this.transactions.onGroupRollback = () => {
      this.cache?.clear();
      this.keys.invalidate();
      if (this.historyCounter) this.historyCounter.next = null;
    };
    this.commandEnv = {
      keys: this.keys,
      definitions: this.definitions,
      cache: this.cache,
      jobPush: this.jobPush,
      historyPositions: this.historyCounter ? (sql, n) => this.reservePositions(sql, n) : undefined,
    };
    this.reads = this.transactions.readSql();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Lifecycle

  /** Starts the scheduler loop. */
  async start(): Promise<void> {
    this.stopped = false;
    this.checkpointer?.start();
    if (this.schedulerIntervalMs > 0 && !this.schedulerTimer) {
      const tick = (): void => {
        if (this.stopped) return;
        this.schedulerRunning = this.runScheduler()
          .catch((err: unknown) => this.log.warn({ err }, 'scheduler pass failed'))
          .finally(() => {
            this.schedulerRunning = null;
            if (!this.stopped) this.schedulerTimer = setTimeout(tick, this.schedulerIntervalMs);
          });
      };
      this.schedulerTimer = setTimeout(tick, this.schedulerIntervalMs);
    }
  }

  /** Stops the scheduler and releases parked job activations. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.checkpointer?.stop();
    if (this.schedulerTimer) clearTimeout(this.schedulerTimer);
    this.schedulerTimer = null;
    await this.schedulerRunning;
    this.jobPush.stop();
    await this.transactions.close();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Commands: the transaction around every change

  private async command<T>(
    actor: string | null | undefined,
    work: (ctx: CommandContext, processor: Processor) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.keys.remaining() < 2000) await this.reserveKeys(0);
      let ctx: CommandContext | undefined;
      try {
        return await this.transactions.run(
          async ({ sql, transaction }) => {
            ctx = new CommandContext(sql, this.commandEnv, this.clock.now(), actor ?? null);
            ctx.transaction = transaction;
            const processor = new Processor(ctx);
            const value = await work(ctx, processor);
            await processor.run();
            this.preparePushes(ctx);
            // Without exporters the last flush carries the COMMIT; with them, they write first.
            await ctx.flush({ commit: this.exporters.length === 0 });
            await this.export(ctx, sql, transaction);
            // SQLite: later commands of the same group commit must load the state this one leaves (a group's
            // rollback clears the cache); MySQL caches after the commit, checked against lock_version.
            if (this.dialect === 'sqlite') this.cache?.store(ctx.instances.values());
            return value;
          },
          () => this.afterCommit(ctx!),
        );
      } catch (err) {
        if (ctx) this.releasePushes(ctx);
        if (err instanceof KeysExhausted) {
          await this.reserveKeys(err.needed);
          continue;
        }
        if (this.historyCounter && isHistoryPositionClash(err)) {
          // Another engine object wrote history to this SQLite file: count again from the table.
          this.historyCounter.next = null;
          continue;
        }
        if (isTransientDbError(err)) {
          if (attempt < 8) {
            await new Promise((r) => setTimeout(r, 5 * 2 ** attempt + Math.random() * 10));
            continue;
          }
          throw new TransientError('ENGINE_BUSY', 'The engine could not get its locks; try again', {
            cause: err,
          });
        }
        throw err;
      }
    }
  }

  private async reservePositions(sql: Sql, n: number): Promise<number> {
    const counter = this.historyCounter!;
    if (counter.next == null) {
      const rows = await sql.all<{ p: number | string | null }>(
        'SELECT MAX(position) AS p FROM engine_history_event',
      );
      counter.next = Number(rows[0]?.p ?? 0) + 1;
    }
    const first = counter.next;
    counter.next += n;
    return first;
  }

  private reserving: Promise<void> | null = null;

  /** Reserves a new key block; concurrent callers share one reservation. */
  private async reserveKeys(min: number): Promise<void> {
    this.reserving ??= this.transactions
      .run(({ sql }) => this.keys.reserve(sql, min))
      .finally(() => (this.reserving = null));
    await this.reserving;
  }

  /**
   * Runs the exporters in the command's transaction. Their writes wait and go out together at the end,
   * with the COMMIT (MySQL: one round trip instead of one per statement; inside a SQLite group the group
   * commits). This is the command's last step: nothing after it may write.
   */
  private async export(ctx: CommandContext, sql: Sql, transaction: Transaction): Promise<void> {
    if (this.exporters.length === 0 || ctx.flushedHistory.length === 0) return;
    await sql.begin?.();
    const events = this.portEvents(ctx);
    const deferred = new DeferredWritesSql(sql);
    for (const exporter of this.exporters) await exporter.export(events, { transaction, sql: deferred });
    await deferred.flush({ commit: true });
  }

  /** Jobs pushed to parked workers, built before commit (variables as the command leaves them). */
  private readonly deliveries = new WeakMap<CommandContext, { waiter: JobWaiter; job: ActivatedJob }[]>();

  private preparePushes(ctx: CommandContext): void {
    if (ctx.pushed.length === 0) return;
    const out: { waiter: JobWaiter; job: ActivatedJob }[] = [];
    for (const { waiter, job, inst } of ctx.pushed.splice(0)) {
      if (!inst.elements.has(job.elementInstanceKey)) {
        this.jobPush.release(waiter);
        continue;
      }
      let variables = inst.visible(job.elementInstanceKey);
      if (waiter.fetchVariable && waiter.fetchVariable.length > 0) {
        const picked: Variables = {};
        for (const name of waiter.fetchVariable) if (name in variables) picked[name] = variables[name];
        variables = picked;
      }
      out.push({ waiter, job: toActivatedJob(job, waiter.worker, variables) });
    }
    this.deliveries.set(ctx, out);
  }

  private releasePushes(ctx: CommandContext): void {
    for (const { waiter } of ctx.pushed.splice(0)) this.jobPush.release(waiter);
    for (const { waiter } of this.deliveries.get(ctx) ?? []) this.jobPush.release(waiter);
    this.deliveries.delete(ctx);
  }

  /** The command's history in the port's shape, built once for exporters and listeners together. */
  private readonly portEventsOf = new WeakMap<CommandContext, HistoryEvent[]>();

  private portEvents(ctx: CommandContext): HistoryEvent[] {
    let events = this.portEventsOf.get(ctx);
    if (!events || events.length !== ctx.flushedHistory.length) {
      // A command has one time: format it once.
      const stamp = new Date(ctx.now).toISOString();
      events = ctx.flushedHistory.map((e) => toHistoryEvent(e, e.time === ctx.now ? stamp : undefined));
      this.portEventsOf.set(ctx, events);
    }
    return events;
  }

  private afterCommit(ctx: CommandContext): void {
    for (const { waiter, job } of this.deliveries.get(ctx) ?? []) this.jobPush.deliver(waiter, job);
    this.deliveries.delete(ctx);
    if (this.dialect === 'mysql') this.cache?.store(ctx.instances.values());
    for (const type of ctx.newJobTypes) this.wake(type);
    if (this.listeners.size > 0 && ctx.flushedHistory.length > 0) {
      const events = this.portEvents(ctx);
      for (const listener of this.listeners) {
        try {
          listener(events);
        } catch (err) {
          this.log.error({ err }, 'engine listener failed');
        }
      }
    }
  }

  /** Subscribes to committed history batches. */
  subscribe(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds an in-transaction exporter. */
  addExporter(exporter: Exporter): void {
    this.exporters.push(exporter);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Deployment

  /** Lints resources without deploying them. */
  async lint(resources: DeployResource[]): Promise<LintFinding[]> {
    const { findings } = await this.prepare(resources);
    return findings;
  }

  private async prepare(resources: DeployResource[]): Promise<{
    findings: LintFinding[];
    processes: { resource: DeployResource; checksum: string; model: ProcessModel }[];
    forms: { resource: DeployResource; checksum: string; formId: string }[];
  }> {
    if (!Array.isArray(resources) || resources.length === 0) {
      throw new InvalidArgumentError('MISSING_FIELD', 'resources must list at least one resource', [
        { field: 'resources', message: 'must list at least one resource' },
      ]);
    }
    const findings: LintFinding[] = [];
    const processes: { resource: DeployResource; checksum: string; model: ProcessModel }[] = [];
    const forms: { resource: DeployResource; checksum: string; formId: string }[] = [];
    for (const [i, resource] of resources.entries()) {
      const name = requireText(resource?.name, `resources[${i}].name`);
      if (typeof resource.content !== 'string' || resource.content.trim() === '') {
        throw new InvalidArgumentError('MISSING_FIELD', `resources[${i}].content is empty`, [
          { field: `resources[${i}].content`, message: 'is empty' },
        ]);
      }
      const checksum = createHash('sha256').update(resource.content).digest('hex');
      if (/\.form$/i.test(name)) {
        let schema: { id?: unknown };
        try {
          schema = JSON.parse(resource.content) as { id?: unknown };
        } catch (e) {
          throw new InvalidArgumentError(
            'INVALID_FORM',
            `${name} is not valid JSON: ${(e as Error).message}`,
            [{ field: `resources[${i}].content`, message: 'is not valid JSON' }],
          );
        }
        if (typeof schema?.id !== 'string' || schema.id === '') {
          throw new InvalidArgumentError('INVALID_FORM', `${name} has no form "id"`, [
            { field: `resources[${i}].content`, message: 'form has no "id"' },
          ]);
        }
        forms.push({ resource, checksum, formId: schema.id });
        continue;
      }
      if (!/\.(bpmn|bpmn20\.xml|xml)$/i.test(name)) {
        throw new InvalidArgumentError(
          'UNSUPPORTED_RESOURCE',
          `${name}: only .bpmn and .form resources deploy`,
          [{ field: `resources[${i}].name`, message: 'must end in .bpmn or .form' }],
        );
      }
      let definitions: unknown;
      try {
        ({ definitions } = await readBpmn(resource.content));
      } catch (e) {
        if (e instanceof BpmnParseError) {
          throw new DeployRejectedError(`${name} is not valid BPMN: ${e.message}`, [
            { resourceName: name, elementId: '', rule: 'xml', message: e.message, category: 'error' },
          ]);
        }
        throw e;
      }
      const issues = await lintDefinitions(definitions);
      for (const issue of issues) findings.push({ resourceName: name, ...issue });
      if (issues.some((i) => i.category === 'error')) continue;
      const models = parseProcesses(definitions);
      if (models.length === 0) {
        findings.push({
          resourceName: name,
          elementId: '',
          rule: 'gridflow/executable-process',
          message: 'The resource contains no executable process',
          category: 'error',
        });
      }
      for (const model of models) {
        // Zeebe refuses a deployment that declares one process id twice: which would be the new version?
        const twin = processes.find((p) => p.model.bpmnProcessId === model.bpmnProcessId);
        if (twin) {
          findings.push({
            resourceName: name,
            elementId: model.bpmnProcessId,
            rule: 'gridflow/duplicate-process-id',
            message: `Process id "${model.bpmnProcessId}" is also declared in ${twin.resource.name}`,
            category: 'error',
          });
          continue;
        }
        processes.push({ resource, checksum, model });
      }
    }
    return { findings, processes, forms };
  }

  /** Deploys BPMN and form resources; refuses the whole deploy when any resource has a lint error. */
  async deploy(resources: DeployResource[], options: { actor?: string } = {}): Promise<Deployment> {
    const { findings, processes, forms } = await this.prepare(resources);
    const errors = findings.filter((f) => f.category === 'error');
    if (errors.length > 0) {
      const where = errors.map((f) => `${f.elementId || f.resourceName}: ${f.message}`).join('; ');
      throw new DeployRejectedError(`The deployment was rejected: ${where}`, errors);
    }
    const deployment = await this.command(options.actor, async (ctx, processor) => {
      const deploymentKey = ctx.nextKey();
      const result: Deployment = {
        deploymentKey: String(deploymentKey),
        processes: [],
        forms: [],
        warnings: findings,
      };
      for (const { resource, checksum, model } of processes) {
        const latest = await ctx.sql.all<{
          process_definition_key: number | string;
          version: number;
          checksum: string;
          deployed_at: number | string;
          name: string | null;
          resource_name: string;
        }>(
          `SELECT process_definition_key, version, checksum, deployed_at, name, resource_name FROM engine_process_definition WHERE bpmn_process_id = ? ORDER BY version DESC LIMIT 1${forUpdate(ctx.sql.dialect)}`,
          [model.bpmnProcessId],
        );
        if (latest.length > 0 && latest[0].checksum === checksum) {
          const l = latest[0];
          result.processes.push({
            processDefinitionKey: String(l.process_definition_key),
            bpmnProcessId: model.bpmnProcessId,
            version: Number(l.version),
            name: l.name ?? undefined,
            resourceName: l.resource_name,
            checksum,
            deployedAt: iso(num(l.deployed_at))!,
          });
          continue;
        }
        const key = ctx.nextKey();
        const version = latest.length > 0 ? Number(latest[0].version) + 1 : 1;
        await ctx.sql.run(
          'INSERT INTO engine_process_definition (process_definition_key, bpmn_process_id, version, name, resource_name, checksum, deployment_key, xml, deployed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
            key,
            model.bpmnProcessId,
            version,
            model.name ?? null,
            resource.name,
            checksum,
            deploymentKey,
            resource.content,
            ctx.now,
          ],
        );
        this.definitions.remember({
          key,
          bpmnProcessId: model.bpmnProcessId,
          version,
          name: model.name ?? null,
          resourceName: resource.name,
          checksum,
          deployedAt: ctx.now,
          model,
        });
        await this.replaceStartSubscriptions(ctx, processor, key, model);
        result.processes.push({
          processDefinitionKey: String(key),
          bpmnProcessId: model.bpmnProcessId,
          version,
          name: model.name,
          resourceName: resource.name,
          checksum,
          deployedAt: iso(ctx.now)!,
        });
      }
      for (const { resource, checksum, formId } of forms) {
        const latest = await ctx.sql.all<{
          form_key: number | string;
          version: number;
          checksum: string;
          deployed_at: number | string;
          resource_name: string;
        }>(
          `SELECT form_key, version, checksum, deployed_at, resource_name FROM engine_form WHERE form_id = ? ORDER BY version DESC LIMIT 1${forUpdate(ctx.sql.dialect)}`,
          [formId],
        );
        if (latest.length > 0 && latest[0].checksum === checksum) {
          const l = latest[0];
          result.forms.push({
            formKey: String(l.form_key),
            formId,
            version: Number(l.version),
            resourceName: l.resource_name,
            checksum,
            deployedAt: iso(num(l.deployed_at))!,
          });
          continue;
        }
        const key = ctx.nextKey();
        const version = latest.length > 0 ? Number(latest[0].version) + 1 : 1;
        await ctx.sql.run(
          'INSERT INTO engine_form (form_key, form_id, version, resource_name, checksum, deployment_key, schema_json, deployed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [key, formId, version, resource.name, checksum, deploymentKey, resource.content, ctx.now],
        );
        result.forms.push({
          formKey: String(key),
          formId,
          version,
          resourceName: resource.name,
          checksum,
          deployedAt: iso(ctx.now)!,
        });
      }
      return result;
    });
    this.log.info(
      {
        processes: deployment.processes.map((p) => `${p.bpmnProcessId}:${p.version}`),
        forms: deployment.forms.length,
      },
      'deployed',
    );
    return deployment;
  }

  /** The latest version owns the message, signal and timer start events of its process id. */
  private async replaceStartSubscriptions(
    ctx: CommandContext,
    processor: Processor,
    definitionKey: number,
    model: ProcessModel,
  ): Promise<void> {
    const older = await ctx.sql.all<{ process_definition_key: number | string }>(
      'SELECT process_definition_key FROM engine_process_definition WHERE bpmn_process_id = ? AND process_definition_key <> ?',
      [model.bpmnProcessId, definitionKey],
    );
    await ctx.sql.run('DELETE FROM engine_start_subscription WHERE bpmn_process_id = ?', [
      model.bpmnProcessId,
    ]);
    if (older.length > 0) {
      const keys = older.map((o) => num(o.process_definition_key));
      await ctx.sql.run(
        `DELETE FROM engine_timer WHERE process_instance_key IS NULL AND process_definition_key IN (${placeholders(keys.length)})`,
        keys,
      );
    }
    for (const id of model.triggeredStartIds) {
      const start = elementOf(model, id);
      const def = start.event!;
      if (def.kind === 'message' || def.kind === 'signal') {
        const name = def.kind === 'message' ? def.messageName : def.signalName;
        await ctx.sql.run(
          'INSERT INTO engine_start_subscription (subscription_key, kind, name, process_definition_key, bpmn_process_id, element_id) VALUES (?, ?, ?, ?, ?, ?)',
          [ctx.nextKey(), def.kind, name ?? '', definitionKey, model.bpmnProcessId, id],
        );
      } else if (def.kind === 'timer') {
        const spec = processor.timerSchedule(null, 0, def.timer!, ctx.now);
        ctx.timerInserts.push({
          key: ctx.nextKey(),
          processInstanceKey: null,
          elementInstanceKey: null,
          processDefinitionKey: definitionKey,
          elementId: id,
          dueAt: spec.dueAt,
          repetitions: spec.repetitions,
          cycle: spec.cycle,
        });
      }
    }
  }

  /** Deployed definitions, newest version first per process id. */
  async listProcessDefinitions(filter: { bpmnProcessId?: string } = {}): Promise<ProcessDefinition[]> {
    const where = filter.bpmnProcessId ? 'WHERE bpmn_process_id = ?' : '';
    const rows = await this.reads.all<DefinitionListRow>(
      `SELECT process_definition_key, bpmn_process_id, version, name, resource_name, checksum, deployed_at FROM engine_process_definition ${where} ORDER BY bpmn_process_id, version DESC`,
      filter.bpmnProcessId ? [filter.bpmnProcessId] : [],
    );
    return rows.map(toProcessDefinition);
  }

  /** One definition with its XML. */
  async getProcessDefinition(processDefinitionKey: Key): Promise<ProcessDefinition & { xml: string }> {
    const key = parseKey(processDefinitionKey, 'processDefinitionKey');
    const rows = await this.reads.all<DefinitionListRow & { xml: string }>(
      'SELECT process_definition_key, bpmn_process_id, version, name, resource_name, checksum, deployed_at, xml FROM engine_process_definition WHERE process_definition_key = ?',
      [key],
    );
    if (rows.length === 0)
      throw new NotFoundError('PROCESS_DEFINITION_NOT_FOUND', `No process definition with key ${key}`);
    return { ...toProcessDefinition(rows[0]), xml: rows[0].xml };
  }

  /** A form by key. */
  async getForm(formKey: Key): Promise<FormDefinition & { schema: string }> {
    const key = parseKey(formKey, 'formKey');
    return this.formWhere('form_key = ?', [key], `No form with key ${key}`);
  }

  /** The latest form with an id. */
  async getLatestForm(formId: string): Promise<FormDefinition & { schema: string }> {
    requireText(formId, 'formId');
    return this.formWhere(
      'form_id = ? ORDER BY version DESC LIMIT 1',
      [formId],
      `No form with id "${formId}" is deployed`,
    );
  }

  private async formWhere(
    where: string,
    params: unknown[],
    notFound: string,
  ): Promise<FormDefinition & { schema: string }> {
    const rows = await this.reads.all<{
      form_key: number | string;
      form_id: string;
      version: number;
      resource_name: string;
      checksum: string;
      deployed_at: number | string;
      schema_json: string;
    }>(
      `SELECT form_key, form_id, version, resource_name, checksum, deployed_at, schema_json FROM engine_form WHERE ${where}`,
      params,
    );
    if (rows.length === 0) throw new NotFoundError('FORM_NOT_FOUND', notFound);
    const r = rows[0];
    return {
      formKey: String(r.form_key),
      formId: r.form_id,
      version: Number(r.version),
      resourceName: r.resource_name,
      checksum: r.checksum,
      deployedAt: iso(num(r.deployed_at))!,
      schema: r.schema_json,
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Process instances

  /** Creates an instance at the none start event of the latest (or a given) version. */
  async createProcessInstance(request: CreateProcessInstanceRequest): Promise<ProcessInstance> {
    const variables = assertVariables(request?.variables);
    const definitionKey =
      request?.processDefinitionKey !== undefined
        ? parseKey(request.processDefinitionKey, 'processDefinitionKey')
        : undefined;
    if (definitionKey === undefined) requireText(request?.bpmnProcessId, 'bpmnProcessId');
    if (request.version !== undefined) requireInt(request.version, 'version', 1, 1_000_000);
    return this.command(request.actor, async (ctx, processor) => {
      const deployed =
        definitionKey !== undefined
          ? await this.definitions.get(ctx.sql, definitionKey)
          : request.version !== undefined
            ? await this.definitions.version(ctx.sql, request.bpmnProcessId!, request.version)
            : await this.definitions.latest(ctx.sql, request.bpmnProcessId!);
      if (!deployed.model.root.startEventId) {
        throw new InvalidArgumentError(
          'NO_NONE_START_EVENT',
          `Process "${deployed.bpmnProcessId}" has no none start event: it starts by message, timer or signal`,
        );
      }
      const key = ctx.nextKey();
      const row: ProcessInstanceRow = {
        key,
        rootKey: key,
        processDefinitionKey: deployed.key,
        bpmnProcessId: deployed.bpmnProcessId,
        version: deployed.version,
        state: 'ACTIVE',
        parentProcessInstanceKey: null,
        parentElementInstanceKey: null,
        messageCorrelationKey: null,
        incidentCount: 0,
        lockVersion: 0,
        startedAt: ctx.now,
        endedAt: null,
      };
      const inst = new InstanceState(row, deployed.model, true);
      const extra = await runWithin(ctx, request.within, { processInstanceKey: String(key) });
      const start = extra ? { ...variables, ...extra } : variables;
      ctx.addNewInstance(row, inst);
      processor.startInstance(inst, start);
      return () => toProcessInstance(inst.row);
    }).then((snapshot) => snapshot());
  }

  /** Cancels a root instance and every instance it called. */
  async cancelProcessInstance(processInstanceKey: Key, options: { actor?: string } = {}): Promise<void> {
    const key = parseKey(processInstanceKey, 'processInstanceKey');
    await this.command(options.actor, async (ctx, processor) => {
      const inst = await ctx.loadInstance(key);
      if (inst.row.state !== 'ACTIVE') {
        throw new NotFoundError(
          'PROCESS_INSTANCE_NOT_ACTIVE',
          `Process instance ${key} is already ${inst.row.state.toLowerCase()}`,
        );
      }
      if (inst.row.parentProcessInstanceKey != null) {
        throw new ConflictError(
          'CHILD_INSTANCE',
          `Process instance ${key} was called by instance ${inst.row.parentProcessInstanceKey}: cancel that one instead`,
        );
      }
      await processor.cancel(inst);
    });
  }

  /** One instance. */
  async getProcessInstance(processInstanceKey: Key): Promise<ProcessInstance> {
    const key = parseKey(processInstanceKey, 'processInstanceKey');
    const rows = await this.reads.all<Parameters<typeof toProcessInstanceRow>[0]>(
      'SELECT * FROM engine_process_instance WHERE process_instance_key = ?',
      [key],
    );
    if (rows.length === 0) throw instanceNotFound(key);
    return toProcessInstance(toProcessInstanceRow(rows[0]));
  }

  /** Variables of every scope of a running instance; of an ended one, its root variables as the history left them. */
  async getVariables(processInstanceKey: Key): Promise<Variable[]> {
    const key = parseKey(processInstanceKey, 'processInstanceKey');
    const instance = await this.getProcessInstance(processInstanceKey);
    if (instance.state === 'ACTIVE') {
      const rows = await this.reads.all<{ scope_key: number | string; name: string; value: string }>(
        'SELECT scope_key, name, value FROM engine_variable WHERE process_instance_key = ? ORDER BY scope_key, name',
        [key],
      );
      return rows.map((r) => ({
        scopeKey: String(r.scope_key),
        name: r.name,
        value: JSON.parse(r.value) as unknown,
      }));
    }
    const rows = await this.reads.all<{ payload: string }>(
      "SELECT payload FROM engine_history_event WHERE process_instance_key = ? AND intent IN ('VARIABLE_CREATED', 'VARIABLE_UPDATED') AND element_instance_key = ? ORDER BY position",
      [key, key],
    );
    const latest = new Map<string, unknown>();
    for (const r of rows) {
      const p = parseJson<{ name: string; value: unknown }>(r.payload, { name: '', value: null });
      latest.set(p.name, p.value);
    }
    return [...latest]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ scopeKey: String(key), name, value }));
  }

  /** Sets variables on an element instance or process instance scope. */
  async setVariables(request: {
    elementInstanceKey: Key;
    variables: Variables;
    local?: boolean;
    actor?: string;
  }): Promise<void> {
    const scopeKey = parseKey(request?.elementInstanceKey, 'elementInstanceKey');
    const variables = assertVariables(request.variables);
    await this.command(request.actor, async (ctx, processor) => {
      const rows = await ctx.sql.all<{ process_instance_key: number | string }>(
        'SELECT process_instance_key FROM engine_element_instance WHERE element_instance_key = ?',
        [scopeKey],
      );
      if (rows.length === 0) {
        throw new NotFoundError(
          'SCOPE_NOT_FOUND',
          `No active element instance or process instance with key ${scopeKey}`,
        );
      }
      const inst = await ctx.loadInstance(num(rows[0].process_instance_key));
      if (!inst.elements.has(scopeKey)) {
        throw new NotFoundError(
          'SCOPE_NOT_FOUND',
          `No active element instance or process instance with key ${scopeKey}`,
        );
      }
      processor.setVariables(inst, scopeKey, variables, request.local === true);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Messages and signals

  /** Publishes a message: correlates it to every waiting instance (once each) and buffers it for its TTL. */
  async publishMessage(request: PublishMessageRequest): Promise<{ messageKey: Key }> {
    const name = requireText(request?.name, 'name');
    const correlationKey = typeof request.correlationKey === 'string' ? request.correlationKey : '';
    const variables = assertVariables(request.variables);
    const ttl = request.timeToLive ?? 0;
    requireInt(ttl, 'timeToLive', 0, 10 * 365 * 24 * 3600 * 1000);
    if (request.messageId !== undefined) requireText(request.messageId, 'messageId');
    return this.command(request.actor, async (ctx, processor) => {
      if (request.messageId !== undefined) {
        // Zeebe: a message id is unique per name and correlation key while the message is buffered.
        const existing = await ctx.sql.all<{ message_key: number | string }>(
          'SELECT message_key FROM engine_message WHERE name = ? AND correlation_key = ? AND message_id = ? AND expires_at > ?',
          [name, correlationKey, request.messageId, ctx.now],
        );
        if (existing.length > 0) {
          throw new ConflictError(
            'MESSAGE_ALREADY_PUBLISHED',
            `A message named "${name}" with correlation key "${correlationKey}" and id "${request.messageId}" is already published and buffered (key ${existing[0].message_key})`,
          );
        }
        // An expired one may linger until the scheduler removes it: make room for the id.
        const stale = await ctx.sql.all<{ message_key: number | string }>(
          'SELECT message_key FROM engine_message WHERE name = ? AND correlation_key = ? AND message_id = ?',
          [name, correlationKey, request.messageId],
        );
        for (const m of stale) {
          await ctx.sql.run('DELETE FROM engine_message_correlation WHERE message_key = ?', [m.message_key]);
          await ctx.sql.run('DELETE FROM engine_message WHERE message_key = ?', [m.message_key]);
        }
      }
      const messageKey = ctx.nextKey();
      const reached = await this.correlate(
        ctx,
        processor,
        messageKey,
        name,
        correlationKey,
        variables,
        'all',
      );
      if (ttl > 0) {
        await ctx.sql.run(
          'INSERT INTO engine_message (message_key, name, correlation_key, message_id, variables, published_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [
            messageKey,
            name,
            correlationKey,
            request.messageId ?? null,
            JSON.stringify(variables),
            ctx.now,
            ctx.now + ttl,
          ],
        );
        // Once per process: a buffered message never reaches another instance of a process it reached.
        for (const processId of reached.processIds)
          ctx.correlationInserts.push({ messageKey, target: `bp:${processId}` });
      }
      return { messageKey: String(messageKey) };
    });
  }

  /** Correlates a message now to one waiting subscription or message start event. */
  async correlateMessage(request: {
    name: string;
    correlationKey: string;
    variables?: Variables;
    actor?: string;
  }): Promise<{ messageKey: Key; processInstanceKey: Key }> {
    const name = requireText(request?.name, 'name');
    const correlationKey = typeof request.correlationKey === 'string' ? request.correlationKey : '';
    const variables = assertVariables(request.variables);
    return this.command(request.actor, async (ctx, processor) => {
      const messageKey = ctx.nextKey();
      const reached = await this.correlate(
        ctx,
        processor,
        messageKey,
        name,
        correlationKey,
        variables,
        'one',
      );
      if (reached.instanceKeys.length === 0) {
        throw new NotFoundError(
          'NO_SUBSCRIPTION',
          `No process instance waits for a message named "${name}" with correlation key "${correlationKey}"`,
        );
      }
      return { messageKey: String(messageKey), processInstanceKey: String(reached.instanceKeys[0]) };
    });
  }

  /**
   * Correlates a message as Zeebe does: to at most one waiting subscription per process (BPMN process id),
   * then to the message start event of every process it has not reached yet, unless an instance that a
   * message with the same correlation key started is still active. Returns the process ids it reached and
   * the instances.
   */
  private async correlate(
    ctx: CommandContext,
    processor: Processor,
    messageKey: number,
    name: string,
    correlationKey: string,
    variables: Variables,
    mode: 'all' | 'one',
  ): Promise<{ processIds: string[]; instanceKeys: number[] }> {
    const reached = { processIds: [] as string[], instanceKeys: [] as number[] };
    const subs = await ctx.sql.all<{
      subscription_key: number | string;
      process_instance_key: number | string;
      element_instance_key: number | string;
      element_id: string;
      bpmn_process_id: string;
    }>(
      `SELECT s.subscription_key, s.process_instance_key, s.element_instance_key, s.element_id, p.bpmn_process_id
         FROM engine_message_subscription s JOIN engine_process_instance p ON p.process_instance_key = s.process_instance_key
        WHERE s.message_name = ? AND s.correlation_key = ? ORDER BY s.subscription_key`,
      [name, correlationKey],
    );
    const done = new Set<string>();
    for (const s of subs) {
      if (done.has(s.bpmn_process_id)) continue;
      const inst = await ctx.loadInstance(num(s.process_instance_key));
      if (ctx.sql.dialect === 'mysql') {
        const still = await ctx.sql.all(
          'SELECT 1 FROM engine_message_subscription WHERE subscription_key = ?',
          [s.subscription_key],
        );
        if (still.length === 0) continue;
      }
      const owner = inst.elements.get(num(s.element_instance_key));
      if (!owner || inst.row.state !== 'ACTIVE') continue;
      if (owner.state !== 'ACTIVATED' && owner.elementId === s.element_id) continue;
      done.add(s.bpmn_process_id);
      reached.processIds.push(s.bpmn_process_id);
      reached.instanceKeys.push(inst.row.key);
      ctx.event(inst, owner, 'MESSAGE_CORRELATED', {
        messageKey: String(messageKey),
        messageName: name,
        correlationKey,
        elementId: s.element_id,
      });
      await processor.trigger(inst, owner, s.element_id, variables);
      if (mode === 'one') return reached;
    }
    const starts = await ctx.sql.all<{
      process_definition_key: number | string;
      bpmn_process_id: string;
      element_id: string;
    }>(
      "SELECT process_definition_key, bpmn_process_id, element_id FROM engine_start_subscription WHERE kind = 'message' AND name = ?",
      [name],
    );
    for (const s of starts) {
      if (done.has(s.bpmn_process_id)) continue;
      if (correlationKey !== '') {
        const active = await ctx.sql.all(
          "SELECT 1 FROM engine_process_instance WHERE bpmn_process_id = ? AND state = 'ACTIVE' AND message_correlation_key = ? LIMIT 1",
          [s.bpmn_process_id, correlationKey],
        );
        if (active.length > 0) continue;
      }
      const inst = await processor.startByEvent(
        num(s.process_definition_key),
        s.element_id,
        variables,
        correlationKey || null,
      );
      ctx.event(
        inst,
        null,
        'MESSAGE_CORRELATED',
        { messageKey: String(messageKey), messageName: name, correlationKey, elementId: s.element_id },
        { id: s.element_id, type: 'START_EVENT' },
      );
      done.add(s.bpmn_process_id);
      reached.processIds.push(s.bpmn_process_id);
      reached.instanceKeys.push(inst.row.key);
      if (mode === 'one') return reached;
    }
    return reached;
  }

  /** Broadcasts a signal to every waiting catch event and signal start event. */
  async broadcastSignal(request: {
    signalName: string;
    variables?: Variables;
    actor?: string;
  }): Promise<{ signalKey: Key }> {
    const name = requireText(request?.signalName, 'signalName');
    const variables = assertVariables(request.variables);
    return this.command(request.actor, async (ctx, processor) => {
      const signalKey = ctx.nextKey();
      await processor.broadcastSignal(name, variables);
      return { signalKey: String(signalKey) };
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Jobs

  /** Activates up to maxJobsToActivate jobs of a type; with requestTimeout, waits for one to appear. */
  async activateJobs(request: ActivateJobsRequest): Promise<ActivatedJob[]> {
    const type = requireText(request?.type, 'type');
    const worker = requireText(request.worker, 'worker');
    const max = requireInt(request.maxJobsToActivate, 'maxJobsToActivate', 1, 1000);
    const timeout = requireInt(request.timeout, 'timeout', 1, 30 * 24 * 3600 * 1000);
    const waitUntil = Date.now() + (request.requestTimeout ?? 0);
    for (;;) {
      // A job committed while this activation looked would wake nobody: the generation tells.
      const generation = this.jobGenerations.get(type) ?? 0;
      const jobs = await this.activateNow(type, worker, max, timeout, request.fetchVariable);
      if (jobs.length > 0 || this.stopped || request.signal?.aborted) return jobs;
      const remaining = waitUntil - Date.now();
      if (remaining <= 0) return jobs;
      if ((this.jobGenerations.get(type) ?? 0) !== generation) continue;
      const pushed = await this.jobPush.wait(
        { type, worker, timeout, fetchVariable: request.fetchVariable, capacity: max },
        Math.min(remaining, 5000),
        request.signal,
      );
      if (pushed.length > 0) return pushed;
    }
  }

  private wake(type: string): void {
    this.jobGenerations.set(type, (this.jobGenerations.get(type) ?? 0) + 1);
    this.jobPush.wakeAll(type);
  }

  private async activateNow(
    type: string,
    worker: string,
    max: number,
    timeout: number,
    fetchVariable: string[] | undefined,
  ): Promise<ActivatedJob[]> {
    // A cheap look before taking the write lock: most polls of an idle type find nothing.
    const any = await this.reads.all('SELECT 1 FROM engine_job WHERE type = ? AND state = ? LIMIT 1', [
      type,
      'ACTIVATABLE',
    ]);
    if (any.length === 0) return [];
    return this.command(worker, async (ctx) => {
      const rows = await ctx.sql.all<JobDbRow>(
        `SELECT * FROM engine_job WHERE type = ? AND state = 'ACTIVATABLE' ORDER BY job_key LIMIT ${max}${forUpdate(ctx.sql.dialect, true)}`,
        [type],
      );
      if (rows.length === 0) return [];
      const jobs = rows.map(toJobRow);
      const activationKey = ctx.nextKey();
      const deadline = ctx.now + timeout;
      const keys = jobs.map((j) => j.key);
      ctx.statements.push({
        sql: `UPDATE engine_job SET state = 'ACTIVATED', worker = ?, deadline = ?, activation_key = ? WHERE job_key IN (${placeholders(keys.length)})`,
        params: [worker, deadline, activationKey, ...keys],
      });
      const variables = await this.jobVariables(ctx.sql, jobs, fetchVariable);
      return jobs.map((j) =>
        toActivatedJob({ ...j, worker, deadline, activationKey }, worker, variables.get(j.key) ?? {}),
      );
    });
  }

  /**
   * The variables visible from each job's element instance, for the whole batch in one query (one round
   * trip on MySQL): the instances' element scopes and their variables, told apart by `part`.
   */
  private async jobVariables(
    sql: Sql,
    jobs: JobRow[],
    fetch: string[] | undefined,
  ): Promise<Map<number, Variables>> {
    const instanceKeys = [...new Set(jobs.map((j) => j.processInstanceKey))];
    const marks = placeholders(instanceKeys.length);
    const names = fetch ?? [];
    const fetchClause = names.length > 0 ? ` AND name IN (${placeholders(names.length)})` : '';
    const rows = await sql.all<{
      part: number | string;
      scope: number | string;
      parent: number | string | null;
      name: string | null;
      value: string | null;
    }>(
      `SELECT 0 AS part, element_instance_key AS scope, flow_scope_key AS parent, NULL AS name, NULL AS value FROM engine_element_instance WHERE process_instance_key IN (${marks})
       UNION ALL
       SELECT 1, scope_key, NULL, name, value FROM engine_variable WHERE process_instance_key IN (${marks})${fetchClause}`,
      [...instanceKeys, ...instanceKeys, ...names],
    );
    const parent = new Map<number, number | null>();
    const byScope = new Map<number, { name: string; value: string }[]>();
    for (const r of rows) {
      const scope = num(r.scope);
      if (Number(r.part) === 0) {
        parent.set(scope, r.parent == null ? null : num(r.parent));
        continue;
      }
      let list = byScope.get(scope);
      if (!list) byScope.set(scope, (list = []));
      list.push({ name: r.name!, value: r.value! });
    }
    const out = new Map<number, Variables>();
    for (const job of jobs) {
      const chain: number[] = [];
      let current: number | null | undefined = job.elementInstanceKey;
      while (current != null) {
        chain.push(current);
        current = parent.get(current);
      }
      const doc: Variables = {};
      for (let i = chain.length - 1; i >= 0; i--) {
        for (const v of byScope.get(chain[i]) ?? []) doc[v.name] = JSON.parse(v.value);
      }
      out.set(job.key, doc);
    }
    return out;
  }

  /**
   * A job or user task row and, on MySQL, its instance row, both locked in one statement: the instance row
   * serialises commands on the instance, the job or task row keeps activation and time-outs off it.
   */
  private async lockedWithInstance<R>(
    ctx: CommandContext,
    table: string,
    keyColumn: string,
    key: number,
  ): Promise<R[]> {
    if (ctx.sql.dialect === 'sqlite')
      return ctx.sql.all<R>(`SELECT * FROM ${table} WHERE ${keyColumn} = ?`, [key]);
    const rows = await ctx.sql.all<R & Record<string, unknown>>(
      `SELECT t.*, ${PI_JOIN_COLUMNS} FROM ${table} t JOIN engine_process_instance p ON p.process_instance_key = t.process_instance_key WHERE t.${keyColumn} = ? FOR UPDATE`,
      [key],
    );
    if (rows.length > 0) ctx.adoptLockedRow(joinedProcessInstanceRow(rows[0]));
    return rows;
  }

  /** Loads a job and its instance inside a command, checking it can be answered by this activation. */
  private async jobForAnswer(
    ctx: CommandContext,
    jobKey: number,
    activationKey: string | undefined,
    verb: string,
  ): Promise<{ job: JobRow; inst: InstanceState }> {
    const rows = await this.lockedWithInstance<JobDbRow>(ctx, 'engine_job', 'job_key', jobKey);
    if (rows.length === 0) throw jobNotFound(jobKey, verb);
    const inst = await ctx.loadInstance(num(rows[0].process_instance_key));
    const job = toJobRow(rows[0]);
    if (activationKey !== undefined && String(job.activationKey) !== String(activationKey)) {
      throw new ConflictError(
        'JOB_REACTIVATED',
        `Job ${jobKey} cannot be ${verb}: its activation timed out and it was activated again${job.worker ? ` by worker "${job.worker}"` : ''}`,
      );
    }
    if (job.state === 'FAILED' || job.state === 'ERROR_THROWN') {
      throw new ConflictError(
        'JOB_NOT_ACTIVATED',
        `Job ${jobKey} cannot be ${verb}: it is ${job.state.toLowerCase().replace('_', ' ')}`,
      );
    }
    if (!inst.elements.has(job.elementInstanceKey)) throw jobNotFound(jobKey, verb);
    return { job, inst };
  }

  /** Completes a job; its element completes with the variables. */
  async completeJob(request: CompleteJobRequest): Promise<void> {
    const jobKey = parseKey(request?.jobKey, 'jobKey');
    const variables = assertVariables(request.variables);
    await this.command(request.actor, async (ctx, processor) => {
      const { job, inst } = await this.jobForAnswer(ctx, jobKey, request.activationKey, 'completed');
      const extra = await runWithin(ctx, request.within, {});
      const completion = extra ? { ...variables, ...extra } : variables;
      const ei = inst.elements.get(job.elementInstanceKey)!;
      ctx.jobDeletes.push(jobKey);
      ctx.settledJobElements.add(ei.key);
      ctx.event(inst, ei, 'JOB_COMPLETED', {
        jobKey: String(jobKey),
        worker: job.worker,
        variables: completion,
      });
      processor.complete(inst, ei, completion);
    });
  }

  /** Fails a job: retried after the back-off while retries are left, else an incident. */
  async failJob(request: FailJobRequest): Promise<void> {
    const jobKey = parseKey(request?.jobKey, 'jobKey');
    const retries = requireInt(request.retries, 'retries', 0, 1_000_000);
    const backOff = request.retryBackOff ?? 0;
    requireInt(backOff, 'retryBackOff', 0, 30 * 24 * 3600 * 1000);
    const variables = assertVariables(request.variables);
    await this.command(request.actor, async (ctx, processor) => {
      const { job, inst } = await this.jobForAnswer(ctx, jobKey, request.activationKey, 'failed');
      const ei = inst.elements.get(job.elementInstanceKey)!;
      const message = request.errorMessage ?? '';
      if (Object.keys(variables).length > 0) processor.setVariables(inst, ei.key, variables, true);
      const state = retries > 0 && backOff === 0 ? 'ACTIVATABLE' : 'FAILED';
      await ctx.sql.run(
        'UPDATE engine_job SET state = ?, retries = ?, error_message = ?, backoff_until = ?, worker = NULL, deadline = NULL WHERE job_key = ?',
        [state, retries, message, retries > 0 && backOff > 0 ? ctx.now + backOff : null, jobKey],
      );
      ctx.event(inst, ei, 'JOB_FAILED', {
        jobKey: String(jobKey),
        retries,
        errorMessage: message,
        worker: job.worker,
      });
      if (state === 'ACTIVATABLE') ctx.newJobTypes.add(job.type);
      if (retries <= 0) processor.jobIncident(inst, ei, jobKey, message || 'No more retries left.');
    });
  }

  /** Throws a BPMN error for a job. */
  async throwError(request: ThrowErrorRequest): Promise<void> {
    const jobKey = parseKey(request?.jobKey, 'jobKey');
    const code = requireText(request.errorCode, 'errorCode');
    const variables = assertVariables(request.variables);
    await this.command(request.actor, async (ctx, processor) => {
      const { job, inst } = await this.jobForAnswer(
        ctx,
        jobKey,
        request.activationKey,
        'answered with an error',
      );
      const ei = inst.elements.get(job.elementInstanceKey)!;
      ctx.settledJobElements.add(ei.key);
      ctx.event(inst, ei, 'JOB_ERROR_THROWN', {
        jobKey: String(jobKey),
        errorCode: code,
        errorMessage: request.errorMessage ?? '',
      });
      const caught = await processor.throwError(
        inst,
        ei,
        code,
        request.errorMessage ?? '',
        variables,
        jobKey,
      );
      if (caught) {
        ctx.jobDeletes.push(jobKey);
      } else {
        await ctx.sql.run(
          "UPDATE engine_job SET state = 'ERROR_THROWN', error_message = ?, worker = NULL, deadline = NULL WHERE job_key = ?",
          [request.errorMessage ?? code, jobKey],
        );
      }
    });
  }

  /** Sets a job's retries (before resolving its incident). */
  async updateJobRetries(request: { jobKey: Key; retries: number; actor?: string }): Promise<void> {
    const jobKey = parseKey(request?.jobKey, 'jobKey');
    const retries = requireInt(request.retries, 'retries', 1, 1_000_000);
    await this.command(request.actor, async (ctx) => {
      const rows = await ctx.sql.all<JobDbRow>('SELECT * FROM engine_job WHERE job_key = ?', [jobKey]);
      if (rows.length === 0) throw jobNotFound(jobKey, 'updated');
      const inst = await ctx.loadInstance(num(rows[0].process_instance_key));
      const job = toJobRow(rows[0]);
      await ctx.sql.run('UPDATE engine_job SET retries = ? WHERE job_key = ?', [retries, jobKey]);
      ctx.event(
        inst,
        inst.elements.get(job.elementInstanceKey) ?? null,
        'JOB_RETRIES_UPDATED',
        { jobKey: String(jobKey), retries },
        {
          id: job.elementId,
          type: '',
        },
      );
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // User tasks

  /** Searches user tasks. */
  async searchUserTasks(
    query: { filter?: UserTaskFilter; sort?: UserTaskSort[]; page?: Page } = {},
  ): Promise<SearchResult<UserTask>> {
    const f = query.filter ?? {};
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.state) {
      where.push('t.state = ?');
      params.push(f.state);
    }
    if (f.assignee) {
      where.push('t.assignee = ?');
      params.push(f.assignee);
    }
    if (f.unassigned) where.push('t.assignee IS NULL');
    if (f.candidateGroups && f.candidateGroups.length > 0) {
      where.push(
        `EXISTS (SELECT 1 FROM engine_user_task_candidate c WHERE c.user_task_key = t.user_task_key AND c.kind = 'group' AND c.value IN (${placeholders(f.candidateGroups.length)}))`,
      );
      params.push(...f.candidateGroups);
    }
    if (f.candidateUser) {
      where.push(
        "EXISTS (SELECT 1 FROM engine_user_task_candidate c WHERE c.user_task_key = t.user_task_key AND c.kind = 'user' AND c.value = ?)",
      );
      params.push(f.candidateUser);
    }
    for (const [field, column] of [
      ['processInstanceKey', 'process_instance_key'],
      ['processDefinitionKey', 'process_definition_key'],
    ] as const) {
      if (f[field] !== undefined) {
        where.push(`t.${column} = ?`);
        params.push(parseKey(f[field], `filter.${field}`));
      }
    }
    if (f.bpmnProcessId) {
      where.push('t.bpmn_process_id = ?');
      params.push(f.bpmnProcessId);
    }
    if (f.elementId) {
      where.push('t.element_id = ?');
      params.push(f.elementId);
    }
    for (const [field, column, op] of [
      ['dueBefore', 'due_date', '<'],
      ['dueAfter', 'due_date', '>'],
      ['followUpBefore', 'follow_up_date', '<'],
      ['followUpAfter', 'follow_up_date', '>'],
    ] as const) {
      if (f[field] !== undefined) {
        where.push(`t.${column} ${op} ?`);
        params.push(parseDateField(f[field], `filter.${field}`));
      }
    }
    const columns: Record<UserTaskSort['field'], string> = {
      creationDate: 't.created_at',
      dueDate: 't.due_date',
      followUpDate: 't.follow_up_date',
      priority: 't.priority',
    };
    const order = (query.sort ?? [{ field: 'creationDate', order: 'ASC' }]).map((s) => {
      if (!columns[s.field]) {
        throw new InvalidArgumentError(
          'INVALID_FIELD',
          `sort field ${String(s.field)} is not one of ${Object.keys(columns).join(', ')}`,
          [{ field: 'sort.field', message: 'unknown sort field' }],
        );
      }
      return `${columns[s.field]} ${s.order === 'DESC' ? 'DESC' : 'ASC'}`;
    });
    order.push('t.user_task_key ASC');
    const from = query.page?.from ?? 0;
    const limit = query.page?.limit ?? 50;
    requireInt(from, 'page.from', 0, 10_000_000);
    requireInt(limit, 'page.limit', 1, 1000);
    const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const [rows, count] = await Promise.all([
      this.reads.all<UserTaskDbRow>(
        `SELECT t.* FROM engine_user_task t ${whereSql} ORDER BY ${order.join(', ')} LIMIT ${limit} OFFSET ${from}`,
        params,
      ),
      this.reads.all<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM engine_user_task t ${whereSql}`,
        params,
      ),
    ]);
    return { items: rows.map((r) => toUserTask(toUserTaskRow(r))), total: num(count[0].n) };
  }

  /** One user task. */
  async getUserTask(userTaskKey: Key): Promise<UserTask> {
    const key = parseKey(userTaskKey, 'userTaskKey');
    const rows = await this.reads.all<UserTaskDbRow>(
      'SELECT * FROM engine_user_task WHERE user_task_key = ?',
      [key],
    );
    if (rows.length === 0) throw taskNotFound(key);
    return toUserTask(toUserTaskRow(rows[0]));
  }

  /**
   * Loads an open user task with its instance locked; ConflictError when it is no longer open. The caller's
   * check, if any, sees the task first (`view`, the port's shape), so its answer (not yours, not found) comes
   * before the engine's own about the task's state.
   */
  private async openTask(
    ctx: CommandContext,
    key: number,
    verb: string,
    check?: UserTaskCheck,
  ): Promise<{ task: UserTaskRow; inst: InstanceState; view?: UserTask }> {
    const rows = await this.lockedWithInstance<UserTaskDbRow>(ctx, 'engine_user_task', 'user_task_key', key);
    if (rows.length === 0) throw taskNotFound(key);
    const task = toUserTaskRow(rows[0]);
    let view: UserTask | undefined;
    if (check) await check((view = toUserTask(task)));
    const inst = await ctx.loadInstance(num(rows[0].process_instance_key));
    if (task.state !== 'CREATED' || !inst.elements.has(task.elementInstanceKey)) {
      throw new ConflictError(
        'TASK_NOT_OPEN',
        `User task ${key} cannot be ${verb}: it is already ${task.state === 'CREATED' ? 'closed' : task.state.toLowerCase()}`,
      );
    }
    return { task, inst, view };
  }

  /** Assigns a task; a claim (allowOverride false) fails when someone else holds it. */
  async assignUserTask(request: {
    userTaskKey: Key;
    assignee: string;
    allowOverride?: boolean;
    actor?: string;
    check?: UserTaskCheck;
  }): Promise<void> {
    const key = parseKey(request?.userTaskKey, 'userTaskKey');
    const assignee = requireText(request.assignee, 'assignee');
    await this.command(request.actor ?? assignee, async (ctx) => {
      const { task, inst } = await this.openTask(ctx, key, 'assigned', request.check);
      if (task.assignee === assignee) return;
      if (request.allowOverride === false && task.assignee) {
        throw new ConflictError(
          'TASK_ALREADY_ASSIGNED',
          `User task ${key} is already assigned to "${task.assignee}"`,
        );
      }
      await ctx.sql.run('UPDATE engine_user_task SET assignee = ? WHERE user_task_key = ?', [assignee, key]);
      ctx.event(inst, inst.elements.get(task.elementInstanceKey)!, 'USER_TASK_ASSIGNED', {
        userTaskKey: String(key),
        assignee,
        previousAssignee: task.assignee,
      });
    });
  }

  /** Removes the assignee. */
  async unassignUserTask(request: {
    userTaskKey: Key;
    actor?: string;
    check?: UserTaskCheck;
  }): Promise<void> {
    const key = parseKey(request?.userTaskKey, 'userTaskKey');
    await this.command(request.actor, async (ctx) => {
      const { task, inst } = await this.openTask(ctx, key, 'unassigned', request.check);
      if (task.assignee == null) return;
      await ctx.sql.run('UPDATE engine_user_task SET assignee = NULL WHERE user_task_key = ?', [key]);
      ctx.event(inst, inst.elements.get(task.elementInstanceKey)!, 'USER_TASK_UNASSIGNED', {
        userTaskKey: String(key),
        previousAssignee: task.assignee,
      });
    });
  }

  /** Changes due date, follow-up date, priority or candidates. */
  async updateUserTask(request: {
    userTaskKey: Key;
    changeset: UserTaskChangeset;
    actor?: string;
  }): Promise<void> {
    const key = parseKey(request?.userTaskKey, 'userTaskKey');
    const c = request.changeset;
    if (!c || typeof c !== 'object') {
      throw new InvalidArgumentError('MISSING_FIELD', 'changeset is required', [
        { field: 'changeset', message: 'is required' },
      ]);
    }
    const sets: string[] = [];
    const params: unknown[] = [];
    const changes: Record<string, unknown> = {};
    if (c.dueDate !== undefined) {
      sets.push('due_date = ?');
      params.push(parseDateField(c.dueDate, 'changeset.dueDate'));
      changes.dueDate = c.dueDate;
    }
    if (c.followUpDate !== undefined) {
      sets.push('follow_up_date = ?');
      params.push(parseDateField(c.followUpDate, 'changeset.followUpDate'));
      changes.followUpDate = c.followUpDate;
    }
    if (c.priority !== undefined) {
      sets.push('priority = ?');
      params.push(requireInt(c.priority, 'changeset.priority', 0, 100));
      changes.priority = c.priority;
    }
    for (const field of ['candidateGroups', 'candidateUsers'] as const) {
      const v = c[field];
      if (v === undefined) continue;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
        throw new InvalidArgumentError('INVALID_FIELD', `changeset.${field} must be a list of names`, [
          { field: `changeset.${field}`, message: 'must be a list of names' },
        ]);
      }
      sets.push(`${field === 'candidateGroups' ? 'candidate_groups' : 'candidate_users'} = ?`);
      params.push(JSON.stringify(v));
      changes[field] = v;
    }
    if (sets.length === 0) {
      throw new InvalidArgumentError('MISSING_FIELD', 'changeset changes nothing', [
        { field: 'changeset', message: 'changes nothing' },
      ]);
    }
    await this.command(request.actor, async (ctx) => {
      const { task, inst } = await this.openTask(ctx, key, 'updated');
      await ctx.sql.run(`UPDATE engine_user_task SET ${sets.join(', ')} WHERE user_task_key = ?`, [
        ...params,
        key,
      ]);
      for (const field of ['candidateGroups', 'candidateUsers'] as const) {
        const v = c[field];
        if (v === undefined) continue;
        const kind = field === 'candidateGroups' ? 'group' : 'user';
        await ctx.sql.run('DELETE FROM engine_user_task_candidate WHERE user_task_key = ? AND kind = ?', [
          key,
          kind,
        ]);
        for (const value of new Set(v)) {
          await ctx.sql.run(
            'INSERT INTO engine_user_task_candidate (user_task_key, kind, value) VALUES (?, ?, ?)',
            [key, kind, value],
          );
        }
      }
      ctx.event(inst, inst.elements.get(task.elementInstanceKey)!, 'USER_TASK_UPDATED', {
        userTaskKey: String(key),
        changes,
      });
    });
  }

  /** Completes a user task with variables and an action; of two concurrent completions exactly one wins. */
  async completeUserTask(request: CompleteUserTaskRequest): Promise<void> {
    const key = parseKey(request?.userTaskKey, 'userTaskKey');
    const variables = assertVariables(request.variables);
    const action = request.action === undefined ? 'complete' : requireText(request.action, 'action', 64);
    await this.command(request.actor, async (ctx, processor) => {
      const { task, inst, view } = await this.openTask(ctx, key, 'completed', request.check);
      const ei = inst.elements.get(task.elementInstanceKey)!;
      const derived = request.within
        ? await runWithin(ctx, request.within, {
            task: view ?? toUserTask(task),
            variables: inst.visible(ei.key),
          })
        : undefined;
      ctx.statements.push({
        sql: "UPDATE engine_user_task SET state = 'COMPLETED', action = ?, completed_by = ?, completed_at = ? WHERE user_task_key = ?",
        params: [action, ctx.actor, ctx.now, key],
      });
      ctx.event(inst, ei, 'USER_TASK_COMPLETED', {
        userTaskKey: String(key),
        action,
        assignee: task.assignee,
        variables,
        // What the completion's own writes returned, kept apart from what the completer submitted.
        ...(derived ? { derivedVariables: derived } : {}),
      });
      processor.complete(inst, ei, derived ? { ...variables, ...derived } : variables);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Incidents

  /** Lists incidents, newest first. */
  async searchIncidents(
    filter: { state?: 'ACTIVE' | 'RESOLVED'; processInstanceKey?: Key } = {},
  ): Promise<Incident[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) {
      where.push('state = ?');
      params.push(filter.state);
    }
    if (filter.processInstanceKey !== undefined) {
      where.push('process_instance_key = ?');
      params.push(parseKey(filter.processInstanceKey, 'processInstanceKey'));
    }
    const rows = await this.reads.all<IncidentDbRow>(
      `SELECT * FROM engine_incident ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY incident_key DESC LIMIT 1000`,
      params,
    );
    return rows.map(toIncident);
  }

  /** Resolves an incident and retries the step it stopped. */
  async resolveIncident(incidentKey: Key, options: { actor?: string } = {}): Promise<void> {
    const key = parseKey(incidentKey, 'incidentKey');
    await this.command(options.actor, async (ctx, processor) => {
      const rows = await ctx.sql.all<IncidentDbRow>('SELECT * FROM engine_incident WHERE incident_key = ?', [
        key,
      ]);
      if (rows.length === 0) throw new NotFoundError('INCIDENT_NOT_FOUND', `No incident with key ${key}`);
      const inst = await ctx.loadInstance(num(rows[0].process_instance_key));
      const incident = toIncident(
        (await ctx.sql.all<IncidentDbRow>('SELECT * FROM engine_incident WHERE incident_key = ?', [key]))[0],
      );
      if (incident.state !== 'ACTIVE')
        throw new ConflictError('INCIDENT_RESOLVED', `Incident ${key} is already resolved`);
      await ctx.sql.run(
        "UPDATE engine_incident SET state = 'RESOLVED', resolved_at = ? WHERE incident_key = ?",
        [ctx.now, key],
      );
      inst.row.incidentCount = Math.max(0, inst.row.incidentCount - 1);
      inst.rowDirty = true;
      const ei = inst.elements.get(num(incident.elementInstanceKey));
      ctx.event(
        inst,
        ei ?? null,
        'INCIDENT_RESOLVED',
        { incidentKey: String(key), errorType: incident.errorType },
        {
          id: incident.elementId,
          type: ei?.elementType ?? '',
        },
      );
      if (!ei) return;
      if (incident.jobKey) {
        // As Operate's retry does: a job without retries gets one, and becomes activatable again.
        const jobs = await ctx.sql.all<JobDbRow>('SELECT * FROM engine_job WHERE job_key = ?', [
          parseKey(incident.jobKey, 'jobKey'),
        ]);
        if (jobs.length === 0) return;
        const job = toJobRow(jobs[0]);
        await ctx.sql.run(
          "UPDATE engine_job SET state = 'ACTIVATABLE', retries = ?, backoff_until = NULL WHERE job_key = ?",
          [Math.max(1, job.retries), job.key],
        );
        ctx.newJobTypes.add(job.type);
        return;
      }
      await processor.retry(inst, ei);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // History

  /** The ordered history of an instance. */
  async getHistory(
    processInstanceKey: Key,
    options: { afterPosition?: number; limit?: number } = {},
  ): Promise<HistoryEvent[]> {
    const key = parseKey(processInstanceKey, 'processInstanceKey');
    const limit = options.limit ?? 10_000;
    requireInt(limit, 'limit', 1, 100_000);
    const rows = await this.reads.all<HistoryDbRow>(
      `SELECT * FROM engine_history_event WHERE process_instance_key = ? AND position > ? ORDER BY position LIMIT ${limit}`,
      [key, options.afterPosition ?? 0],
    );
    return rows.map((r) =>
      toHistoryEvent({
        position: num(r.position),
        processInstanceKey: num(r.process_instance_key),
        processDefinitionKey: num(r.process_definition_key),
        elementInstanceKey: r.element_instance_key == null ? null : num(r.element_instance_key),
        elementId: r.element_id,
        elementType: r.element_type,
        intent: r.intent,
        actor: r.actor,
        time: num(r.time),
        payload: parseJson(r.payload, {}),
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // Scheduler

  /**
   * One scheduler pass: fires due timers, makes timed-out and backed-off jobs activatable again, drops
   * expired messages. Each due timer is its own command. Returns how many items it handled.
   */
  async runScheduler(): Promise<number> {
    let handled = 0;
    const now = this.clock.now();
    const timers = await this.reads.all<{ timer_key: number | string }>(
      'SELECT timer_key FROM engine_timer WHERE due_at <= ? ORDER BY due_at, timer_key LIMIT 200',
      [now],
    );
    for (const t of timers) {
      try {
        if (await this.fireTimer(num(t.timer_key))) handled++;
      } catch (err) {
        this.log.error({ err, timerKey: String(t.timer_key) }, 'timer failed');
      }
    }
    handled += await this.recurJobs();
    handled += await this.expireMessages();
    if (this.dialect === 'mysql') handled += await this.sweepBufferedMessages();
    return handled;
  }

  private async fireTimer(timerKey: number): Promise<boolean> {
    return this.command('system', async (ctx, processor) => {
      const select = 'SELECT * FROM engine_timer WHERE timer_key = ?';
      let rows = await ctx.sql.all<TimerDbRow>(select + forUpdate(ctx.sql.dialect, true), [timerKey]);
      if (rows.length === 0) return false;
      let inst: InstanceState | undefined;
      if (rows[0].process_instance_key != null) {
        inst = await ctx.loadInstance(num(rows[0].process_instance_key));
        rows = await ctx.sql.all<TimerDbRow>(select + forUpdate(ctx.sql.dialect), [timerKey]);
        if (rows.length === 0) return false;
      }
      const t = rows[0];
      const dueAt = num(t.due_at);
      if (dueAt > ctx.now) return false;
      const repetitions = Number(t.repetitions);
      if (repetitions === 1 || !t.cycle) {
        ctx.timerDeletes.push(timerKey);
      } else {
        const next = nextCycleDue(parseCycle(t.cycle), new Date(dueAt)).getTime();
        await ctx.sql.run('UPDATE engine_timer SET due_at = ?, repetitions = ? WHERE timer_key = ?', [
          next,
          repetitions > 0 ? repetitions - 1 : repetitions,
          timerKey,
        ]);
      }
      if (!inst) {
        const started = await processor.startByEvent(num(t.process_definition_key), t.element_id, {});
        ctx.event(
          started,
          null,
          'TIMER_TRIGGERED',
          { timerKey: String(timerKey), dueDate: iso(dueAt) },
          { id: t.element_id, type: 'START_EVENT' },
        );
        return true;
      }
      const owner = inst.elements.get(num(t.element_instance_key));
      if (!owner || inst.row.state !== 'ACTIVE') return false;
      ctx.event(inst, owner, 'TIMER_TRIGGERED', {
        timerKey: String(timerKey),
        dueDate: iso(dueAt),
        elementId: t.element_id,
      });
      await processor.trigger(inst, owner, t.element_id, undefined);
      return true;
    });
  }

  private async recurJobs(): Promise<number> {
    const now = this.clock.now();
    const due = await this.reads.all(
      'SELECT 1 FROM engine_job WHERE (state = ? AND deadline <= ?) OR (state = ? AND retries > 0 AND backoff_until <= ?) LIMIT 1',
      ['ACTIVATED', now, 'FAILED', now],
    );
    if (due.length === 0) return 0;
    return this.command('system', async (ctx) => {
      const lock = forUpdate(ctx.sql.dialect, true);
      const timedOut = (
        await ctx.sql.all<JobDbRow>(
          `SELECT * FROM engine_job WHERE state = 'ACTIVATED' AND deadline <= ? LIMIT 500${lock}`,
          [ctx.now],
        )
      ).map(toJobRow);
      const backedOff = (
        await ctx.sql.all<JobDbRow>(
          `SELECT * FROM engine_job WHERE state = 'FAILED' AND retries > 0 AND backoff_until <= ? LIMIT 500${lock}`,
          [ctx.now],
        )
      ).map(toJobRow);
      const all = [...timedOut, ...backedOff];
      if (all.length === 0) return 0;
      const keys = all.map((j) => j.key);
      await ctx.sql.run(
        `UPDATE engine_job SET state = 'ACTIVATABLE', worker = NULL, deadline = NULL, backoff_until = NULL WHERE job_key IN (${placeholders(keys.length)})`,
        keys,
      );
      for (const j of timedOut) {
        ctx.rawEvent(j, 'JOB_TIMED_OUT', { jobKey: String(j.key), worker: j.worker });
        ctx.newJobTypes.add(j.type);
      }
      for (const j of backedOff) ctx.newJobTypes.add(j.type);
      return all.length;
    });
  }

  private async expireMessages(): Promise<number> {
    const now = this.clock.now();
    const expired = await this.reads.all<{ message_key: number | string }>(
      'SELECT message_key FROM engine_message WHERE expires_at <= ? LIMIT 500',
      [now],
    );
    if (expired.length === 0) return 0;
    const keys = expired.map((m) => num(m.message_key));
    await this.command('system', async (ctx) => {
      await ctx.sql.run(
        `DELETE FROM engine_message_correlation WHERE message_key IN (${placeholders(keys.length)})`,
        keys,
      );
      await ctx.sql.run(
        `DELETE FROM engine_message WHERE message_key IN (${placeholders(keys.length)}) AND expires_at <= ?`,
        [...keys, ctx.now],
      );
    });
    return keys.length;
  }

  /**
   * MySQL only: a subscription opened while a matching message was being published in another transaction
   * can miss it (each saw the other's rows uncommitted). This pass correlates such pairs.
   */
  private async sweepBufferedMessages(): Promise<number> {
    const now = this.clock.now();
    const pairs = await this.reads.all<{ message_key: number | string; subscription_key: number | string }>(
      `SELECT m.message_key, s.subscription_key FROM engine_message m
         JOIN engine_message_subscription s ON s.message_name = m.name AND s.correlation_key = m.correlation_key
         JOIN engine_process_instance p ON p.process_instance_key = s.process_instance_key
        WHERE m.expires_at > ? AND NOT EXISTS (
          SELECT 1 FROM engine_message_correlation c WHERE c.message_key = m.message_key AND c.target = CONCAT('bp:', p.bpmn_process_id))
        LIMIT 100`,
      [now],
    );
    let handled = 0;
    for (const pair of pairs) {
      await this.command('system', async (ctx, processor) => {
        const subs = await ctx.sql.all<{
          process_instance_key: number | string;
          element_instance_key: number | string;
          element_id: string;
          message_name: string;
          correlation_key: string;
        }>('SELECT * FROM engine_message_subscription WHERE subscription_key = ?', [pair.subscription_key]);
        if (subs.length === 0) return;
        const inst = await ctx.loadInstance(num(subs[0].process_instance_key));
        const owner = inst.elements.get(num(subs[0].element_instance_key));
        if (!owner) return;
        processor.pendingMessageChecks.push({
          inst,
          owner,
          elementId: subs[0].element_id,
          name: subs[0].message_name,
          correlationKey: subs[0].correlation_key,
        });
        await processor.correlateBuffered();
        handled++;
      });
    }
    return handled;
  }
}

// -----------------------------------------------------------------------------------------------------------
// Row mapping

interface DefinitionListRow {
  process_definition_key: number | string;
  bpmn_process_id: string;
  version: number;
  name: string | null;
  resource_name: string;
  checksum: string;
  deployed_at: number | string;
}

interface JobDbRow {
  job_key: number | string;
  type: string;
  state: JobRow['state'];
  process_instance_key: number | string;
  element_instance_key: number | string;
  element_id: string;
  bpmn_process_id: string;
  process_definition_key: number | string;
  version: number;
  retries: number;
  worker: string | null;
  deadline: number | string | null;
  activation_key: number | string | null;
  backoff_until: number | string | null;
  custom_headers: string | null;
  error_message: string | null;
  created_at: number | string;
}

interface UserTaskDbRow {
  user_task_key: number | string;
  element_instance_key: number | string;
  process_instance_key: number | string;
  process_definition_key: number | string;
  bpmn_process_id: string;
  element_id: string;
  name: string | null;
  state: UserTaskRow['state'];
  assignee: string | null;
  candidate_groups: string | null;
  candidate_users: string | null;
  due_date: number | string | null;
  follow_up_date: number | string | null;
  priority: number;
  form_key: string | null;
  external_form_reference: string | null;
  custom_headers: string | null;
  action: string | null;
  completed_by: string | null;
  created_at: number | string;
  completed_at: number | string | null;
}

interface IncidentDbRow {
  incident_key: number | string;
  process_instance_key: number | string;
  process_definition_key: number | string;
  bpmn_process_id: string;
  element_instance_key: number | string;
  element_id: string;
  job_key: number | string | null;
  type: IncidentType;
  message: string | null;
  state: 'ACTIVE' | 'RESOLVED';
  created_at: number | string;
}

interface TimerDbRow {
  timer_key: number | string;
  process_instance_key: number | string | null;
  element_instance_key: number | string | null;
  process_definition_key: number | string;
  element_id: string;
  due_at: number | string;
  repetitions: number;
  cycle: string | null;
}

interface HistoryDbRow {
  position: number | string;
  process_instance_key: number | string;
  process_definition_key: number | string;
  element_instance_key: number | string | null;
  element_id: string | null;
  element_type: string | null;
  intent: string;
  actor: string | null;
  time: number | string;
  payload: string | null;
}

const optNum = (v: unknown): number | null => (v == null ? null : Number(v));

function toJobRow(r: JobDbRow): JobRow {
  return {
    key: num(r.job_key),
    type: r.type,
    state: r.state,
    processInstanceKey: num(r.process_instance_key),
    elementInstanceKey: num(r.element_instance_key),
    elementId: r.element_id,
    bpmnProcessId: r.bpmn_process_id,
    processDefinitionKey: num(r.process_definition_key),
    version: Number(r.version),
    retries: Number(r.retries),
    worker: r.worker,
    deadline: optNum(r.deadline),
    activationKey: optNum(r.activation_key),
    backoffUntil: optNum(r.backoff_until),
    customHeaders: parseJson(r.custom_headers, {}),
    errorMessage: r.error_message,
    createdAt: num(r.created_at),
  };
}

function toActivatedJob(j: JobRow, worker: string, variables: Variables): ActivatedJob {
  return {
    key: String(j.key),
    type: j.type,
    processInstanceKey: String(j.processInstanceKey),
    processDefinitionKey: String(j.processDefinitionKey),
    bpmnProcessId: j.bpmnProcessId,
    processDefinitionVersion: j.version,
    elementId: j.elementId,
    elementInstanceKey: String(j.elementInstanceKey),
    customHeaders: j.customHeaders,
    worker,
    retries: j.retries,
    deadline: j.deadline ?? 0,
    variables,
    activationKey: String(j.activationKey),
  };
}

function toUserTaskRow(r: UserTaskDbRow): UserTaskRow {
  return {
    key: num(r.user_task_key),
    elementInstanceKey: num(r.element_instance_key),
    processInstanceKey: num(r.process_instance_key),
    processDefinitionKey: num(r.process_definition_key),
    bpmnProcessId: r.bpmn_process_id,
    elementId: r.element_id,
    name: r.name,
    state: r.state,
    assignee: r.assignee,
    candidateGroups: parseJson(r.candidate_groups, []),
    candidateUsers: parseJson(r.candidate_users, []),
    dueDate: optNum(r.due_date),
    followUpDate: optNum(r.follow_up_date),
    priority: Number(r.priority),
    formKey: r.form_key,
    externalFormReference: r.external_form_reference,
    customHeaders: parseJson(r.custom_headers, {}),
    action: r.action,
    completedBy: r.completed_by,
    createdAt: num(r.created_at),
    completedAt: optNum(r.completed_at),
  };
}

function toUserTask(t: UserTaskRow): UserTask {
  return {
    userTaskKey: String(t.key),
    name: t.name ?? undefined,
    elementId: t.elementId,
    elementInstanceKey: String(t.elementInstanceKey),
    processInstanceKey: String(t.processInstanceKey),
    processDefinitionKey: String(t.processDefinitionKey),
    bpmnProcessId: t.bpmnProcessId,
    state: t.state,
    assignee: t.assignee ?? undefined,
    candidateGroups: t.candidateGroups,
    candidateUsers: t.candidateUsers,
    dueDate: iso(t.dueDate),
    followUpDate: iso(t.followUpDate),
    priority: t.priority,
    formKey: t.formKey ?? undefined,
    externalFormReference: t.externalFormReference ?? undefined,
    customHeaders: t.customHeaders,
    creationDate: iso(t.createdAt)!,
    completionDate: iso(t.completedAt),
    action: t.action ?? undefined,
    completedBy: t.completedBy ?? undefined,
  };
}

function toIncident(r: IncidentDbRow): Incident {
  return {
    incidentKey: String(r.incident_key),
    processInstanceKey: String(r.process_instance_key),
    processDefinitionKey: String(r.process_definition_key),
    bpmnProcessId: r.bpmn_process_id,
    elementId: r.element_id,
    elementInstanceKey: String(r.element_instance_key),
    jobKey: r.job_key == null ? undefined : String(r.job_key),
    errorType: r.type,
    errorMessage: r.message ?? '',
    state: r.state,
    creationTime: iso(num(r.created_at))!,
  };
}

function toProcessDefinition(r: DefinitionListRow): ProcessDefinition {
  return {
    processDefinitionKey: String(r.process_definition_key),
    bpmnProcessId: r.bpmn_process_id,
    version: Number(r.version),
    name: r.name ?? undefined,
    resourceName: r.resource_name,
    checksum: r.checksum,
    deployedAt: iso(num(r.deployed_at))!,
  };
}

function toProcessInstance(r: ProcessInstanceRow): ProcessInstance {
  return {
    processInstanceKey: String(r.key),
    processDefinitionKey: String(r.processDefinitionKey),
    bpmnProcessId: r.bpmnProcessId,
    version: r.version,
    state: r.state,
    startDate: iso(r.startedAt)!,
    endDate: iso(r.endedAt),
    parentProcessInstanceKey:
      r.parentProcessInstanceKey == null ? undefined : String(r.parentProcessInstanceKey),
    parentElementInstanceKey:
      r.parentElementInstanceKey == null ? undefined : String(r.parentElementInstanceKey),
    hasIncident: r.incidentCount > 0,
  };
}

function toHistoryEvent(e: PendingHistoryEvent, timestamp?: string): HistoryEvent {
  return {
    position: e.position,
    processInstanceKey: String(e.processInstanceKey),
    processDefinitionKey: String(e.processDefinitionKey),
    elementInstanceKey: e.elementInstanceKey == null ? undefined : String(e.elementInstanceKey),
    elementId: e.elementId ?? undefined,
    elementType: e.elementType || undefined,
    intent: e.intent as HistoryIntent,
    actor: e.actor ?? undefined,
    timestamp: timestamp ?? new Date(e.time).toISOString(),
    payload: e.payload,
  };
}

function jobNotFound(key: number, verb: string): NotFoundError {
  return new NotFoundError(
    'JOB_NOT_FOUND',
    `Job ${key} cannot be ${verb}: no such job is open (it never existed, or it was completed or cancelled)`,
  );
}

function taskNotFound(key: number): NotFoundError {
  return new NotFoundError('USER_TASK_NOT_FOUND', `No user task with key ${key}`);
}

function isHistoryPositionClash(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e?.code ?? '').startsWith('SQLITE_CONSTRAINT') && /engine_history_event\.position/.test(e.message ?? '')
  );
}

/** Deadlocks, lock wait time-outs and SQLite busy errors: the command is retried from the start. */
function isTransientDbError(err: unknown): boolean {
  const e = err as {
    errno?: number;
    code?: string;
    original?: { errno?: number; code?: string };
    parent?: { errno?: number; code?: string };
  };
  const errno = e?.errno ?? e?.original?.errno ?? e?.parent?.errno;
  const code = e?.code ?? e?.original?.code ?? e?.parent?.code;
  return (
    errno === 1213 ||
    errno === 1205 ||
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) ||
    code === 'ER_LOCK_DEADLOCK' ||
    code === 'ER_LOCK_WAIT_TIMEOUT'
  );
}

/**
 * Runs a request's own writes (`within`) in the command's transaction, opened first for them, with the
 * transaction and `extra` as their context; the variables they return, checked, or undefined.
 */
async function runWithin<C extends object>(
  ctx: CommandContext,
  within: ((context: ExportContext & C) => Promise<Variables | void>) | undefined,
  extra: C,
): Promise<Variables | undefined> {
  if (!within) return undefined;
  await ctx.sql.begin?.();
  const out = await within({ transaction: ctx.transaction!, sql: ctx.sql, ...extra });
  return out ? assertVariables(out, 'within()') : undefined;
}
