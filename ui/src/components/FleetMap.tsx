import { useEffect, useRef } from 'preact/hooks';
import type { FleetMap as FleetMapData } from '../api.js';
import { int } from '../format.js';
import { Chart } from './charts.js';

const SEGMENT_COLORS = ['#2563eb', '#d97706', '#7c3aed'];
const OUTAGE_COLOR = '#dc2626';

interface Props {
  readonly map: FleetMapData | null;
  readonly colorBy: 'segment' | 'outage';
}

/**
 * The fleet's meters on their coordinates (a Chart.js scatter, longitude against latitude, no tiles: nothing is
 * fetched from outside), coloured by segment or by whether the meter sees an outage in the scenario.
 */
export function FleetMap({ map, colorBy }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'scatter'> | null>(null);

  useEffect(() => {
    chart.current = new Chart(canvas.current!, {
      type: 'scatter',
      data: { datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        elements: { point: { radius: 1.6, borderWidth: 0 } },
        scales: { x: { title: { display: true, text: 'longitude' } }, y: { title: { display: true, text: 'latitude' } } },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } }, tooltip: { enabled: false } },
      },
    });
    return () => chart.current?.destroy();
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c || !map) return;
    const groups = colorBy === 'segment' ? map.segments.map((label, i) => ({ label, color: SEGMENT_COLORS[i % SEGMENT_COLORS.length]!, test: (k: number) => map.segment[k] === i })) : [
      { label: 'no outage', color: '#9ca3af', test: (k: number) => map.outage[k] === 0 },
      { label: 'outage in the scenario', color: OUTAGE_COLOR, test: (k: number) => map.outage[k] === 1 },
    ];
    c.data.datasets = groups.map((g) => {
      const data: { x: number; y: number }[] = [];
      for (let k = 0; k < map.shown; k++) if (g.test(k)) data.push({ x: map.longitude[k]!, y: map.latitude[k]! });
      return { label: `${g.label} (${int(data.length)})`, data, backgroundColor: g.color, pointBackgroundColor: g.color };
    });
    c.update('none');
  }, [map, colorBy]);

  return (
    <figure class="map" data-testid="fleet-map" data-points={map?.shown ?? 0}>
      <div class="map-box">
        <canvas ref={canvas} role="img" aria-label="Map of the fleet's meters" />
      </div>
      <figcaption>{map ? (map.shown < map.meters ? `${int(map.shown)} of ${int(map.meters)} meters shown (an even sample)` : `${int(map.meters)} meters`) : 'Loading the fleet…'}</figcaption>
    </figure>
  );
}
