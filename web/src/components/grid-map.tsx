import { useEffect, useMemo, useRef, useState } from 'react';
import type { GridFeature } from '../api/types.ts';
import { loadGrids } from '../hooks/use-reference.ts';

/** A WGS84 point. */
export interface LngLat {
  lng: number;
  lat: number;
}

// Town colours: neighbouring towns differ, and the colours stay pale so the pin stands out.
const PALETTE = [
  '#dbe8f7',
  '#e3f1de',
  '#f7ecd9',
  '#efe0f2',
  '#dff1f0',
  '#f6e0e0',
  '#e9e9f7',
  '#f2f0d8',
  '#e0ecf0',
  '#f0e4d8',
  '#e4f0e8',
];

const SCALE = 1000;

/**
 * The grids drawn as a map (without tiles, which need the internet): every grid outlined, coloured by town,
 * the point as a pin. Clicking picks a point when `onPick` is given; `focus` zooms to the pin's surroundings.
 */
export function GridMap({
  value,
  onPick,
  height = 320,
  focus = false,
}: {
  value?: LngLat | null;
  onPick?: (p: LngLat) => void;
  height?: number;
  focus?: boolean;
}) {
  const [grids, setGrids] = useState<GridFeature[] | null>(null);
  const [hover, setHover] = useState<string | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  useEffect(() => {
    let live = true;
    loadGrids()
      .then((g) => live && setGrids(g))
      .catch((err: unknown) => console.warn('grids failed to load', err));
    return () => {
      live = false;
    };
  }, []);

  const geo = useMemo(() => {
    if (!grids || grids.length === 0) return null;
    let [minLng, minLat, maxLng, maxLat] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const g of grids)
      for (const poly of g.geometry.coordinates)
        for (const [lng, lat] of poly[0]) {
          minLng = Math.min(minLng, lng);
          maxLng = Math.max(maxLng, lng);
          minLat = Math.min(minLat, lat);
          maxLat = Math.max(maxLat, lat);
        }
    const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
    const x = (lng: number): number => (lng - minLng) * k * SCALE;
    const y = (lat: number): number => (maxLat - lat) * SCALE;
    const towns = [...new Set(grids.map((g) => g.properties.townId ?? 0))].sort((a, b) => a - b);
    const paths = grids.map((g) => ({
      id: g.id,
      name: g.properties.name,
      fill: PALETTE[towns.indexOf(g.properties.townId ?? 0) % PALETTE.length],
      d: g.geometry.coordinates
        .map((poly) =>
          poly
            .map(
              (ring) =>
                `M${ring.map(([lng, lat]) => `${x(lng).toFixed(2)},${y(lat).toFixed(2)}`).join('L')}Z`,
            )
            .join(''),
        )
        .join(''),
    }));
    return { x, y, k, minLng, maxLat, width: x(maxLng), height: y(minLat), paths };
  }, [grids]);

  if (!geo) return <div style={{ height, background: '#f0f2f5', borderRadius: 4 }} />;

  const pin = value ? { cx: geo.x(value.lng), cy: geo.y(value.lat) } : null;
  const span = 40; // ≈ 0.04° around the pin when focused
  const viewBox =
    focus && pin
      ? `${pin.cx - span / 2} ${pin.cy - span / 2} ${span} ${span}`
      : `0 0 ${geo.width.toFixed(1)} ${geo.height.toFixed(1)}`;
  const unit = focus && pin ? span / 40 : geo.width / 300;

  const pick = (e: React.MouseEvent<SVGSVGElement>): void => {
    if (!onPick || !svg.current) return;
    const m = svg.current.getScreenCTM();
    if (!m) return;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    const lng = geo.minLng + p.x / SCALE / geo.k;
    const lat = geo.maxLat - p.y / SCALE;
    onPick({ lng: Math.round(lng * 1e6) / 1e6, lat: Math.round(lat * 1e6) / 1e6 });
  };

  return (
    <div style={{ position: 'relative' }}>
      <svg
        ref={svg}
        data-testid="grid-map"
        viewBox={viewBox}
        preserveAspectRatio="xMidYMid meet"
        style={{
          width: '100%',
          height,
          background: '#f6f8fb',
          borderRadius: 4,
          cursor: onPick ? 'crosshair' : 'default',
        }}
        onClick={pick}
        onMouseLeave={() => setHover(null)}
      >
        {geo.paths.map((p) => (
          <path
            key={p.id}
            d={p.d}
            fill={p.fill}
            stroke="#8fa3bf"
            strokeWidth={unit * 0.35}
            onMouseEnter={() => setHover(p.name)}
          />
        ))}
        {pin && (
          <g>
            <circle cx={pin.cx} cy={pin.cy} r={unit * 4} fill="rgba(245,34,45,0.18)" />
            <circle
              cx={pin.cx}
              cy={pin.cy}
              r={unit * 1.6}
              fill="#f5222d"
              stroke="#fff"
              strokeWidth={unit * 0.6}
            />
          </g>
        )}
      </svg>
      {hover && (
        <div
          style={{
            position: 'absolute',
            left: 8,
            bottom: 8,
            background: 'rgba(255,255,255,0.9)',
            padding: '0 6px',
            borderRadius: 3,
            fontSize: 12,
            pointerEvents: 'none',
          }}
        >
          {hover}
        </div>
      )}
    </div>
  );
}
