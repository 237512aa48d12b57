import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import './bpmn-viewer.css';
import { Alert, Button, Tooltip } from 'antd';
import { ExpandOutlined } from '@ant-design/icons';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { useEffect, useRef, useState } from 'react';
import { errorText } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';

interface Canvas {
  zoom(level?: 'fit-viewport' | number): number;
  scrollToElement(element: string, padding?: number): void;
  addMarker(element: string, marker: string): void;
  removeMarker(element: string, marker: string): void;
}
interface ElementRegistry {
  get(id: string): unknown;
  getAll(): { id: string; businessObject?: { name?: string } }[];
}
interface Overlays {
  add(
    element: string,
    type: string,
    overlay: { position: Record<string, number>; html: HTMLElement },
  ): string;
  remove(filter: { type: string }): void;
}

/** A small label drawn over an element (a count of live instances, an incident mark). */
export interface DiagramBadge {
  text: string;
  tone?: 'info' | 'incident';
}

const BADGE = 'replay-badge';
/** Below this scale a task's name is unreadable: a large diagram is shown at READABLE and follows `focus`. */
const READABLE = 0.75;

/**
 * A BPMN diagram in bpmn-js's NavigatedViewer (pan and zoom, no editing) with CSS markers and badges on its
 * elements. Import warnings are shown, not swallowed. React's StrictMode mounts twice: the first viewer is
 * destroyed, and its import, finishing later, is ignored.
 */
export function BpmnViewer({
  xml,
  markers,
  badges = {},
  height = 420,
  focus,
  onNames,
}: {
  xml: string;
  /** CSS classes per element id (see bpmn-viewer.css). */
  markers: Record<string, string[]>;
  badges?: Record<string, DiagramBadge>;
  height?: number;
  /** An element to keep in view (the current step's), scrolled to when it changes. */
  focus?: string | null;
  /** The elements' names once the diagram is drawn. */
  onNames?: (names: Record<string, string>) => void;
}) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const [viewer, setViewer] = useState<NavigatedViewer | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const applied = useRef<Set<string>>(new Set());
  const onNamesRef = useRef(onNames);
  onNamesRef.current = onNames;

  useEffect(() => {
    const instance = new NavigatedViewer({ container: container.current! });
    let live = true;
    applied.current = new Set();
    setError(null);
    setWarnings([]);
    instance
      .importXML(xml)
      .then(({ warnings: found }) => {
        if (!live) return;
        const canvas = instance.get<Canvas>('canvas');
        if (canvas.zoom('fit-viewport') < READABLE) canvas.zoom(READABLE);
        setWarnings(found.map((w) => errorText(w)));
        const names: Record<string, string> = {};
        for (const el of instance.get<ElementRegistry>('elementRegistry').getAll())
          if (el.businessObject?.name) names[el.id] = el.businessObject.name;
        onNamesRef.current?.(names);
        setViewer(instance);
      })
      .catch((err: unknown) => {
        if (live) setError(errorText(err));
      });
    return () => {
      live = false;
      setViewer(null);
      instance.destroy();
    };
  }, [xml]);

  // Markers: only the changes since the last state are applied, so stepping stays cheap on a large diagram.
  useEffect(() => {
    if (!viewer) return;
    const canvas = viewer.get<Canvas>('canvas');
    const registry = viewer.get<ElementRegistry>('elementRegistry');
    const next = new Set<string>();
    for (const [id, classes] of Object.entries(markers)) {
      if (!registry.get(id)) continue;
      for (const cls of classes) next.add(`${id} ${cls}`);
    }
    for (const pair of applied.current) {
      if (next.has(pair)) continue;
      const [id, cls] = pair.split(' ');
      canvas.removeMarker(id, cls);
    }
    for (const pair of next) {
      if (applied.current.has(pair)) continue;
      const [id, cls] = pair.split(' ');
      canvas.addMarker(id, cls);
    }
    applied.current = next;
  }, [viewer, markers]);

  useEffect(() => {
    if (!viewer || !focus || !viewer.get<ElementRegistry>('elementRegistry').get(focus)) return;
    viewer.get<Canvas>('canvas').scrollToElement(focus, 60);
  }, [viewer, focus]);

  useEffect(() => {
    if (!viewer) return;
    const overlays = viewer.get<Overlays>('overlays');
    const registry = viewer.get<ElementRegistry>('elementRegistry');
    overlays.remove({ type: BADGE });
    for (const [id, badge] of Object.entries(badges)) {
      if (!registry.get(id)) continue;
      const html = document.createElement('div');
      html.className = badge.tone === 'incident' ? `${BADGE} ${BADGE}-incident` : BADGE;
      html.textContent = badge.text;
      html.dataset.element = id;
      overlays.add(id, BADGE, { position: { top: -10, right: 10 }, html });
    }
  }, [viewer, badges]);

  return (
    <div>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} />}
      {warnings.length > 0 && (
        <Alert
          type="warning"
          showIcon
          message={t('replay.importWarnings')}
          description={warnings.join('\n')}
          style={{ marginBottom: 8, whiteSpace: 'pre-line' }}
        />
      )}
      <div style={{ position: 'relative' }}>
        <div
          ref={container}
          className="gf-bpmn-viewer"
          data-testid="bpmn-viewer"
          data-ready={viewer ? 'true' : 'false'}
          style={{ height, border: '1px solid #f0f0f0', borderRadius: 4, background: '#fff' }}
        />
        <Tooltip title={t('replay.fit')}>
          <Button
            size="small"
            icon={<ExpandOutlined />}
            aria-label={t('replay.fit')}
            style={{ position: 'absolute', right: 8, top: 8 }}
            onClick={() => viewer?.get<Canvas>('canvas').zoom('fit-viewport')}
          />
        </Tooltip>
      </div>
    </div>
  );
}
