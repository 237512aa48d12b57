import type { ProcessModel } from '../model/process-model.ts';
import { type HeldVariable, InstanceState } from './instance-state.ts';
import type { ElementInstanceRow, ProcessInstanceRow } from './rows.ts';

/** What the cache keeps of an instance: exactly the rows the database holds after the last commit. */
interface Snapshot {
  row: ProcessInstanceRow;
  model: ProcessModel;
  elements: ElementInstanceRow[];
  variables: [number, [string, HeldVariable][]][];
}

/**
 * A read cache of running instances for the SQLite engine, where this process is the only writer of the
 * engine tables: a command that finds its instance here skips the three SELECTs that load it. The rows stay
 * the truth (every command still writes them; a restart starts with an empty cache), and the cache is
 * bounded (least recently used entries go), so memory stays flat however many instances wait.
 *
 * Entries are replaced only after a commit, from the state the command committed; a command that fails
 * leaves the entries as they were, since loading copies them.
 */
export class InstanceCache {
  private readonly entries = new Map<number, Snapshot>();

  constructor(private readonly capacity = 5000) {}

  /**
   * A fresh, independent InstanceState for a cached instance, or undefined. With `version`, only a copy of
   * that version is good (MySQL, where other processes may have changed the instance).
   */
  load(key: number, version?: number): InstanceState | undefined {
    const snap = this.entries.get(key);
    if (!snap) return undefined;
    if (version !== undefined && snap.row.lockVersion !== version) {
      this.entries.delete(key);
      return undefined;
    }
    // Refresh recency.
    this.entries.delete(key);
    this.entries.set(key, snap);
    const state = new InstanceState({ ...snap.row }, snap.model, false);
    for (const ei of snap.elements) state.put(copyElement(ei), true);
    for (const [scopeKey, vars] of snap.variables) {
      // Variable values are never mutated in place (every change sets a new value), so they are shared.
      state.variables.set(scopeKey, new Map(vars));
      state.storedScopes.add(scopeKey);
    }
    return state;
  }

  /**
   * Records the committed state of instances; ended instances leave the cache. The element rows are kept as
   * they are, not copied: a stored state is a finished command's, which nothing changes afterwards, and `load`
   * hands out copies only.
   */
  store(instances: Iterable<InstanceState>): void {
    for (const inst of instances) {
      if (inst.row.state !== 'ACTIVE') {
        this.entries.delete(inst.row.key);
        continue;
      }
      this.entries.delete(inst.row.key);
      this.entries.set(inst.row.key, {
        row: { ...inst.row },
        model: inst.model,
        elements: [...inst.elements.values()],
        variables: [...inst.variables].map(([scope, vars]) => [scope, [...vars]]),
      });
    }
    while (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as number);
    }
  }

  /** Forgets instances (after a failed commit whose outcome is unknown, or on demand). */
  forget(keys: Iterable<number>): void {
    for (const k of keys) this.entries.delete(k);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }

  /** Number of cached instances. */
  get size(): number {
    return this.entries.size;
  }
}

function copyElement(ei: ElementInstanceRow): ElementInstanceRow {
  return { ...ei, data: copyJson(ei.data) };
}

/** A deep copy of a JSON value (what an element's `data` holds): a walk, several times faster than a JSON round trip. */
function copyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const out: Record<string, unknown> = {};
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = copyJson(v);
  }
  return out as T;
}
