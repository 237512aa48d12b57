import { useEffect, useRef } from 'react';

/** True when a key press belongs to a text field (or a form control), not to the page. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return (
    el.isContentEditable ||
    ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) ||
    el.closest('[role="combobox"], .fjs-form-field, .ant-select') != null
  );
}

/**
 * Page keys: `j`, `k`, `c`, `Enter`… run only outside text fields; `mod+Enter` (Ctrl or ⌘ with Enter) runs
 * everywhere, so a form can be submitted from its last field.
 */
export function useHotkeys(keys: Record<string, (e: KeyboardEvent) => void>): void {
  const current = useRef(keys);
  current.current = keys;
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        const h = current.current['mod+Enter'];
        if (h) {
          e.preventDefault();
          h(e);
        }
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const h = current.current[e.key.length === 1 ? e.key.toLowerCase() : e.key];
      if (h) {
        e.preventDefault();
        h(e);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
