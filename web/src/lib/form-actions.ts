// Pure: how a task's actions meet its Camunda form (test/web/form-actions.test.ts). A form either carries the
// action as a field (`lastAction`, or a radio whose options are exactly the task's actions, like the verify
// form's `verifyResult`), so that picking it shows the fields that action needs, or has none and the task
// offers one action (or several that need no extra fields).

/** A form-js component, as far as the web app reads it. */
export interface FormComponent {
  type: string;
  id?: string;
  key?: string;
  label?: string;
  values?: { label?: string; value: unknown }[];
  components?: FormComponent[];
}

/** A form-js schema, as far as the web app reads it. */
export interface FormSchema {
  id?: string;
  components?: FormComponent[];
}

function* walk(components: FormComponent[] | undefined): Generator<FormComponent> {
  for (const c of components ?? []) {
    yield c;
    yield* walk(c.components);
  }
}

/** Every component of a form, nested ones included. */
export function componentsOf(schema: FormSchema | null | undefined): FormComponent[] {
  return [...walk(schema?.components)];
}

/**
 * The key of the field that carries the action: `lastAction` when the form has it, else a radio or select
 * whose option values are exactly the actions; null when the form has no such field.
 */
export function actionFieldOf(
  schema: FormSchema | null | undefined,
  actions: readonly string[],
): string | null {
  const all = componentsOf(schema);
  if (all.some((c) => c.key === 'lastAction')) return 'lastAction';
  const wanted = [...actions].sort().join('\n');
  const match = all.find(
    (c) =>
      c.key &&
      (c.type === 'radio' || c.type === 'select') &&
      c.values &&
      c.values
        .map((v) => String(v.value))
        .sort()
        .join('\n') === wanted,
  );
  return match?.key ?? null;
}

/**
 * The action a submit completes the task with: the action field's value, or the action of the button pressed,
 * or the only action; null when it cannot be told (several actions and none chosen).
 */
export function chosenAction(
  actions: readonly string[],
  actionField: string | null,
  data: Record<string, unknown>,
  pressed?: string,
): string | null {
  if (pressed && actions.includes(pressed)) return pressed;
  if (actionField) {
    const v = data[actionField];
    if (typeof v === 'string' && actions.includes(v)) return v;
  }
  return actions.length === 1 ? actions[0] : null;
}

/** Keys of the fields that take uploaded photos as attachment ids (`photoIds`, `verifyPhotoIds`, …). */
export function photoFieldsOf(schema: FormSchema | null | undefined): string[] {
  return componentsOf(schema)
    .map((c) => c.key)
    .filter((k): k is string => typeof k === 'string' && /(^p|P)hotoIds$/.test(k));
}

/** Field key → label, to name the fields of the API's problem `errors[]`. */
export function fieldLabels(schema: FormSchema | null | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const c of componentsOf(schema)) if (c.key && c.label) labels[c.key] = c.label;
  return labels;
}

/** The form field a problem's `field` names (`body.variables.handleResult` → `handleResult`), else null. */
export function problemFieldKey(field: string): string | null {
  const m = /^body\.variables\.(.+)$/.exec(field);
  return m ? m[1] : null;
}
