import { ApiError } from './client.ts';
import type { CASE_SOURCES } from '../lib/inbox-filters.ts';

/** The intake form's fields (server/schemas/case.schema.ts IntakeSchema). */
export interface IntakeValues {
  source: (typeof CASE_SOURCES)[number];
  selfHandled?: boolean;
  sourceTicketId?: string;
  reporterName?: string;
  reporterPhone?: string;
  categoryCode?: string;
  address?: string;
  lng?: number | null;
  lat?: number | null;
  urgency: 'normal' | 'urgent' | 'emergency';
  majorEmergency?: boolean;
  description: string;
}

/** Mobile (11 digits) or landline, as the API checks it. */
export const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;

/** Drops empty strings and nulls: the API takes a missing field, not an empty one. */
export function intakeBody(v: IntakeValues, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { ...extra };
  for (const [k, val] of Object.entries(v)) {
    if (val === '' || val == null) continue;
    body[k] = typeof val === 'string' ? val.trim() : val;
  }
  return body;
}

/** Puts the problem's `errors[]` (`body.<field>`) on the form's fields; returns the ones that fit no field. */
export function fieldErrors(err: unknown, fields: readonly string[]): { name: string; errors: string[] }[] {
  if (!(err instanceof ApiError) || !err.problem.errors) return [];
  return err.problem.errors
    .map((e) => ({ name: e.field.replace(/^body\./, ''), errors: [e.message] }))
    .filter((e) => fields.includes(e.name));
}
