// What the process editor, viewer and diff share on a bpmn-js canvas: the Zeebe moddle extension, finding
// the drawn element a model id belongs to, centring on an element, and keeping a set of markers in place.
import type Canvas from 'diagram-js/lib/core/Canvas';
import type ElementRegistry from 'diagram-js/lib/core/ElementRegistry';
import zeebe from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { type Marker, markerUpdates } from '../lib/process-lint-markers.ts';

/** The moddle extensions every viewer and modeler of the page reads BPMN with (Zeebe, Camunda 8). */
export const MODDLE_EXTENSIONS = { zeebe };

/** A drawn element's position and size (shapes have them; connections have waypoints instead). */
interface Bounds {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  waypoints?: { x: number; y: number }[];
}

interface NestedParts {
  eventDefinitions?: { id?: string }[];
  loopCharacteristics?: { id?: string };
}

/**
 * The id of the shape or connection that shows a model element: the element itself, or the event or task
 * that owns a nested part (a timer definition, multi-instance characteristics); null for the process (the
 * root) and for what the diagram does not draw (messages, errors).
 */
export function drawnElementId(registry: ElementRegistry, canvas: Canvas, id: string): string | null {
  const root = canvas.getRootElement();
  if (id === root.id) return null;
  if (registry.get(id)) return id;
  const owner = registry.find((el) => {
    const bo = el.businessObject as NestedParts | undefined;
    if (!bo) return false;
    return (
      (bo.eventDefinitions ?? []).some((d) => d.id === id) || (bo.loopCharacteristics?.id ?? null) === id
    );
  });
  return owner && owner.id !== root.id ? owner.id : null;
}

/** Centres the view on an element at 100 % zoom (or the current zoom when it is larger). */
export function centerOn(canvas: Canvas, elementId: string, registry: ElementRegistry): boolean {
  const el = registry.get(elementId) as Bounds | undefined;
  if (!el) return false;
  let cx: number;
  let cy: number;
  if (el.waypoints?.length) {
    const mid = el.waypoints[Math.floor(el.waypoints.length / 2)];
    [cx, cy] = [mid.x, mid.y];
  } else {
    cx = (el.x ?? 0) + (el.width ?? 0) / 2;
    cy = (el.y ?? 0) + (el.height ?? 0) / 2;
  }
  const scale = Math.max(canvas.zoom(), 1);
  const { outer } = canvas.viewbox();
  const width = outer.width / scale;
  const height = outer.height / scale;
  canvas.viewbox({ x: cx - width / 2, y: cy - height / 2, width, height });
  return true;
}

/**
 * Puts markers on the canvas: removes the previous ones that are gone, adds the new ones that are missing
 * (an element redrawn by undo has lost its classes). Returns what is now applied.
 */
export function applyMarkers(
  canvas: Canvas,
  registry: ElementRegistry,
  previous: readonly Marker[],
  next: readonly Marker[],
): Marker[] {
  for (const m of markerUpdates(previous, next).remove) {
    if (registry.get(m.elementId)) canvas.removeMarker(m.elementId, m.className);
  }
  const applied: Marker[] = [];
  for (const m of next) {
    if (!registry.get(m.elementId)) continue;
    if (!canvas.hasMarker(m.elementId, m.className)) canvas.addMarker(m.elementId, m.className);
    applied.push(m);
  }
  return applied;
}

/**
 * The text of an import warning. bpmn-js types them as strings, but hands over objects with a `message`
 * (and the element and property it could not read).
 */
export function warningText(w: unknown): string {
  if (typeof w === 'string') return w;
  const message = (w as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(w);
}

/** Below this scale a diagram's labels cannot be read: a large diagram opens at READABLE_SCALE instead of fitted. */
const MIN_FIT_SCALE = 0.6;
/** The scale a diagram too large to fit opens at. */
const READABLE_SCALE = 0.75;

/**
 * The first view of a diagram: all of it when it fits at a readable scale; else its start (left edge,
 * vertically centred) at a readable scale. `leftInset` keeps room for the modeler's palette (px).
 */
export function initialView(canvas: Canvas, leftInset = 0): void {
  canvas.zoom('fit-viewport');
  const { inner, outer } = canvas.viewbox();
  if (!inner.width || !outer.width) return;
  const margin = 24;
  const fit = Math.min(
    (outer.width - leftInset - 2 * margin) / inner.width,
    (outer.height - 2 * margin) / inner.height,
  );
  const scale = fit >= MIN_FIT_SCALE ? Math.min(fit, 1) : READABLE_SCALE;
  const width = outer.width / scale;
  const height = outer.height / scale;
  const x = inner.x - (leftInset + margin) / scale;
  const y =
    inner.height * scale + 2 * margin <= outer.height
      ? inner.y + inner.height / 2 - height / 2
      : inner.y - margin / scale;
  canvas.viewbox({ x, y, width, height });
}
