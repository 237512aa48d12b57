import type { z } from 'zod';
import { InvalidArgumentError } from '../../common/errors.ts';

/**
 * Parses request input with a zod schema; a failure is a 400 problem naming every field at fault
 * (`body.lat`, `query.page`), with nothing written.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params',
): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new InvalidArgumentError(
    'VALIDATION_FAILED',
    `Invalid ${where}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
    errors,
  );
}
