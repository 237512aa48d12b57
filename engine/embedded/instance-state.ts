import type { ProcessModel } from '../model/process-model.ts';
import type { ElementInstanceRow, ProcessInstanceRow } from './rows.ts';

/** A variable as held during a command: the parsed value and its JSON text (for storage and change checks). */
export interface HeldVariable {
  value: unknown;
  json: string;
}

/** A variable write to flush at the end of the command. */
export interface VariableWrite {
  scopeKey: number;
  name: string;
  json: string;
}

/** Element states that are still alive (not completed or terminated). */
export function isAlive(ei: ElementInstanceRow): boolean {
  return ei.state !== 'COMPLETED' && ei.state !== 'TERMINATED';
}

/**
 * One process instance loaded into a command: its row, its live element instances and its variables, with
 * every change tracked so the command can write them in a few statements at the end.
 */
export class InstanceState {
  readonly row: ProcessInstanceRow;
  readonly model: ProcessModel;
  /** Live element instances by key (the root scope's key is the process instance key). */
  readonly elements = new Map<number, ElementInstanceRow>();
  /** Keys of element instances that exist in the database. */
  readonly stored = new Set<number>();
  readonly dirtyElements = new Set<number>();
  readonly deletedElements = new Set<number>();
  /** Variables by scope key, then name. */
  readonly variables = new Map<number, Map<string, HeldVariable>>();
  readonly variableWrites = new Map<string, VariableWrite>();
  /** Scopes whose stored variables must all be deleted (the scope ended). */
  readonly deletedScopes = new Set<number>();
  /** Scopes that have variables in the database. */
  readonly storedScopes = new Set<number>();
  /** True when the instance row itself changed. */
  rowDirty = false;
  /** True when the row is new in this command. */
  readonly isNew: boolean;
  /** Bumped when all children of a scope are terminated, so queued activations in it are dropped. */
  readonly scopeEpoch = new Map<number, number>();

  constructor(row: ProcessInstanceRow, model: ProcessModel, isNew: boolean) {
    this.row = row;
    this.model = model;
    this.isNew = isNew;
  }

  /** Adds a loaded or new element instance. */
  put(ei: ElementInstanceRow, stored: boolean): void {
    this.elements.set(ei.key, ei);
    if (stored) this.stored.add(ei.key);
  }

  /** Marks an element instance changed. */
  touch(ei: ElementInstanceRow): void {
    this.dirtyElements.add(ei.key);
  }

  /** Removes an ended element instance and its local variables. */
  remove(ei: ElementInstanceRow): void {
    this.elements.delete(ei.key);
    this.dirtyElements.delete(ei.key);
    if (this.stored.has(ei.key)) this.deletedElements.add(ei.key);
    this.dropScopeVariables(ei.key);
  }

  /** Live children of a scope element instance. */
  children(scopeKey: number): ElementInstanceRow[] {
    const out: ElementInstanceRow[] = [];
    for (const ei of this.elements.values()) if (ei.flowScopeKey === scopeKey && isAlive(ei)) out.push(ei);
    return out;
  }

  /** The scope chain of an element instance, innermost first, ending at the root scope. */
  chain(eiKey: number): number[] {
    const keys: number[] = [];
    let current: number | null = eiKey;
    while (current != null) {
      keys.push(current);
      current = this.elements.get(current)?.flowScopeKey ?? null;
    }
    return keys;
  }

  /** Every variable visible from a scope: inner scopes shadow outer ones. */
  visible(eiKey: number): Record<string, unknown> {
    const chain = this.chain(eiKey);
    const out: Record<string, unknown> = {};
    for (let i = chain.length - 1; i >= 0; i--) {
      const scope = this.variables.get(chain[i]);
      if (scope) for (const [name, v] of scope) out[name] = v.value;
    }
    return out;
  }

  /**
   * The variables visible from a scope, read by name (undefined: none of that name), as `visible` has them,
   * without building that object: an expression reads a few of the dozens a case holds.
   */
  lookup(eiKey: number): (name: string) => unknown {
    const scopes: Map<string, HeldVariable>[] = [];
    for (const key of this.chain(eiKey)) {
      const scope = this.variables.get(key);
      if (scope) scopes.push(scope);
    }
    return (name) => {
      for (const scope of scopes) {
        const held = scope.get(name);
        if (held) return held.value;
      }
      return undefined;
    };
  }

  /** The local variables of one scope. */
  local(scopeKey: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const scope = this.variables.get(scopeKey);
    if (scope) for (const [name, v] of scope) out[name] = v.value;
    return out;
  }

  /** The scope in the chain of `eiKey` that holds `name`, or undefined. */
  scopeHolding(eiKey: number, name: string): number | undefined {
    for (const key of this.chain(eiKey)) if (this.variables.get(key)?.has(name)) return key;
    return undefined;
  }

  /**
   * Sets a variable on one scope; returns 'created', 'updated', or undefined when the value is unchanged.
   */
  setVariable(scopeKey: number, name: string, value: unknown): 'created' | 'updated' | undefined {
    const json = JSON.stringify(value === undefined ? null : value);
    // Objects are copied, so that nobody holding the caller's object can change a stored value later.
    if (typeof value === 'object' && value !== null) value = JSON.parse(json);
    let scope = this.variables.get(scopeKey);
    if (!scope) {
      scope = new Map();
      this.variables.set(scopeKey, scope);
    }
    const previous = scope.get(name);
    if (previous && previous.json === json) return undefined;
    scope.set(name, { value: value === undefined ? null : value, json });
    this.variableWrites.set(`${scopeKey}\u0000${name}`, { scopeKey, name, json });
    return previous ? 'updated' : 'created';
  }

  /** Forgets every variable of a scope (the scope ended). */
  dropScopeVariables(scopeKey: number): void {
    const scope = this.variables.get(scopeKey);
    if (!scope) return;
    for (const name of scope.keys()) this.variableWrites.delete(`${scopeKey}\u0000${name}`);
    this.variables.delete(scopeKey);
    if (this.storedScopes.has(scopeKey)) this.deletedScopes.add(scopeKey);
  }
}
