import type { ExploreData } from './explore-queries.js';
import { REALISM_ROWS } from './realism-rows.js';

/**
 * `forge report`: the Explore charts as one HTML file that needs nothing else: every chart an inline SVG drawn here,
 * on the server, from the same ExploreData the Explore page draws, with no script and no network. A shared file opens
 * anywhere, offline, and shows the same numbers.
 */

const W = 640;
const H = 260;
const PAD = { left: 56, right: 12, top: 14, bottom: 34 };
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d'];

const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-');

interface Series {
  readonly name: string;
  readonly values: readonly (number | null)[];
  readonly dashed?: boolean;
}

/** A nice round step for an axis of `span` with about five ticks. */
function step(span: number): number {
  const raw = span / 5 || 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

function yAxis(min: number, max: number, y: (v: number) => number): string {
  const s = step(max - min);
  let out = '';
  for (let v = Math.ceil(min / s) * s; v <= max + 1e-9; v += s) {
    out += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${PAD.left - 4}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
  }
  return out;
}

function legend(names: readonly string[]): string {
  return `<div class="legend">${names.map((n, i) => `<span><i style="background:${COLOURS[i % COLOURS.length]}"></i>${esc(n)}</span>`).join('')}</div>`;
}

/** Lines over shared x labels; `bands` shade value ranges (the ANSI ranges). */
export function lineChart(title: string, labels: readonly string[], series: readonly Series[], unit: string, bands: readonly { low: number; high: number; label: string }[] = []): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (all.length === 0) return emptyChart(title, 'no data');
  let min = Math.min(...all, ...bands.map((b) => b.low));
  let max = Math.max(...all, ...bands.map((b) => b.high));
  if (min > 0 && bands.length === 0) min = 0;
  if (max === min) max = min + 1;
  const x = (i: number): number => PAD.left + (labels.length <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (labels.length - 1));
  const y = (v: number): number => Number((H - PAD.bottom - ((v - min) * (H - PAD.top - PAD.bottom)) / (max - min)).toFixed(1));
  const every = Math.max(1, Math.ceil(labels.length / 8));
  const ticks = labels.map((l, i) => (i % every === 0 ? `<text x="${x(i)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${esc(l)}</text>` : '')).join('');
  const shaded = bands.map((b) => `<rect x="${PAD.left}" width="${W - PAD.left - PAD.right}" y="${y(b.high)}" height="${y(b.low) - y(b.high)}" fill="#16a34a" opacity="0.08"><title>${esc(b.label)}</title></rect>`).join('');
  const lines = series.map((s, k) => {
    const d = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? '' : `${x(i).toFixed(1)},${y(v)}`)).filter(Boolean).join(' ');
    return `<polyline class="series" data-points="${s.values.length}" points="${d}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
  });
  return figure(title, `${shaded}${yAxis(min, max, y)}${ticks}${lines.join('')}<text x="8" y="${PAD.top}" class="unit">${esc(unit)}</text>`, legend(series.map((s) => s.name)));
}

/** Bars for labelled values, one colour per series (grouped side by side). */
export function barChart(title: string, labels: readonly string[], series: readonly Series[], unit: string, marks: readonly { at: number; label: string }[] = []): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  if (all.length === 0) return emptyChart(title, 'no data');
  const max = Math.max(...all, 1);
  const slot = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const bw = Math.max(1, (slot * 0.85) / series.length);
  const y = (v: number): number => Number((H - PAD.bottom - (v * (H - PAD.top - PAD.bottom)) / max).toFixed(1));
  const every = Math.max(1, Math.ceil(labels.length / 10));
  let bars = '';
  series.forEach((s, k) =>
    s.values.forEach((v, i) => {
      if (v === null || v <= 0) return;
      bars += `<rect class="bar" x="${(PAD.left + i * slot + k * bw).toFixed(1)}" y="${y(v)}" width="${bw.toFixed(1)}" height="${(H - PAD.bottom - y(v)).toFixed(1)}" fill="${COLOURS[k % COLOURS.length]}"><title>${esc(labels[i] ?? '')}: ${fmt(v)}</title></rect>`;
    }),
  );
  const ticks = labels.map((l, i) => (i % every === 0 ? `<text x="${(PAD.left + (i + 0.5) * slot).toFixed(1)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${esc(l)}</text>` : '')).join('');
  const lines = marks.map((m) => `<line x1="${(PAD.left + m.at * slot).toFixed(1)}" x2="${(PAD.left + m.at * slot).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#111827" stroke-dasharray="3 3"/><text x="${(PAD.left + m.at * slot + 2).toFixed(1)}" y="${PAD.top + 10}">${esc(m.label)}</text>`).join('');
  return figure(title, `${yAxis(0, max, y)}${bars}${ticks}${lines}<text x="8" y="${PAD.top}" class="unit">${esc(unit)}</text>`, series.length > 1 ? legend(series.map((s) => s.name)) : '');
}

/** Day (rows) by hour (columns) of total energy, darker for more. */
export function heatmapChart(title: string, cells: ExploreData['heatmap']): string {
  if (cells.length === 0) return emptyChart(title, 'no data');
  const days = [...new Set(cells.map((c) => c.day))];
  const row = new Map(days.map((d, i) => [d, i]));
  const max = Math.max(...cells.map((c) => c.kwh));
  const min = Math.min(...cells.map((c) => c.kwh));
  const cw = (W - PAD.left - PAD.right) / 24;
  const ch = Math.max(2, Math.min(12, 600 / days.length));
  const height = PAD.top + days.length * ch + PAD.bottom;
  const rects = cells.map((c) => {
    const t = max === min ? 0.5 : (c.kwh - min) / (max - min);
    return `<rect class="cell" x="${(PAD.left + c.hour * cw).toFixed(1)}" y="${(PAD.top + row.get(c.day)! * ch).toFixed(1)}" width="${cw.toFixed(1)}" height="${ch.toFixed(1)}" fill="hsl(${(220 - 200 * t).toFixed(0)},80%,${(92 - 52 * t).toFixed(0)}%)"><title>${c.day} ${c.hour}:00 ${fmt(c.kwh, 0)} kWh</title></rect>`;
  });
  const every = Math.max(1, Math.ceil(days.length / 12));
  const labels = days.map((d, i) => (i % every === 0 ? `<text x="${PAD.left - 4}" y="${(PAD.top + i * ch + ch).toFixed(1)}" text-anchor="end">${d}</text>` : '')).join('');
  const hours = [0, 6, 12, 18, 23].map((h) => `<text x="${(PAD.left + (h + 0.5) * cw).toFixed(1)}" y="${height - PAD.bottom + 14}" text-anchor="middle">${h}h</text>`).join('');
  return figure(title, rects.join('') + labels + hours, `<p class="note">${fmt(min, 0)} to ${fmt(max, 0)} kWh an hour</p>`, height);
}

/** Meters at their longitude and latitude, coloured by minutes out (grey: none). */
export function meterMap(title: string, meters: ExploreData['outages']['meters']): string {
  if (meters.length === 0) return emptyChart(title, 'no meters');
  const lats = meters.map((m) => m.latitude);
  const lons = meters.map((m) => m.longitude);
  const [la0, la1, lo0, lo1] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  // Equirectangular scaled by cos(latitude): right for a service area's few tens of kilometres.
  const k = Math.cos(((la0 + la1) / 2) * (Math.PI / 180));
  const spanX = Math.max(1e-6, (lo1 - lo0) * k);
  const spanY = Math.max(1e-6, la1 - la0);
  const scale = Math.min((W - 20) / spanX, (H - 20) / spanY);
  const maxOut = Math.max(...meters.map((m) => m.minutesOut), 1);
  const dots = meters.map((m) => {
    const fill = m.minutesOut === 0 ? '#9ca3af' : `hsl(${(40 - 40 * (m.minutesOut / maxOut)).toFixed(0)},90%,45%)`;
    return `<circle class="meter" cx="${(10 + (m.longitude - lo0) * k * scale).toFixed(1)}" cy="${(H - 10 - (m.latitude - la0) * scale).toFixed(1)}" r="2.5" fill="${fill}"><title>${esc(m.meterId)}: ${fmt(m.minutesOut, 0)} min out</title></circle>`;
  });
  return figure(title, dots.join(''), `<p class="note">grey: never out; yellow to red: up to ${fmt(maxOut, 0)} minutes out</p>`);
}

function figure(title: string, body: string, after = '', height = H): string {
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${height}" role="img" aria-label="${esc(title)}">${body}</svg>${after}</figure>`;
}

function emptyChart(title: string, why: string): string {
  return `<figure class="chart empty"><figcaption>${esc(title)}</figcaption><p class="note">${esc(why)}</p></figure>`;
}

const HOURS = Array.from({ length: 24 }, (_, h) => `${h}h`);

/** Profiles of each segment for each group value (weekday/weekend, season, month), as line series. */
function profileSeries(points: readonly { segment: string; group: string; hour: number; kw: number }[]): Series[] {
  const keys = [...new Set(points.map((p) => `${p.segment} ${p.group}`))];
  return keys.map((key) => {
    const values: (number | null)[] = new Array<number | null>(24).fill(null);
    for (const p of points) if (`${p.segment} ${p.group}` === key) values[p.hour] = p.kw;
    return { name: key.toLowerCase(), values };
  });
}

/** The same segment's profiles, one chart per segment (their levels differ a hundredfold). */
function profilesBySegment(title: string, points: ExploreData['profiles']['dayType']): string {
  return [...new Set(points.map((p) => p.segment))].map((s) => lineChart(`${title}: ${s.toLowerCase()}`, HOURS, profileSeries(points.filter((p) => p.segment === s)), 'kW a meter')).join('');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function reliabilityText(data: ExploreData): string {
  const r = data.outages.reliability;
  if (r === null) return `<p class="note">No outages in this output: SAIFI and SAIDI are 0.</p>`;
  return table(
    ['', 'SAIFI', 'SAIDI (min)', 'CAIDI (min)', 'interruptions'],
    [
      ['all days', fmt(r.all.saifi, 3), fmt(r.all.saidiMinutes, 1), fmt(r.all.caidiMinutes, 1), fmt(r.all.interruptions, 0)],
      ['without major event days', fmt(r.withoutMajorEvents.saifi, 3), fmt(r.withoutMajorEvents.saidiMinutes, 1), fmt(r.withoutMajorEvents.caidiMinutes, 1), fmt(r.withoutMajorEvents.interruptions, 0)],
    ],
  );
}

function realismSection(data: ExploreData): string {
  const { generated, reference, note } = data.realism;
  const series: Series[] = [];
  if (generated) series.push({ name: 'generated households', values: generated.profile });
  if (reference) series.push({ name: 'reference households (measured)', values: reference.profile, dashed: true });
  const stat = (s: NonNullable<typeof generated>['stats'] | undefined, key: keyof NonNullable<typeof generated>['stats'], digits = 2): string => (s === undefined ? '-' : fmt(s[key], digits));
  return (
    lineChart('Daily profile shape (each divided by its mean)', HOURS, series, 'x mean') +
    table(['statistic', 'generated', 'reference'], REALISM_ROWS.map(([label, key, d]) => [label, stat(generated?.stats, key, d), stat(reference?.stats, key, d)])) +
    (note ? `<p class="note">${esc(note)}</p>` : '')
  );
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:0 auto;padding:16px;max-width:1400px;color:#111827}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e5e7eb}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));gap:16px}
.chart{margin:0;min-width:0}.chart svg{width:100%;height:auto;font-size:11px;fill:#374151}.chart figcaption{font-weight:600;margin-bottom:4px}
.legend span{margin-right:12px;font-size:12px;white-space:nowrap}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.note{color:#6b7280;font-size:12px}table{border-collapse:collapse;font-size:13px;max-width:100%;display:block;overflow-x:auto}td,th{padding:3px 8px;border-bottom:1px solid #e5e7eb;text-align:left}`;

/** The whole report: a self-contained HTML document. */
export function exploreReportHtml(data: ExploreData, generatedAt: Date = new Date()): string {
  const segmentNames = [...new Set(data.annual.bins.map((b) => b.segment))];
  const binLows = [...new Set(data.annual.bins.map((b) => Math.round(Math.log10(b.low) * 4)))].sort((a, b) => a - b);
  const annualSeries = segmentNames.map((s) => ({
    name: s.toLowerCase(),
    values: binLows.map((b) => data.annual.bins.find((x) => x.segment === s && Math.round(Math.log10(x.low) * 4) === b)?.meters ?? null),
  }));
  const v = data.voltage;
  const vLabels = v.histogram.map((h) => String(h.volts));
  const at = (volts: number): number => Math.max(0, v.histogram.findIndex((h) => h.volts >= volts));
  const week = data.meterWeek;
  const outLabels = data.outages.timeline.map((t) => t.ts.slice(5, 16).replace('T', ' '));
  const types = data.events.byType.map((t) => t.type);
  const eventDays = [...new Set(data.events.byDay.map((d) => d.day))];
  const sections = [
    ...(data.pipeline
      ? [`<h2>Pipeline tables</h2><p class="note">Every chart reads silver_ami (typed, deduplicated readings); gold is aggregated from it.</p>${table(['table', 'rows'], data.pipeline.tables.map((t) => [t.table, fmt(t.rows, 0)]))}`]
      : []),
    `<h2>Load profiles</h2><div class="grid">${profilesBySegment('Weekday and weekend', data.profiles.dayType)}${profilesBySegment('By season', data.profiles.season)}${profilesBySegment('By month', data.profiles.month)}</div>`,
    `<h2>A meter's week</h2><div class="grid">${week ? lineChart(`${week.meterId} next to the mean ${week.segment.toLowerCase()} meter`, week.points.map((p) => p.ts.slice(5).replace('T', ' ')), [{ name: week.meterId, values: week.points.map((p) => p.kw) }, { name: `mean ${week.segment.toLowerCase()}`, values: week.points.map((p) => p.segmentKw), dashed: true }], 'kW') : emptyChart('A meter\'s week', 'no meters')}</div>`,
    `<h2>Total load, day by hour</h2><div class="grid">${heatmapChart('Fleet energy by local day and hour', data.heatmap)}</div>`,
    `<h2>Annual consumption</h2><div class="grid">${barChart('Meters by annual kWh (log bins)', binLows.map((b) => fmt(10 ** (b / 4), 0)), annualSeries, 'meters')}</div>${data.annual.nonPositive.length > 0 ? `<p class="note">Net producers (not on the log axis): ${data.annual.nonPositive.map((n) => `${n.segment.toLowerCase()} ${n.meters}`).join(', ')}</p>` : ''}`,
    `<h2>Voltage</h2><div class="grid">${barChart(`Voltage of readings with supply (Range A ${fmt(v.inRangeA * 100, 2)}%, Range B ${fmt(v.inRangeB * 100, 2)}%)`, vLabels, [{ name: 'readings', values: v.histogram.map((h) => h.readings) }], 'readings', [
      { at: at(v.rangeB.low), label: 'B' },
      { at: at(v.rangeA.low), label: 'A' },
      { at: at(v.rangeA.high + 1), label: 'A' },
      { at: at(v.rangeB.high + 1), label: 'B' },
    ])}${lineChart('Voltage by hour (mean, 5th and 95th percentiles)', HOURS, [{ name: 'mean', values: v.byHour.map((h) => h.mean) }, { name: 'p05', values: v.byHour.map((h) => h.p05), dashed: true }, { name: 'p95', values: v.byHour.map((h) => h.p95), dashed: true }], 'V', [
      { low: v.rangeA.low, high: v.rangeA.high, label: 'ANSI C84.1 Range A' },
    ])}</div>`,
    `<h2>PV and EV homes</h2><div class="grid">${lineChart(`Residential demand by hour: ${data.pvEv.pvMeters} PV homes, ${data.pvEv.evMeters} EV homes`, HOURS, [{ name: 'PV homes (net)', values: data.pvEv.byHour.map((h) => h.pvKw) }, { name: 'EV homes', values: data.pvEv.byHour.map((h) => h.evKw) }, { name: 'other homes', values: data.pvEv.byHour.map((h) => h.otherKw), dashed: true }], 'kW a meter')}</div>${data.pvEv.pvMiddayExportShare !== null ? `<p class="note">PV homes export in ${fmt(data.pvEv.pvMiddayExportShare * 100, 1)}% of their readings from 11:00 to 15:00.</p>` : ''}`,
    `<h2>Outages</h2><div class="grid">${lineChart('Customers out (UTC)', outLabels, [{ name: 'customers out', values: data.outages.timeline.map((t) => t.customersOut) }], 'meters')}${meterMap('Meters by minutes out', data.outages.meters)}</div>${reliabilityText(data)}`,
    `<h2>Labelled events</h2><div class="grid">${barChart('Events by type', types, [{ name: 'readings', values: data.events.byType.map((t) => t.count) }], 'readings')}${barChart('Events by day', eventDays.map((d) => d.slice(5)), types.map((t) => ({ name: t, values: eventDays.map((d) => data.events.byDay.find((x) => x.day === d && x.type === t)?.count ?? null) })), 'readings')}</div>${table(['meter', 'time', 'event', 'quality', 'kWh', 'V'], data.events.first.map((e) => [e.meterId, e.ts.replace('T', ' '), e.type, e.quality, fmt(e.usageKwh, 3), e.voltage === null ? '-' : fmt(e.voltage, 1)]))}`,
    `<h2>Realism: generated households next to measured ones</h2><div class="grid">${realismSection(data)}</div>`,
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Flux Data Forge report: ${esc(data.path)}</title><style>${STYLE}</style></head><body>
<h1>Flux Data Forge report</h1><p>${esc(data.path)} (${data.source === 'star' ? 'DuckDB output' : 'pipeline silver_ami'}): ${fmt(data.rows, 0)} readings of ${fmt(data.meters, 0)} meters (${data.segments.map((s) => `${s.segment.toLowerCase()} ${s.meters}`).join(', ')}), ${data.days} days from ${data.firstDay} to ${data.lastDay}. Every chart is computed from every reading. Written ${generatedAt.toISOString()}.</p>
${sections.join('\n')}
</body></html>
`;
}
