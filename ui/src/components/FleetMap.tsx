import { useMemo } from 'preact/hooks';
import type { FleetMap as FleetMapData } from '../api.js';
import { int } from '../format.js';
import { AreaMap, type MapPoint } from './AreaMap.js';

const SEGMENT_COLORS = ['#2563eb', '#d97706', '#7c3aed'];
const OUTAGE_COLOR = '#dc2626';
const NO_OUTAGE_COLOR = '#9ca3af';

interface Props {
  readonly map: FleetMapData | null;
  readonly colorBy: 'segment' | 'outage';
}

/**
 * The fleet's meters on their coordinates over county and state lines (AreaMap: bundled us-atlas geography, nothing
 * fetched from outside), coloured by segment or by whether the meter sees an outage in the scenario.
 */
export function FleetMap({ map, colorBy }: Props) {
  const { points, legend } = useMemo(() => {
    if (!map) return { points: [] as MapPoint[], legend: [] as { label: string; color: string; count: number }[] };
    const groups =
      colorBy === 'segment'
        ? map.segments.map((label, i) => ({ label, color: SEGMENT_COLORS[i % SEGMENT_COLORS.length]!, test: (k: number) => map.segment[k] === i }))
        : [
            { label: 'no outage', color: NO_OUTAGE_COLOR, test: (k: number) => map.outage[k] === 0 },
            { label: 'outage in the scenario', color: OUTAGE_COLOR, test: (k: number) => map.outage[k] === 1 },
          ];
    const pts: MapPoint[] = [];
    const counts = groups.map(() => 0);
    for (let k = 0; k < map.shown; k++) {
      const g = groups.findIndex((x) => x.test(k));
      if (g < 0) continue;
      counts[g]!++;
      pts.push({ longitude: map.longitude[k]!, latitude: map.latitude[k]!, color: groups[g]!.color, title: '' });
    }
    return { points: pts, legend: groups.map((g, i) => ({ label: g.label, color: g.color, count: counts[i]! })) };
  }, [map, colorBy]);

  return (
    <figure class="map" data-testid="fleet-map" data-points={map?.shown ?? 0}>
      {map ? <AreaMap points={points} label="Map of the fleet's meters with county and state lines" testId="fleet-area-map" /> : <div class="map-box" />}
      <p class="map-legend">
        {legend.map((g) => (
          <span key={g.label}>
            <i style={{ background: g.color }} />
            {`${g.label} (${int(g.count)})`}
          </span>
        ))}
      </p>
      <figcaption>{map ? (map.shown < map.meters ? `${int(map.shown)} of ${int(map.meters)} meters shown (an even sample)` : `${int(map.meters)} meters`) : 'Loading the fleet…'}</figcaption>
    </figure>
  );
}
