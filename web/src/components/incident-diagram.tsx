import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import './incident-diagram.css';
import { Alert } from 'antd';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/i18n.tsx';

/** What the diagram uses of the viewer's canvas, registry and overlays (diagram-js services). */
interface Canvas {
  zoom(level: 'fit-viewport', center?: 'auto'): number;
  addMarker(elementId: string, marker: string): void;
}
interface ElementRegistry {
  get(id: string): unknown;
}
interface Overlays {
  add(
    elementId: string,
    type: string,
    overlay: { position: Record<string, number>; html: HTMLElement | string },
  ): string;
}

/** An element to mark: red while its incident is open, grey once it is resolved. */
export interface IncidentMark {
  elementId: string;
  resolved: boolean;
}

/**
 * A deployed process drawn with the bpmn-js NavigatedViewer (pan and zoom), the elements that have an incident
 * marked with a badge: red while open, grey once resolved. Its own chunk: the 异常 page loads it lazily, when an incident is opened. Import
 * warnings are shown, not swallowed; an element the diagram lacks is named.
 */
export default function IncidentDiagram({
  xml,
  marks,
  badges,
}: {
  xml: string;
  /** The elements to mark (an instance's incidents). */
  marks: readonly IncidentMark[];
  /** The badge texts of open and of resolved incidents. */
  badges: { open: string; resolved: string };
}) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState<string[]>([]);
  // Compared by what they say: the caller builds new arrays and objects on every render.
  const said = JSON.stringify([marks, badges]);

  useEffect(() => {
    if (!container.current) return;
    const viewer = new NavigatedViewer({ container: container.current });
    let live = true;
    setError(null);
    viewer
      .importXML(xml)
      .then(({ warnings: found }) => {
        // StrictMode mounts twice: the first viewer is destroyed by now and must not draw or report.
        if (!live) return;
        setWarnings((found as unknown[]).map((w) => (w instanceof Error ? w.message : String(w))));
        const canvas = viewer.get<Canvas>('canvas');
        const registry = viewer.get<ElementRegistry>('elementRegistry');
        const overlays = viewer.get<Overlays>('overlays');
        canvas.zoom('fit-viewport', 'auto');
        const absent: string[] = [];
        const [toMark, text] = JSON.parse(said) as [IncidentMark[], { open: string; resolved: string }];
        for (const { elementId, resolved } of toMark) {
          if (!registry.get(elementId)) {
            absent.push(elementId);
            continue;
          }
          canvas.addMarker(elementId, resolved ? 'gf-incident-resolved' : 'gf-incident');
          const html = document.createElement('span');
          html.className = resolved ? 'gf-incident-badge gf-incident-badge--resolved' : 'gf-incident-badge';
          html.textContent = resolved ? text.resolved : text.open;
          overlays.add(elementId, 'gf-incident', { position: { top: -10, right: 10 }, html });
        }
        setMissing(absent);
      })
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
      viewer.destroy();
    };
  }, [xml, said]);

  return (
    <div>
      {error && (
        <Alert
          type="error"
          showIcon
          title={t('incidents.diagram.failed')}
          description={error}
          style={{ marginBottom: 8 }}
        />
      )}
      {warnings.length > 0 && (
        <Alert
          type="warning"
          showIcon
          title={t('incidents.diagram.warnings')}
          description={warnings.join('; ')}
          style={{ marginBottom: 8 }}
        />
      )}
      {missing.length > 0 && (
        <Alert
          type="info"
          showIcon
          title={t('incidents.diagram.missing', { ids: missing.join(', ') })}
          style={{ marginBottom: 8 }}
        />
      )}
      <div ref={container} className="gf-incident-diagram" data-testid="incident-diagram" />
    </div>
  );
}
