import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';
import { Form } from '@bpmn-io/form-js-viewer';
import { Alert } from 'antd';
import { type Ref, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { useI18n } from '../i18n/i18n.tsx';

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

/**
 * A Camunda form (form-js JSON) rendered with the form-js viewer, filled with the task's data (its variables
 * and the choices its selects offer). Import warnings are shown, never swallowed.
 */
export function TaskForm({
  schema,
  data,
  onChange,
  ref,
}: {
  schema: unknown;
  data: Record<string, unknown>;
  onChange?: (data: Record<string, unknown>) => void;
  ref?: Ref<TaskFormHandle>;
}) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const form = useRef<Form | null>(null);
  const change = useRef(onChange);
  change.current = onChange;
  const [warnings, setWarnings] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!container.current) return;
    const f = new Form({ container: container.current });
    let live = true;
    form.current = f;
    f.on('changed', (e: { data: Record<string, unknown> }) => change.current?.(e.data));
    f.importSchema(schema as FormSchema, data)
      .then((r: { warnings?: unknown[] }) => {
        if (!live) return;
        setWarnings((r.warnings ?? []).map((w) => (w instanceof Error ? w.message : String(w))));
        change.current?.(f._getState().data);
      })
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      // StrictMode mounts twice: the first form is destroyed and must not report into the second.
      live = false;
      form.current = null;
      f.destroy();
    };
  }, [schema, data]);

  useImperativeHandle(
    ref,
    () => ({
      submit() {
        const f = form.current;
        if (!f) return null;
        const r = f.submit();
        return Object.keys(r.errors).length > 0 ? null : (r.data as Record<string, unknown>);
      },
      data() {
        return (form.current?._getState().data ?? {}) as Record<string, unknown>;
      },
      async setValue(key, value) {
        const f = form.current;
        if (!f) return;
        // Text fields pass their input on after a short debounce: let a value just typed arrive first.
        if (container.current?.contains(document.activeElement)) {
          (document.activeElement as HTMLElement).blur();
          await new Promise((r) => setTimeout(r, 350));
        }
        const current = f._getState().data as Record<string, unknown>;
        if (current[key] === value) return;
        await f.importSchema(schema as FormSchema, { ...data, ...current, [key]: value });
        change.current?.(f._getState().data);
      },
    }),
    [schema, data],
  );

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
    </div>
  );
}
