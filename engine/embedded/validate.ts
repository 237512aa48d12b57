import { InvalidArgumentError } from '../../common/errors.ts';
import type { Key, Variables } from '../port.ts';

/**
 * Checks that a value is a JSON object of variables: plain objects, arrays, strings, finite numbers,
 * booleans and null only. Throws InvalidArgumentError naming the first offending path.
 */
export function assertVariables(value: unknown, field = 'variables'): Variables {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || !isPlainObject(value)) {
    throw new InvalidArgumentError('INVALID_VARIABLES', `${field} must be a JSON object`, [
      { field, message: 'must be a JSON object' },
    ]);
  }
  const problem = findNonJson(value, field, new Set());
  if (problem) {
    throw new InvalidArgumentError('INVALID_VARIABLES', `${problem.field} ${problem.message}`, [problem]);
  }
  return value as Variables;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function findNonJson(
  value: unknown,
  path: string,
  seen: Set<object>,
): { field: string; message: string } | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : { field: path, message: `is not a JSON value (${value})` };
    case 'object': {
      if (seen.has(value)) return { field: path, message: 'is circular' };
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const p = findNonJson(value[i], `${path}[${i}]`, seen);
          if (p) return p;
        }
      } else {
        if (!isPlainObject(value)) {
          return { field: path, message: `is not a JSON value (${value.constructor?.name ?? 'object'})` };
        }
        for (const [k, v] of Object.entries(value)) {
          const p = findNonJson(v, `${path}.${k}`, seen);
          if (p) return p;
        }
      }
      seen.delete(value);
      return null;
    }
    default:
      return { field: path, message: `is not a JSON value (${typeof value})` };
  }
}

/** Parses a key given at the port (a decimal string, or a number); InvalidArgumentError otherwise. */
export function parseKey(value: Key | number | undefined | null, field: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9][0-9]{0,15}$/.test(text)) {
    throw new InvalidArgumentError(
      'INVALID_KEY',
      `${field} must be a key (a positive whole number), got ${JSON.stringify(value ?? null)}`,
      [{ field, message: 'must be a key (a positive whole number)' }],
    );
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('INVALID_KEY', `${field} is out of range`, [
      { field, message: 'is out of range' },
    ]);
  }
  return n;
}

/** A non-empty string, or InvalidArgumentError naming the field. */
export function requireText(value: unknown, field: string, max = 255): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError('MISSING_FIELD', `${field} is required`, [
      { field, message: 'is required' },
    ]);
  }
  if (value.length > max) {
    throw new InvalidArgumentError('INVALID_FIELD', `${field} is longer than ${max} characters`, [
      { field, message: `is longer than ${max} characters` },
    ]);
  }
  return value;
}

/** A whole number within bounds, or InvalidArgumentError naming the field. */
export function requireInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError('INVALID_FIELD', `${field} must be a whole number from ${min} to ${max}`, [
      { field, message: `must be a whole number from ${min} to ${max}` },
    ]);
  }
  return value;
}

/** An ISO 8601 date-time string as epoch ms (null stays null), or InvalidArgumentError. */
export function parseDateField(value: unknown, field: string): number | null {
  if (value === null) return null;
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) {
    throw new InvalidArgumentError('INVALID_FIELD', `${field} must be an ISO 8601 date-time`, [
      { field, message: 'must be an ISO 8601 date-time' },
    ]);
  }
  return t;
}
