/**
 * FEEL evaluation with Zeebe / Camunda 8 semantics on top of `feelin`.
 *
 * Parse once, evaluate many times: feelin has no public compile API (its `evaluate` parses and builds an
 * execution tree on every call, ~170 µs for `amount > 100`). But it returns FEEL function values, and a
 * function value keeps the context it was defined in and copies that context's own keys on every call. So
 * each distinct expression is evaluated once as `function() (<expression>)` against a holder object whose
 * keys are the variable names the expression reads; per evaluation those keys get the caller's values (null
 * when missing, as in Zeebe) and the cached function is invoked (a few µs).
 *
 * Before that, the tree from feelin's public `parseExpression` is used to rewrite the source:
 * - calls to the Camunda built-ins feelin lacks or gets wrong (`get or else`, `is defined`, `get value` with a
 *   key path, `string join` with prefix/suffix, `is empty`, `is blank`, `trim`), to `now()` / `today()` (engine
 *   clock) and to feelin's own built-ins are renamed to private names, so a variable called `count` or `now`
 *   does not hide the function, as in Camunda where functions and variables are apart;
 * - `a * b`, `a / b` and `-a` become helper calls, because feelin's operators only accept numbers:
 *   `duration * number`, `number * duration`, `duration / number`, `duration / duration` and `-duration` work.
 *
 * Variable names are parsed without knowing the variables, so `a-b` is a subtraction and names with operator
 * characters or keywords need backticks (`` `a-b` ``), as in Zeebe; `first name` (words only) also works bare.
 */
import {
  FeelDate,
  FeelDateTime,
  FeelDuration,
  FeelFunction,
  FeelRange,
  FeelTime,
  SyntaxError as FeelinSyntaxError,
  dateAndTime,
  duration as feelDuration,
  evaluate,
  parseDate,
  parseExpression,
} from 'feelin';
import { formatDuration, parseDuration } from '../timer/timer-spec.ts';

/** A FEEL expression that does not parse, or fails while it runs, or yields no JSON value. */
export class FeelEvaluationError extends Error {
  override readonly name = 'FeelEvaluationError';
  /** The expression as given (without the leading '='). */
  readonly expression: string;
  /** Why it failed, without the expression. */
  readonly reason: string;
  constructor(expression: string, message: string) {
    super(`failed to evaluate FEEL expression '${expression}': ${message}`);
    this.expression = expression;
    this.reason = message;
  }
}

/**
 * The variables an expression reads: an object, or a lookup by name (undefined: no such variable), so that
 * the engine can offer the variables visible from a scope without copying them all into one object first.
 */
export type FeelContext = Record<string, unknown> | ((name: string) => unknown);

/** Options of one evaluation; `now` is the engine clock used by `now()` and `today()` (default: the system clock). */
export interface FeelOptions {
  now?: Date;
}

/** True when a BPMN attribute value is a FEEL expression (trimmed, starts with '='). */
export function isFeelExpression(raw: string): boolean {
  return raw.trimStart().startsWith('=');
}

/** An attribute that may be static or '=expr': static strings are returned unchanged, '=...' is evaluated. */
export function evaluateAttribute(raw: string, context: FeelContext, options?: FeelOptions): unknown {
  if (!isFeelExpression(raw)) return raw;
  return evaluateFeel(raw.trimStart().slice(1), context, options);
}

/**
 * Evaluates a FEEL expression (without the leading '=') against JSON variables and returns a JSON-safe value.
 * A missing variable is null. Throws FeelEvaluationError on a syntax error, a failure, or a result that is
 * a function or a range.
 */
export function evaluateFeel(expression: string, context: FeelContext, options?: FeelOptions): unknown {
  const compiled = compile(expression);
  const { holder, variables, results } = compiled;
  // A missing variable is bound to null, not left undefined: feelin would fall back to a built-in of that name.
  let key: string | undefined = results ? '' : undefined;
  for (const name of variables) {
    const value =
      typeof context === 'function'
        ? (context(name) ?? null)
        : Object.hasOwn(context, name)
          ? (context[name] ?? null)
          : null;
    holder[name] = value;
    if (key !== undefined) key = keyPart(key, value);
  }
  if (key !== undefined) {
    const known = results!.get(key);
    if (known !== undefined) {
      for (const name of variables) holder[name] = null;
      return Array.isArray(known) ? known.slice() : known;
    }
  }
  if (compiled.usesClock) bindClock(holder, options?.now);
  let result: unknown;
  try {
    result = compiled.fn.invoke([]);
  } catch (error) {
    throw new FeelEvaluationError(expression, error instanceof Error ? error.message : String(error));
  } finally {
    for (const name of variables) holder[name] = null;
    // feelin collects warnings (e.g. "variable not found") in the array of the compiling call: drop them.
    compiled.warnings.length = 0;
  }
  const json = toJson(result, expression);
  if (key !== undefined && isRememberable(json)) {
    remember(results!, key, json);
  }
  return json;
}

/**
 * Results remembered per expression, by the values of the variables it reads. Without the clock FEEL is a
 * pure function of those values, and the diagrams' expressions read the same few values over and over (an
 * action name, a unit id): the gateways and candidate groups of a case cost 2–60 µs each in feelin, a
 * remembered result a lookup. Only short primitive inputs make a key; only primitives and lists of them are
 * remembered, and a list is handed out as a copy, so no caller can change what the next one gets.
 */
const RESULTS_PER_EXPRESSION = 500;
/** All expressions together: past this many results every expression starts afresh (bounded memory). */
const RESULTS_IN_ALL = 50_000;
let resultsInAll = 0;

function remember(results: Map<string, unknown>, key: string, json: unknown): void {
  if (resultsInAll >= RESULTS_IN_ALL) {
    for (const entry of cache.values()) if (!(entry instanceof FeelEvaluationError)) entry.results?.clear();
    resultsInAll = 0;
  }
  if (results.size >= RESULTS_PER_EXPRESSION) {
    resultsInAll -= results.size;
    results.clear();
  }
  results.set(key, Array.isArray(json) ? json.slice() : json);
  resultsInAll++;
}

/** Longer strings (a description) make no key: they are seldom read twice with the same value. */
const KEY_VALUE_MAX = 64;

/** The key so far with one more variable's value, or undefined when that value makes no key. */
function keyPart(key: string, value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value.length <= KEY_VALUE_MAX ? `${key}s${value.length}:${value}` : undefined;
    case 'number':
      return `${key}d${value};`;
    case 'boolean':
      return `${key}${value ? 't' : 'f'}`;
    default:
      return value === null ? `${key}n` : undefined;
  }
}

function isRememberable(value: unknown): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  return Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object');
}

/** Parses (compiles) an expression without evaluating it, for deploy-time checks; null if ok, else the reason. */
export function checkFeelSyntax(expression: string): string | null {
  try {
    compile(expression);
    return null;
  } catch (error) {
    if (error instanceof FeelEvaluationError) return error.reason;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// helpers: Camunda built-ins feelin lacks, the clock, and arithmetic on durations

type Helper = ((...args: never[]) => unknown) & { $args?: string[] };

function helper<F extends Helper>(parameterNames: string[], fn: F): F {
  fn.$args = parameterNames;
  return fn;
}

const isNil = (value: unknown): value is null | undefined => value === null || value === undefined;
const isPlainContext = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/** Built-ins by FEEL name; calls to them are renamed to `__gf_<index>` in the rewritten source. */
const BUILTINS: Record<string, Helper> = {
  'get or else': helper(['value', 'default'], (value: unknown, fallback: unknown) =>
    isNil(value) ? (fallback ?? null) : value,
  ),
  // False for null too: a missing variable is null here, so the two cannot be told apart.
  'is defined': helper(['value'], (value: unknown) => !isNil(value)),
  'get value': helper(['context', 'key', 'keys'], (context: unknown, key: unknown, keys: unknown) => {
    const path = keys ?? key;
    const steps = Array.isArray(path) ? path : [path];
    let current = context;
    for (const step of steps) {
      if (typeof step !== 'string' || !isPlainContext(current) || !Object.hasOwn(current, step)) return null;
      current = current[step];
    }
    return current ?? null;
  }),
  'string join': helper(
    ['list', 'delimiter', 'prefix', 'suffix'],
    (list: unknown, delimiter: unknown, prefix: unknown, suffix: unknown) => {
      if (!Array.isArray(list)) return null;
      if (list.some((item) => !isNil(item) && typeof item !== 'string')) return null;
      const text = list.filter((item) => !isNil(item)).join(typeof delimiter === 'string' ? delimiter : '');
      const affix = (value: unknown): string => (typeof value === 'string' ? value : '');
      return affix(prefix) + text + affix(suffix);
    },
  ),
  'is empty': helper(['list'], (list: unknown) => (Array.isArray(list) ? list.length === 0 : null)),
  'is blank': helper(['string'], (text: unknown) => (typeof text === 'string' ? text.trim() === '' : null)),
  trim: helper(['string'], (text: unknown) => (typeof text === 'string' ? text.trim() : null)),
  // Camunda's way to make an expression fail on purpose: the engine turns the failure into an incident.
  assert: helper(['value', 'condition', 'cause'], (value: unknown, condition: unknown, cause: unknown) => {
    if (condition !== true) {
      throw new Error(typeof cause === 'string' && cause !== '' ? cause : 'The assertion failed');
    }
    return value ?? null;
  }),
};

/**
 * feelin's own built-ins called by name. feelin looks a called name up among the variables first, so a
 * variable `count` would hide `count()`; in Camunda functions and variables are apart. Calls to these are
 * renamed to private names bound to feelin's function. (`date(…)`, `time(…)`, `duration(…)` and
 * `date and time(…)` are literals to feelin and are never hidden.)
 */
const FEELIN_BUILTINS = [
  'number', 'string', 'not', 'substring', 'string length', 'upper case', 'lower case', 'substring before',
  'substring after', 'replace', 'contains', 'matches', 'starts with', 'ends with', 'split', 'list contains',
  'list replace', 'count', 'min', 'max', 'sum', 'mean', 'all', 'any', 'sublist', 'append', 'concatenate',
  'insert before', 'remove', 'reverse', 'index of', 'union', 'distinct values', 'flatten', 'product', 'median',
  'stddev', 'mode', 'decimal', 'floor', 'ceiling', 'abs', 'round up', 'round down', 'round half up',
  'round half down', 'modulo', 'sqrt', 'log', 'exp', 'odd', 'even', 'is', 'before', 'after', 'meets', 'met by',
  'overlaps', 'overlaps before', 'overlaps after', 'finishes', 'finished by', 'includes', 'during', 'starts',
  'started by', 'coincides', 'day of year', 'day of week', 'month of year', 'week of year', 'sort',
  'get entries', 'context', 'context merge', 'context put',
]; // prettier-ignore
const feelinFunctions = new Map<string, unknown>();

/** feelin's function of that name (evaluating a bare built-in name yields it), or null. */
function feelinFunction(name: string): unknown {
  if (!feelinFunctions.has(name)) {
    const { value } = evaluate(name, {}, 'camunda');
    feelinFunctions.set(name, typeof value === 'function' || value instanceof FeelFunction ? value : null);
  }
  return feelinFunctions.get(name);
}

const CLOCK_BUILTINS = ['now', 'today'];
const HELPER_NAMES = [...Object.keys(BUILTINS), ...CLOCK_BUILTINS];
const ALIAS = new Map([...HELPER_NAMES, ...FEELIN_BUILTINS].map((name, index) => [name, `__gf_${index}`]));
const NOW = ALIAS.get('now') as string;
const TODAY = ALIAS.get('today') as string;
const MULTIPLY = '__gf_multiply';
const DIVIDE = '__gf_divide';
const NEGATE = '__gf_negate';

/** Total seconds of a days-and-time duration, or total months of a years-and-months duration. */
function durationAmount(value: FeelDuration): number {
  const d = parseDuration(value.iso);
  const amount = value.yearsMonths
    ? d.years * 12 + d.months
    : ((d.weeks * 7 + d.days) * 24 + d.hours) * 3600 + d.minutes * 60 + d.seconds;
  return d.negative ? -amount : amount;
}

function durationOf(amount: number, yearsMonths: boolean): FeelDuration | null {
  if (!Number.isFinite(amount)) return null;
  // years-and-months durations hold whole months (truncated, as Camunda); days-and-time ones milliseconds.
  const rounded = yearsMonths ? Math.trunc(amount) : Math.round(amount * 1000) / 1000;
  const magnitude = Math.abs(rounded);
  const iso = formatDuration({
    years: 0,
    months: yearsMonths ? magnitude : 0,
    weeks: 0,
    days: 0,
    hours: 0,
    minutes: 0,
    seconds: yearsMonths ? 0 : magnitude,
    negative: rounded < 0,
  });
  return feelDuration(yearsMonths && magnitude === 0 ? 'P0M' : iso);
}

const ARITHMETIC: Record<string, Helper> = {
  [NEGATE]: helper(['a'], (a: unknown) => {
    if (typeof a === 'number') return -a;
    if (a instanceof FeelDuration) return durationOf(-durationAmount(a), a.yearsMonths);
    return null;
  }),
  [MULTIPLY]: helper(['a', 'b'], (a: unknown, b: unknown) => {
    if (typeof a === 'number' && typeof b === 'number') return a * b;
    if (a instanceof FeelDuration && typeof b === 'number')
      return durationOf(durationAmount(a) * b, a.yearsMonths);
    if (typeof a === 'number' && b instanceof FeelDuration)
      return durationOf(a * durationAmount(b), b.yearsMonths);
    return null;
  }),
  [DIVIDE]: helper(['a', 'b'], (a: unknown, b: unknown) => {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : a / b;
    if (a instanceof FeelDuration && typeof b === 'number') {
      return b === 0 ? null : durationOf(durationAmount(a) / b, a.yearsMonths);
    }
    if (a instanceof FeelDuration && b instanceof FeelDuration && a.yearsMonths === b.yearsMonths) {
      const divisor = durationAmount(b);
      return divisor === 0 ? null : durationAmount(a) / divisor;
    }
    return null;
  }),
};

/** The function bound to a private name for the whole life of a compiled expression (all but the clock). */
function staticHelper(name: string): unknown {
  if (name in ARITHMETIC) return ARITHMETIC[name];
  if (name in BUILTINS) return BUILTINS[name];
  return feelinFunction(name);
}

// feelin's temporal values cost 10–25 µs to build and are immutable: keep the last ones.
const clockValues = {
  iso: '',
  dateTime: null as FeelDateTime | null,
  day: '',
  date: null as FeelDate | null,
};

function nowValue(iso: string): FeelDateTime | null {
  if (clockValues.iso !== iso) {
    clockValues.dateTime = dateAndTime(iso);
    clockValues.iso = iso;
  }
  return clockValues.dateTime;
}

function todayValue(iso: string): FeelDate | null {
  const day = iso.slice(0, 10);
  if (clockValues.day !== day) {
    clockValues.date = parseDate(day);
    clockValues.day = day;
  }
  return clockValues.date;
}

/** Binds `now()` and `today()` to the engine clock (UTC) for one evaluation; the system clock when not given. */
function bindClock(holder: Record<string, unknown>, now: Date | undefined): void {
  const iso = (now ?? new Date()).toISOString();
  holder[NOW] = helper([], () => nowValue(iso));
  holder[TODAY] = helper([], () => todayValue(iso));
}

// ---------------------------------------------------------------------------------------------------------
// compiling and caching

interface Compiled {
  fn: FeelFunction;
  /** The warnings array of the compiling call, which the function keeps appending to. */
  warnings: unknown[];
  /** The context the function was defined in; it copies this object's own keys on every call. */
  holder: Record<string, unknown>;
  /** The variable names the expression reads: copied from the caller's context into `holder` per call. */
  variables: string[];
  usesClock: boolean;
  /** Results by the variables' values (keyPart), when the expression is a function of them alone. */
  results: Map<string, unknown> | null;
}

type CacheEntry = Compiled | FeelEvaluationError;

const CACHE_LIMIT = 2000;
const cache = new Map<string, CacheEntry>();

/**
 * Not a plain object, so feelin keeps a reference to it instead of copying it; every key is created at
 * compile time so its shape stays fixed, and only values change per call.
 */
class Scope {}

function compile(expression: string): Compiled {
  let entry = cache.get(expression);
  if (!entry) {
    try {
      entry = build(expression);
    } catch (error) {
      if (!(error instanceof FeelEvaluationError)) throw error;
      entry = error;
    }
    // Evicts the oldest entry first; the cache is there for the few hundred expressions of deployed models.
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(expression, entry);
  }
  if (entry instanceof FeelEvaluationError) throw entry;
  return entry;
}

type Tree = ReturnType<typeof parseExpression>;
type SyntaxNode = Tree['topNode'];

function build(expression: string): Compiled {
  if (expression.trim() === '') throw new FeelEvaluationError(expression, 'the expression is empty');
  // Known names let names with keywords in them parse (`get or else` holds `or`).
  const parseContext: Record<string, unknown> = {};
  for (const name of HELPER_NAMES) parseContext[name] = null;

  const tree = parseExpression(expression, parseContext, 'camunda');
  const error = firstError(tree);
  if (error !== null)
    throw new FeelEvaluationError(expression, syntaxReason(expression, parseContext, error));

  const found: Found = { helpers: new Set(), variables: new Set() };
  const source = rewrite(tree.topNode, expression, found);

  const holder = new Scope() as Record<string, unknown>;
  for (const name of found.variables) holder[name] = null;
  let usesClock = false;
  for (const name of found.helpers) {
    if (CLOCK_BUILTINS.includes(name)) {
      usesClock = true;
      holder[NOW] = undefined;
      holder[TODAY] = undefined;
    } else {
      holder[ALIAS.get(name) ?? name] = staticHelper(name);
    }
  }
  let compiled: { value: unknown; warnings: unknown[] };
  try {
    compiled = evaluate(`function() (${source})`, holder, 'camunda');
  } catch (cause) {
    // Not expected, as the expression itself parsed.
    throw new FeelEvaluationError(expression, `cannot compile: ${(cause as Error).message}`);
  }
  if (!(compiled.value instanceof FeelFunction)) {
    throw new FeelEvaluationError(expression, 'cannot compile the expression');
  }
  compiled.warnings.length = 0;
  return {
    fn: compiled.value,
    warnings: compiled.warnings,
    holder,
    variables: [...found.variables],
    usesClock,
    results: usesClock ? null : new Map(),
  };
}

function firstError(tree: Tree): number | null {
  let at: number | null = null;
  tree.iterate({
    enter(node) {
      if (at !== null) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  return at;
}

/** feelin's own syntax message: it reports the error while building, before anything is evaluated. */
function syntaxReason(expression: string, parseContext: Record<string, unknown>, position: number): string {
  try {
    evaluate(expression, parseContext, 'camunda');
  } catch (error) {
    if (error instanceof FeelinSyntaxError) {
      return `syntax error at position ${error.position.from}: ${error.message}`;
    }
  }
  return `syntax error at position ${position}`;
}

/** A name as feelin resolves it: identifiers joined by one space, or the text inside backticks. */
function nameOf(node: SyntaxNode, source: string): string {
  const text = source.slice(node.from, node.to).trim();
  if (text.startsWith('`')) return text.slice(1, -1);
  return text.replace(/\s+/g, ' ');
}

function children(node: SyntaxNode): SyntaxNode[] {
  const result: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (!child.type.isSkipped) result.push(child);
  }
  return result;
}

/** What the rewrite found: helpers (FEEL or private names) to bind and variable names the expression reads. */
interface Found {
  helpers: Set<string>;
  variables: Set<string>;
}

/** The source of `node` with built-in calls renamed, `*`, `/` and unary `-` turned into calls, comments dropped. */
function rewrite(node: SyntaxNode, source: string, found: Found): string {
  if (node.type.isSkipped) return ' ';
  if (node.name === 'VariableName') {
    // Also collects iteration variables, parameters and context entries; inner scopes hide their binding.
    found.variables.add(nameOf(node, source));
    return source.slice(node.from, node.to);
  }
  if (node.name === 'ArithmeticExpression') {
    const parts = children(node);
    if (
      parts.length === 2 &&
      parts[0].name === 'ArithOp' &&
      source.slice(parts[0].from, parts[0].to) === '-'
    ) {
      found.helpers.add(NEGATE);
      return `${NEGATE}(${rewrite(parts[1], source, found)})`;
    }
    const [left, op, right] = parts;
    const operator = parts.length === 3 && op.name === 'ArithOp' ? source.slice(op.from, op.to) : '';
    if (operator === '*' || operator === '/') {
      const name = operator === '*' ? MULTIPLY : DIVIDE;
      found.helpers.add(name);
      return `${name}(${rewrite(left, source, found)}, ${rewrite(right, source, found)})`;
    }
  }
  const fallback = lazyGetOrElse(node, source, found);
  if (fallback !== null) return fallback;
  // A called name is a function: a built-in (renamed) or one the expression defines; never a JSON variable.
  let callee: SyntaxNode | null = null;
  let alias: string | undefined;
  if (node.name === 'FunctionInvocation' && node.firstChild?.name === 'VariableName') {
    callee = node.firstChild;
    const name = nameOf(callee, source);
    if (ALIAS.has(name) && (HELPER_NAMES.includes(name) || feelinFunction(name) !== null)) {
      alias = ALIAS.get(name);
      found.helpers.add(name);
    }
  }
  let text = '';
  let position = node.from;
  for (let child = node.firstChild; child; child = child.nextSibling) {
    const isCallee = callee !== null && child.from === callee.from && child.name === callee.name;
    const replacement = isCallee
      ? (alias ?? source.slice(child.from, child.to))
      : rewrite(child, source, found);
    text += source.slice(position, child.from) + replacement;
    position = child.to;
  }
  return text + source.slice(position, node.to);
}

/**
 * `get or else(name, default)` as `if name = null then (default) else name`: the same value, but the default
 * is evaluated only when it is needed. The diagrams' timers fall back on the clock this way
 * (`get or else(stageDueAt, now() + duration("PT10M"))`), and date arithmetic is the costliest thing feelin
 * does (20–180 µs); the variable is nearly always set. Other first arguments keep the helper.
 */
function lazyGetOrElse(node: SyntaxNode, source: string, found: Found): string | null {
  if (node.name !== 'FunctionInvocation' || node.firstChild?.name !== 'VariableName') return null;
  if (nameOf(node.firstChild, source) !== 'get or else') return null;
  const parameters = children(node).find((c) => c.name === 'PositionalParameters');
  const args = parameters ? children(parameters) : [];
  if (args.length !== 2 || args[0].name !== 'VariableName') return null;
  const value = rewrite(args[0], source, found);
  return `(if ${value} = null then (${rewrite(args[1], source, found)}) else ${value})`;
}

// ---------------------------------------------------------------------------------------------------------
// results

function notAValue(expression: string, what: string): FeelEvaluationError {
  return new FeelEvaluationError(expression, `result is not a value (${what})`);
}

/** Converts a feelin result to JSON: temporal values become ISO-8601 strings; functions and ranges throw. */
function toJson(value: unknown, expression: string): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON has no Infinity or NaN (Zeebe's decimals never produce them): null, as a failed operation.
      return Number.isFinite(value) ? value : null;
    case 'function':
      throw notAValue(expression, 'a function');
    case 'object':
      break;
    default:
      throw notAValue(expression, typeof value);
  }
  if (Array.isArray(value)) return value.map((item) => toJson(item, expression));
  if (value instanceof FeelDateTime) return dateTimeToJson(value);
  if (value instanceof FeelDate || value instanceof FeelTime || value instanceof FeelDuration)
    return value.iso;
  if (value instanceof FeelFunction) throw notAValue(expression, 'a function');
  if (value instanceof FeelRange) throw notAValue(expression, 'a range');
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) throw notAValue(expression, 'an object');
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) result[key] = toJson(entry, expression);
  return result;
}

/** ISO-8601 with an offset (`Z`, `+08:00`); a named zone is replaced by its offset; a local one has none. */
function dateTimeToJson(value: FeelDateTime): string {
  const at = value.iso.indexOf('@');
  if (at < 0) return value.iso;
  const offset = value['time offset'];
  const minutes = offset.hours * 60 + offset.minutes;
  if (minutes === 0) return `${value.iso.slice(0, at)}Z`;
  const magnitude = Math.abs(minutes);
  const hh = String(Math.floor(magnitude / 60)).padStart(2, '0');
  const mm = String(magnitude % 60).padStart(2, '0');
  return `${value.iso.slice(0, at)}${minutes < 0 ? '-' : '+'}${hh}:${mm}`;
}
