import { useEffect, useRef } from 'preact/hooks';
import { Chart } from './charts.js';
import { spikeFreeMax } from './spike-free-max.js';

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

interface Props {
  readonly title: string;
  readonly unit: string;
  /** Seconds since the job started, one per point. */
  readonly x: readonly number[];
  readonly series: readonly Series[];
  readonly testId: string;
  /**
   * Keep the scale to the bulk of the curve: a single point far above the rest (a stream's final flush commits
   * seconds of readings at once) is drawn cut off at the top instead of flattening every other point.
   */
  readonly clipSpikes?: boolean;
}

/**
 * A live line chart (Chart.js) over seconds since the job started. The chart is made once and its data replaced on
 * each update without animation; `data-points` tells tests (and curious users) how many points it holds.
 */
export function LineChart({ title, unit, x, series, testId, clipSpikes = false }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line'> | null>(null);

  useEffect(() => {
    chart.current = new Chart(canvas.current!, {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.2 } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'seconds since start' }, ticks: { maxTicksLimit: 8 } },
          y: { beginAtZero: true, title: { display: true, text: unit } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
    return () => chart.current?.destroy();
  }, [unit]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = [...x];
    // A single point (a finished job's final figures) is drawn as a dot: a line needs two.
    const radius = x.length === 1 ? 3 : 0;
    c.data.datasets = series.map((s) => ({ label: s.label, data: x.map((t, i) => ({ x: t, y: s.values[i] ?? 0 })), borderColor: s.color, backgroundColor: `${s.color}22`, fill: series.length === 1, pointRadius: radius }));
    const top = clipSpikes ? spikeFreeMax(series.flatMap((s) => s.values)) : undefined;
    c.options.scales!.y!.max = top;
    c.update('none');
  }, [x, series, clipSpikes]);

  return (
    <figure class="chart" data-testid={testId} data-points={x.length}>
      <figcaption>{title}</figcaption>
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}
