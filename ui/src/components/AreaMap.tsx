import { geoMercator, geoPath } from 'd3-geo';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Topology, GeometryCollection } from 'topojson-specification';
import { mesh } from 'topojson-client';

export interface MapPoint {
  readonly longitude: number;
  readonly latitude: number;
  readonly color: string;
  /** Shown on hover; empty for none (a fleet of 10,000 meters draws faster without). */
  readonly title: string;
}

const W = 640;
const H = 400;
/** Degrees the map spans at least (about 45 km north to south). */
const MIN_SPAN = 0.4;

/**
 * Meters on real geography: county and state lines of the US Census Bureau's TopoJSON (the us-atlas package, bundled
 * with the UI and loaded on first use, nothing fetched from outside), in a Mercator projection fitted to the meters
 * (conformal, so a service area of tens of kilometres keeps its shape), clipped to the frame.
 */
export function AreaMap({ points, label, testId }: { points: readonly MapPoint[]; label: string; testId: string }) {
  const [atlas, setAtlas] = useState<Topology | null>(null);
  useEffect(() => {
    void import('us-atlas/counties-10m.json').then((m) => setAtlas(m.default));
  }, []);
  const projection = useMemo(() => {
    // A service area often lies inside one county: the frame spans at least MIN_SPAN degrees around the meters so the
    // neighbouring counties' lines show where they are.
    const lons = points.map((p) => p.longitude);
    const lats = points.map((p) => p.latitude);
    const [lon, lat] = [(Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2];
    const half = Math.max(MIN_SPAN, Math.max(...lons) - Math.min(...lons), Math.max(...lats) - Math.min(...lats)) / 2;
    const coordinates = points.length === 0 ? [[-98, 39]] : [...points.map((p) => [p.longitude, p.latitude]), [lon - half, lat - half], [lon + half, lat + half]];
    return geoMercator()
      .fitExtent([[16, 16], [W - 16, H - 16]], { type: 'MultiPoint', coordinates })
      .clipExtent([[0, 0], [W, H]]);
  }, [points]);
  const lines = useMemo(() => {
    if (!atlas) return null;
    const path = geoPath(projection);
    const counties = atlas.objects.counties as GeometryCollection;
    const states = atlas.objects.states as GeometryCollection;
    return { counties: path(mesh(atlas, counties, (a, b) => a !== b)) ?? '', states: path(mesh(atlas, states)) ?? '' };
  }, [atlas, projection]);
  return (
    <svg class="area-map" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid={testId} data-points={points.length} data-geography={lines ? 'us-atlas' : 'loading'}>
      <rect width={W} height={H} fill="#f8fafc" />
      {lines && <path d={lines.counties} fill="none" stroke="#cbd5e1" stroke-width="0.8" />}
      {lines && <path d={lines.states} fill="none" stroke="#64748b" stroke-width="1.4" />}
      {points.map((p, i) => {
        const xy = projection([p.longitude, p.latitude]);
        return xy ? (
          <circle key={i} cx={xy[0].toFixed(1)} cy={xy[1].toFixed(1)} r={points.length > 2_000 ? '1.4' : '2.6'} fill={p.color}>
            {p.title && <title>{p.title}</title>}
          </circle>
        ) : null;
      })}
    </svg>
  );
}
