// Pure: which fields of a task's Camunda form name the unit a case is dispatched to, and the form as form-js
// renders it once those fields are left to the org-tree picker (test/web/org-fields.test.ts). The forms keep
// their plain selects (`dispatchUnitId` from `dispatchOptions`, `handlerUnitId` from `handlerOptions`), so
// that they still run in Camunda's own tasklist; the web app swaps each for a slot at the same place, with
// the same condition, that the picker is rendered into.
import type { FormComponent, FormSchema } from './form-actions.ts';
import type { DispatchScope } from './org-tree.ts';

/** A form-js component with the parts the swap reads and keeps. */
interface FieldComponent extends FormComponent {
  valuesKey?: string;
  validate?: { required?: boolean };
  conditional?: { hide?: string };
  layout?: unknown;
  text?: string;
  components?: FieldComponent[];
}

/** The field a dispatch form names its target with. */
export interface OrgField {
  key: string;
  label: string;
  required: boolean;
  /** The FEEL condition that hides the field (e.g. `=not(lastAction = "dispatch")`), if any. */
  hide: string | null;
  /** The variable the server puts the units this task may name in (`{label, value}[]`). */
  optionsKey: string;
  /** Who dispatches: the city centre (一级分拨) or a town (二级分拨). */
  level: DispatchScope['level'];
}

/** The dispatch target fields and whose dispatch each belongs to, by the options the server fills. */
const TARGET_FIELDS: Record<string, Record<string, DispatchScope['level']>> = {
  dispatchUnitId: { dispatchOptions: 'city' },
  handlerUnitId: { handlerOptions: 'town' },
};

/** The radio of the city dispatch form that tells a town centre from a department (`dispatchUnitKind`). */
export const KIND_FIELD = 'dispatchUnitKind';

function* walk(components: FieldComponent[] | undefined): Generator<FieldComponent> {
  for (const c of components ?? []) {
    yield c;
    yield* walk(c.components);
  }
}

/** The form's dispatch target fields: single selects of a known key filled from the server's unit options. */
export function orgFieldsOf(schema: FormSchema | null | undefined): OrgField[] {
  const fields: OrgField[] = [];
  for (const c of walk(schema?.components as FieldComponent[] | undefined)) {
    const level = c.key && c.valuesKey ? TARGET_FIELDS[c.key]?.[c.valuesKey] : undefined;
    if (c.type !== 'select' || !c.key || !c.valuesKey || !level) continue;
    fields.push({
      key: c.key,
      label: c.label ?? c.key,
      required: c.validate?.required === true,
      hide: c.conditional?.hide ?? null,
      optionsKey: c.valuesKey,
      level,
    });
  }
  return fields;
}

/** The class of the slot a field's picker goes in (keys are identifiers, so they are safe in a class). */
export function slotClass(key: string): string {
  return `gf-org-slot gf-org-slot--${key.replace(/[^\w-]/g, '_')}`;
}

/** A CSS selector for the slot of a field. */
export function slotSelector(key: string): string {
  return `.gf-org-slot--${key.replace(/[^\w-]/g, '_')}`;
}

/**
 * The schema form-js renders: each of these fields replaced, at its place and with its id, layout and
 * condition, by a text component that holds an empty slot (form-js keeps a `div` with a `class`). form-js
 * then neither shows nor validates the field; the task form does both with the picker.
 */
export function withOrgSlots<S extends FormSchema>(schema: S, fields: readonly OrgField[]): S {
  if (fields.length === 0) return schema;
  const keys = new Set(fields.map((f) => f.key));
  const swap = (components: FieldComponent[] | undefined): FieldComponent[] | undefined =>
    components?.map((c) => {
      if (c.type === 'select' && c.key && keys.has(c.key)) {
        return {
          type: 'text',
          id: c.id,
          text: `<div class="${slotClass(c.key)}"></div>`,
          ...(c.layout ? { layout: c.layout } : {}),
          ...(c.conditional ? { conditional: c.conditional } : {}),
        };
      }
      return c.components ? { ...c, components: swap(c.components) } : c;
    });
  return { ...schema, components: swap(schema.components as FieldComponent[] | undefined) };
}

/**
 * Whose dispatch a field serves, from the task's data: the city's, or the town's the case was sent to (the
 * town centre 一级分拨 named, else the case's own town), as the server picks the options.
 */
export function scopeOf(field: OrgField, data: Record<string, unknown>): DispatchScope {
  if (field.level === 'city') return { level: 'city' };
  const town = Number(data[KIND_FIELD] === 'town' ? data.dispatchUnitId : data.townId);
  return { level: 'town', townId: Number.isInteger(town) && town > 0 ? town : null };
}

/** The unit ids the server offers for a field (its `{label, value}[]` options), or null when it sent none. */
export function offeredIds(field: OrgField, data: Record<string, unknown>): Set<number> | null {
  const options = data[field.optionsKey];
  if (!Array.isArray(options)) return null;
  return new Set(
    options
      .map((o) => Number((o as { value?: unknown } | null)?.value))
      .filter((id) => Number.isInteger(id) && id > 0),
  );
}
