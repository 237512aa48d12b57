// The read-only diagram of a process version (bpmn-js NavigatedViewer: pan and zoom), with markers. Loaded
// lazily: bpmn-js stays out of the page's own chunk.
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import './process-diagram.css';
import { Alert } from 'antd';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import type Canvas from 'diagram-js/lib/core/Canvas';
import type ElementRegistry from 'diagram-js/lib/core/ElementRegistry';
import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/i18n.tsx';
import type { Marker } from '../lib/process-lint-markers.ts';
import { MODDLE_EXTENSIONS, applyMarkers, centerOn, initialView, warningText } from './process-canvas.ts';

/** What the diagram is told. */
export interface ProcessDiagramProps {
  xml: string;
  /** Classes to put on elements (diff colours). */
  markers?: readonly Marker[];
  /** An element to outline and centre on. */
  focus?: string | null;
  /** Called once the XML is drawn, with the viewer (the diff view reads its definitions and syncs views). */
  onImported?: (viewer: NavigatedViewer) => void;
  /** Called when an element is clicked, with its id. */
  onElementClick?: (elementId: string) => void;
  testId?: string;
}

const NO_MARKERS: readonly Marker[] = [];

/** A process diagram to look at: pan, zoom, markers; import warnings shown above it. Fills its (positioned) parent. */
export default function ProcessDiagram({
  xml,
  markers = NO_MARKERS,
  focus,
  onImported,
  onElementClick,
  testId,
}: ProcessDiagramProps) {
  const { t } = useI18n();
  const hostRef = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<NavigatedViewer | null>(null);
  const applied = useRef<Marker[]>([]);
  const callbacks = useRef({ onImported, onElementClick });
  const [imported, setImported] = useState(0);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    callbacks.current = { onImported, onElementClick };
  }, [onImported, onElementClick]);

  useEffect(() => {
    const viewer = new NavigatedViewer({ container: hostRef.current!, moddleExtensions: MODDLE_EXTENSIONS });
    // StrictMode mounts twice: the first viewer is destroyed before its import finishes, so nothing it
    // reports afterwards may touch the state.
    let destroyed = false;
    viewerRef.current = viewer;
    applied.current = [];
    viewer.on('element.click', (e: { element: { id: string } }) =>
      callbacks.current.onElementClick?.(e.element.id),
    );
    viewer
      .importXML(xml)
      .then(({ warnings: w }) => {
        if (destroyed) return;
        setWarnings(w.map(warningText));
        setError(null);
        initialView(viewer.get<Canvas>('canvas'));
        setImported((n) => n + 1);
        callbacks.current.onImported?.(viewer);
      })
      .catch((err: unknown) => {
        if (!destroyed) setError(err instanceof Error ? err.message : String(err));
      });
    return () => {
      destroyed = true;
      viewer.destroy();
      if (viewerRef.current === viewer) viewerRef.current = null;
    };
  }, [xml]);

  useEffect(() => {
    const viewer = viewerRef.current;
    if (!viewer || !imported) return;
    const canvas = viewer.get<Canvas>('canvas');
    const registry = viewer.get<ElementRegistry>('elementRegistry');
    const next = focus ? [...markers, { elementId: focus, className: 'gf-focus' }] : markers;
    applied.current = applyMarkers(canvas, registry, applied.current, next);
    if (focus) centerOn(canvas, focus, registry);
  }, [markers, focus, imported]);

  return (
    <div style={{ position: 'absolute', inset: 0 }}>
      <div className="gf-bpmn-host" ref={hostRef} data-testid={testId} data-imported={imported > 0} />
      {(error || warnings.length > 0) && (
        <div style={{ position: 'absolute', top: 8, left: 8, right: 8, zIndex: 5 }}>
          {error ? (
            <Alert type="error" showIcon message={t('processes.importFailed')} description={error} />
          ) : (
            <Alert
              type="warning"
              showIcon
              closable
              message={t('processes.importWarnings', { n: warnings.length })}
              description={
                <ul style={{ margin: 0, paddingInlineStart: 18, maxHeight: 96, overflow: 'auto' }}>
                  {warnings.map((w, i) => (
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              }
            />
          )}
        </div>
      )}
    </div>
  );
}
