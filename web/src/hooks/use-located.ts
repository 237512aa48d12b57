import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { GridLocation } from '../api/types.ts';

/** Where a point lies, asked of the API whenever the point changes. */
export function useLocated(
  lng: number | null | undefined,
  lat: number | null | undefined,
): GridLocation | null {
  const [loc, setLoc] = useState<GridLocation | null>(null);
  useEffect(() => {
    if (lng == null || lat == null) {
      setLoc(null);
      return;
    }
    let live = true;
    const timer = window.setTimeout(() => {
      api<GridLocation>(`/api/grids/locate?lng=${lng}&lat=${lat}`)
        .then((l) => live && setLoc(l))
        .catch(() => live && setLoc(null));
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [lng, lat]);
  return loc;
}
