import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';
import { Form } from '@bpmn-io/form-js-viewer';
import { Alert } from 'antd';
import { type Ref, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { useI18n } from '../i18n/i18n.tsx';
import { type FormSchema as ActionSchema, componentsOf } from '../lib/form-actions.ts';
import {
  KIND_FIELD,
  type OrgField,
  offeredIds,
  orgFieldsOf,
  scopeOf,
  slotSelector,
  withOrgSlots,
} from '../lib/org-fields.ts';
import { type DispatchKind, type OrgTreeUnit, dispatchKindOf } from '../lib/org-tree.ts';
import { OrgUnitPicker } from './org-unit-picker.tsx';

/** What the task page does with the rendered form. */
export interface TaskFormHandle {
  /** Validates (showing the errors in the form) and returns the data, or null when invalid. */
  submit(): Record<string, unknown> | null;
  /** The current values. */
  data(): Record<string, unknown>;
  /** Sets one field (e.g. the action a button stands for): the form re-renders with its conditions. */
  setValue(key: string, value: unknown): Promise<void>;
}

type FormSchema = Parameters<Form['importSchema']>[0];
type Data = Record<string, unknown>;

/** form-js's FEEL service, to tell whether a picker field's condition hides it. */
interface ExpressionLanguage {
  evaluate(expression: string, data: Data): unknown;
}

/** The units picked in the org-tree fields, by field key. */
type Picked = Record<string, number | undefined>;

const pickedFrom = (fields: readonly OrgField[], data: Data): Picked =>
  Object.fromEntries(
    fields.map((f) => [f.key, typeof data[f.key] === 'number' ? (data[f.key] as number) : undefined]),
  );

/**
 * A Camunda form (form-js JSON) rendered with the form-js viewer, filled with the task's data (its variables
 * and the choices its selects offer). Import warnings are shown, never swallowed.
 *
 * The dispatch target fields (lib/org-fields.ts) are not form-js selects here but the org-tree picker: form-js
 * renders an empty slot in their place (with their condition), the picker is portalled into it, and this
 * component validates the field and puts the picked unit into the submitted data. On the city's form the
 * picker and the 分拨对象 radio follow each other: picking a unit sets its kind, changing the kind drops a
 * unit of the other kind.
 */
export function TaskForm({
  schema,
  data,
  onChange,
  ref,
}: {
  schema: unknown;
  data: Data;
  onChange?: (data: Data) => void;
  ref?: Ref<TaskFormHandle>;
}) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const form = useRef<Form | null>(null);
  const change = useRef(onChange);
  change.current = onChange;
  const [warnings, setWarnings] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  const orgFields = useMemo(() => orgFieldsOf(schema as ActionSchema), [schema]);
  const rendered = useMemo(
    () => withOrgSlots(schema as ActionSchema, orgFields) as FormSchema,
    [schema, orgFields],
  );
  const hasKind = useMemo(
    () => componentsOf(schema as ActionSchema).some((c) => c.key === KIND_FIELD),
    [schema],
  );
  const [picked, setPicked] = useState<Picked>(() => pickedFrom(orgFields, data));
  const pickedRef = useRef(picked);
  pickedRef.current = picked;
  const kinds = useRef<Record<string, DispatchKind>>({});
  const [formData, setFormData] = useState<Data>(data);
  const [hosts, setHosts] = useState<Record<string, HTMLElement>>({});
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  /** Reports the form's data with the picked units (those whose field is shown) to the page. */
  const report = (formState: Data, units: Picked = pickedRef.current): void => {
    setFormData(formState);
    change.current?.({ ...formState, ...visiblePicked(formState, units) });
  };

  /** True when the form shows the field now: its condition (FEEL, as form-js evaluates it) does not hide it. */
  const isShown = (field: OrgField, formState: Data, units: Picked): boolean => {
    const f = form.current;
    if (!field.hide || !f) return true;
    const hidden = f
      .get<ExpressionLanguage>('expressionLanguage')
      .evaluate(field.hide, { ...data, ...formState, ...units });
    return hidden !== true;
  };

  /** The picked units of the fields the form shows now (a hidden field's value is dropped, as form-js does). */
  const visiblePicked = (formState: Data, units: Picked): Data => {
    const out: Data = {};
    for (const field of orgFields) {
      const v = units[field.key];
      if (v != null && isShown(field, formState, units)) out[field.key] = v;
    }
    return out;
  };

  useEffect(() => {
    setPicked(pickedFrom(orgFields, data));
    setFieldErrors({});
    kinds.current = {};
  }, [orgFields, data]);

  useEffect(() => {
    const root = container.current;
    if (!root) return;
    const f = new Form({ container: root });
    let live = true;
    form.current = f;
    f.on('changed', (e: { data: Data }) => {
      // On the city's form a change of 分拨对象 drops a picked unit of the other kind.
      const kind = e.data[KIND_FIELD];
      const stale = orgFields.filter((fd) => kinds.current[fd.key] && kind && kinds.current[fd.key] !== kind);
      if (stale.length > 0) {
        const units = { ...pickedRef.current };
        for (const fd of stale) {
          units[fd.key] = undefined;
          delete kinds.current[fd.key];
        }
        pickedRef.current = units;
        setPicked(units);
      }
      report(e.data);
    });
    // The slots come and go as form-js renders (a condition hides a field, setValue re-imports the form): a
    // host of our own in each slot takes the picker, so that form-js replacing a slot never pulls nodes React
    // still holds.
    const own = new WeakMap<Element, HTMLElement>();
    const findSlots = (): void => {
      const next: Record<string, HTMLElement> = {};
      for (const field of orgFields) {
        const slot = root.querySelector(slotSelector(field.key));
        if (!slot) continue;
        let host = own.get(slot);
        if (!host) {
          host = document.createElement('div');
          own.set(slot, host);
        }
        if (host.parentElement !== slot) slot.appendChild(host);
        next[field.key] = host;
      }
      setHosts((prev) =>
        Object.keys(prev).length === Object.keys(next).length &&
        Object.entries(next).every(([k, h]) => prev[k] === h)
          ? prev
          : next,
      );
    };
    const observer = orgFields.length > 0 ? new MutationObserver(findSlots) : null;
    observer?.observe(root, { childList: true, subtree: true });
    f.importSchema(rendered, data)
      .then((r: { warnings?: unknown[] }) => {
        if (!live) return;
        setWarnings((r.warnings ?? []).map((w) => (w instanceof Error ? w.message : String(w))));
        findSlots();
        report(f._getState().data as Data);
      })
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      // StrictMode mounts twice: the first form is destroyed and must not report into the second.
      live = false;
      observer?.disconnect();
      form.current = null;
      f.destroy();
      setHosts({});
    };
    // `report` reads refs only; the form is rebuilt for a new schema or new task data.
  }, [rendered, data, orgFields]);

  /** Sets a form-js field and re-renders the form with it (its conditions follow). */
  const setFormValue = async (key: string, value: unknown): Promise<void> => {
    const f = form.current;
    if (!f) return;
    // Text fields pass their input on after a short debounce: let a value just typed arrive first.
    if (container.current?.contains(document.activeElement)) {
      (document.activeElement as HTMLElement).blur();
      await new Promise((r) => setTimeout(r, 350));
    }
    const current = f._getState().data as Data;
    if (current[key] === value) return;
    await f.importSchema(rendered, { ...data, ...current, [key]: value });
    report(f._getState().data as Data);
  };

  /** A unit picked in a field: kept, its error cleared, and on the city's form the kind set to match. */
  const pick = (field: OrgField, id: number | undefined, unit: OrgTreeUnit | undefined): void => {
    const units = { ...pickedRef.current, [field.key]: id };
    pickedRef.current = units;
    setPicked(units);
    setFieldErrors(({ [field.key]: _, ...rest }) => rest);
    if (unit && field.level === 'city' && hasKind) {
      const kind = dispatchKindOf(unit);
      kinds.current[field.key] = kind;
      void setFormValue(KIND_FIELD, kind);
    } else delete kinds.current[field.key];
    report((form.current?._getState().data as Data | undefined) ?? formData, units);
  };

  // No dependency list: the handle's functions close over this render's form, fields and picks.
  useImperativeHandle(ref, () => ({
    submit() {
      const f = form.current;
      if (!f) return null;
      const r = f.submit();
      const state = f._getState().data as Data;
      const shown = visiblePicked(state, pickedRef.current);
      const missing: Record<string, string> = {};
      for (const field of orgFields) {
        if (field.required && shown[field.key] == null && isShown(field, state, pickedRef.current))
          missing[field.key] = t('org.picker.required', { label: field.label });
      }
      setFieldErrors(missing);
      if (Object.keys(r.errors).length > 0 || Object.keys(missing).length > 0) return null;
      return { ...(r.data as Data), ...shown };
    },
    data() {
      const state = (form.current?._getState().data ?? {}) as Data;
      return { ...state, ...visiblePicked(state, pickedRef.current) };
    },
    async setValue(key, value) {
      const field = orgFields.find((fd) => fd.key === key);
      if (field) {
        pick(field, typeof value === 'number' ? value : undefined, undefined);
        return;
      }
      await setFormValue(key, value);
    },
  }));

  const kindNow = formData[KIND_FIELD];
  return (
    <div>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} />}
      {warnings.length > 0 && (
        <Alert
          type="warning"
          showIcon
          message={t('task.formWarnings')}
          description={warnings.join('; ')}
          style={{ marginBottom: 8 }}
        />
      )}
      <div ref={container} className="gf-task-form" data-testid="task-form" />
      {orgFields.map((field) => {
        const host = hosts[field.key];
        if (!host) return null;
        const inputId = `gf-org-${field.key}`;
        const problem = fieldErrors[field.key];
        return createPortal(
          <div className="gf-org-field" data-field={field.key}>
            <label className="fjs-form-field-label" htmlFor={inputId}>
              {field.label}
              {field.required && <span className="fjs-asterix">*</span>}
            </label>
            <OrgUnitPicker
              id={inputId}
              scope={scopeOf(field, { ...data, ...formData })}
              filter={{
                kind:
                  field.level === 'city' && hasKind && (kindNow === 'town' || kindNow === 'department')
                    ? kindNow
                    : null,
                allowed: offeredIds(field, data),
              }}
              value={picked[field.key]}
              onChange={(id, unit) => pick(field, id, unit)}
              status={problem ? 'error' : undefined}
              testId={`org-picker-${field.key}`}
            />
            {problem && (
              <div className="fjs-form-field-error" role="alert">
                <span>{problem}</span>
              </div>
            )}
          </div>,
          host,
          field.key,
        );
      })}
    </div>
  );
}
