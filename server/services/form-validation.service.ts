import type { FieldProblem } from '../../common/errors.ts';
import { FeelEvaluationError, evaluateFeel } from '../../engine/feel/feel.ts';

/** A form-js component, as far as validation reads it. */
interface Component {
  type: string;
  key?: string;
  label?: string;
  values?: { value: unknown }[];
  /** Dynamic choices: the data variable holding `{ label, value }[]` (the API supplies them per task). */
  valuesKey?: string;
  validate?: {
    required?: boolean;
    minLength?: number;
    maxLength?: number;
    min?: number;
    max?: number;
    pattern?: string;
  };
  conditional?: { hide?: string };
  components?: Component[];
}

const empty = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * Checks submitted form data against a Camunda form (form-js schema) as the form-js viewer would: fields
 * hidden by their FEEL condition are skipped, required fields must be filled, a choice must be one of its
 * field's (static `values`, or the list its `valuesKey` names in `data`: a dispatch goes only to a unit the task
 * offers), lengths and bounds hold. Returns the problems, each naming `variables.<key>`.
 */
export function validateFormData(
  schema: { components?: Component[] },
  data: Record<string, unknown>,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const walk = (components: Component[]): void => {
    for (const c of components) {
      if (c.conditional?.hide && isHidden(c.conditional.hide, data)) continue;
      if (c.components) walk(c.components);
      if (!c.key) continue;
      const value = data[c.key];
      const field = `body.variables.${c.key}`;
      const name = c.label ? `${c.label} (${c.key})` : c.key;
      const v = c.validate ?? {};
      if (empty(value)) {
        if (v.required) problems.push({ field, message: `${name} is required` });
        continue;
      }
      if (c.type === 'number' && typeof value !== 'number') {
        problems.push({ field, message: `${name} must be a number` });
        continue;
      }
      if (c.type === 'checkbox' && typeof value !== 'boolean') {
        problems.push({ field, message: `${name} must be true or false` });
        continue;
      }
      const choices =
        c.values ??
        (c.valuesKey && Array.isArray(data[c.valuesKey])
          ? (data[c.valuesKey] as { value: unknown }[])
          : undefined);
      const offered = (x: unknown): boolean => choices!.some((o) => o.value === x);
      if ((c.type === 'radio' || c.type === 'select') && choices && !offered(value)) {
        problems.push({
          field,
          message: `${name} must be one of ${choices.map((o) => String(o.value)).join(', ')}`,
        });
        continue;
      }
      if (c.type === 'checklist' && choices && (!Array.isArray(value) || !value.every(offered))) {
        problems.push({
          field,
          message: `${name} must be a list of ${choices.map((o) => String(o.value)).join(', ')}`,
        });
        continue;
      }
      if (typeof value === 'string') {
        if (v.maxLength != null && value.length > v.maxLength)
          problems.push({ field, message: `${name} is longer than ${v.maxLength}` });
        if (v.minLength != null && value.length < v.minLength)
          problems.push({ field, message: `${name} is shorter than ${v.minLength}` });
        if (v.pattern && !new RegExp(v.pattern).test(value))
          problems.push({ field, message: `${name} does not match the expected format` });
      }
      if (typeof value === 'number') {
        if (v.min != null && value < v.min)
          problems.push({ field, message: `${name} must be at least ${v.min}` });
        if (v.max != null && value > v.max)
          problems.push({ field, message: `${name} must be at most ${v.max}` });
      }
    }
  };
  walk(schema.components ?? []);
  return problems;
}

function isHidden(expression: string, data: Record<string, unknown>): boolean {
  const text = expression.trim().replace(/^=/, '');
  try {
    return evaluateFeel(text, data) === true;
  } catch (err) {
    if (err instanceof FeelEvaluationError) return false;
    throw err;
  }
}
