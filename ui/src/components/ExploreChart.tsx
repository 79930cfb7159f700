import { useEffect, useRef } from 'preact/hooks';
import { Chart } from './charts.js';

export interface ExploreSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly dashed?: boolean;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d'];

interface Props {
  readonly title: string;
  readonly unit: string;
  readonly kind: 'line' | 'bar';
  readonly labels: readonly string[];
  readonly series: readonly ExploreSeries[];
  readonly testId: string;
  /** Shaded value bands on the y axis (ANSI ranges), drawn behind the data. */
  readonly bands?: readonly { readonly low: number; readonly high: number; readonly color: string }[];
  readonly note?: string;
}

/**
 * One Explore chart (Chart.js) over category labels: lines (profiles, a week, a timeline) or bars (histograms, counts).
 * `data-points` is the number of drawn values, for tests and for a reader who wonders whether a chart is empty.
 */
export function ExploreChart({ title, unit, kind, labels, series, testId, bands = [], note }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const chart = new Chart(canvas.current!, {
      type: kind,
      data: {
        labels: [...labels],
        datasets: series.map((s, i) => ({
          label: s.label,
          data: [...s.values],
          borderColor: COLORS[i % COLORS.length],
          backgroundColor: kind === 'bar' ? COLORS[i % COLORS.length] : `${COLORS[i % COLORS.length]}22`,
          borderDash: s.dashed ? [5, 4] : [],
          borderWidth: kind === 'bar' ? 0 : 1.8,
          pointRadius: 0,
          spanGaps: true,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: { x: { ticks: { maxTicksLimit: 10, autoSkip: true, maxRotation: 0 } }, y: { title: { display: true, text: unit } } },
        plugins: { legend: { display: series.length > 1, position: 'bottom', labels: { boxWidth: 12 } } },
      },
      plugins: bands.length === 0 ? [] : [bandPlugin(bands)],
    });
    return () => chart.destroy();
  }, [kind, labels, series, unit, bands]);
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  return (
    <figure class="chart explore-chart" data-testid={testId} data-points={points}>
      <figcaption>{title}</figcaption>
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
      {note && <p class="chart-note">{note}</p>}
    </figure>
  );
}

/** Shades y bands before the datasets are drawn. */
function bandPlugin(bands: NonNullable<Props['bands']>) {
  return {
    id: 'bands',
    beforeDatasetsDraw(chart: Chart) {
      const { ctx, chartArea, scales } = chart;
      const y = scales.y;
      if (!y) return;
      ctx.save();
      for (const b of bands) {
        const top = y.getPixelForValue(b.high);
        const bottom = y.getPixelForValue(b.low);
        ctx.fillStyle = b.color;
        ctx.fillRect(chartArea.left, Math.max(chartArea.top, top), chartArea.right - chartArea.left, Math.min(chartArea.bottom, bottom) - Math.max(chartArea.top, top));
      }
      ctx.restore();
    },
  };
}
