import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, reportHref, type ExploreData, type ExplorePanel, type ExploreQuery, type JobRecord } from '../api.js';
import type { ExplorePanelData } from '../../../src/validate/explore-queries.js';
import { ErrorNote } from '../components/bits.js';
import { AreaMap } from '../components/AreaMap.js';
import { ExploreChart, type ExploreSeries } from '../components/ExploreChart.js';
import { fixed, int } from '../format.js';
import { useLoad, type Loaded } from '../hooks.js';
import { navigate } from '../route.js';
import { duckdbOf } from './validate-targets.js';
import { REALISM_ROWS } from '../../../src/validate/realism-rows.js';

const HOURS = Array.from({ length: 24 }, (_, h) => `${h}h`);

/** One line per value of `group`, over the 24 hours, for one segment. */
function hourly(points: ExploreData['profiles']['dayType'], segment: string): ExploreSeries[] {
  const groups = [...new Set(points.filter((p) => p.segment === segment).map((p) => p.group))];
  return groups.map((g) => {
    const values: (number | null)[] = new Array<number | null>(24).fill(null);
    for (const p of points) if (p.segment === segment && p.group === g) values[p.hour] = p.kw;
    return { label: g, values };
  });
}

/** One panel of the output, loaded on its own (a newer query aborts it), so each section draws as soon as its data arrives. */
function usePanel<P extends ExplorePanel>(query: ExploreQuery, panel: P): Loaded<ExplorePanelData[P]> {
  const loaded = useLoad(`${JSON.stringify(query)} ${panel}`, (signal) => api.explorePanel(query, panel, signal));
  return { ...loaded, data: loaded.data ? (loaded.data.data as ExplorePanelData[P]) : null };
}

/**
 * Explore: the charts of a job's DuckDB output or of any DuckDB file in the server's data directory (a pipeline
 * database too), computed by the server from every reading. Each section asks for its own panel, so the first charts
 * show while the others are computed; the server keeps each answer until the file changes. The same charts download
 * as one HTML file (forge report).
 */
export function ExplorePage({ jobId }: { jobId: string | null }) {
  const [jobs, setJobs] = useState<JobRecord[]>([]);
  const [files, setFiles] = useState<{ path: string; bytes: number }[]>([]);
  const [path, setPath] = useState('');
  const [query, setQuery] = useState<ExploreQuery | null>(jobId ? { job: jobId } : null);
  useEffect(() => {
    void api.jobs().then((all) => setJobs(all.filter((j) => j.status !== 'running' && duckdbOf(j) !== null)), () => undefined);
    void api.exploreFiles().then(setFiles, () => undefined);
  }, []);
  useEffect(() => setQuery(jobId ? { job: jobId } : null), [jobId]);

  return (
    <section class="explore">
      <div class="panel">
        <h2>Explore an output</h2>
        <p class="hint">Every chart is computed by DuckDB on the server from every reading of the output, not a sample; each section appears as soon as its own data is ready.</p>
        <div class="explore-pick">
          <label>
            Job
            <select value={query?.job ?? ''} onChange={(e) => navigate('explore', e.currentTarget.value || null)} aria-label="Job">
              <option value="">— choose a job with a DuckDB output —</option>
              {jobs.map((j) => (
                <option key={j.jobId} value={j.jobId}>
                  {j.jobId} ({int(j.stats?.delivered ?? 0)} rows, {j.status})
                </option>
              ))}
            </select>
          </label>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (path.trim()) setQuery({ path: path.trim() });
            }}
          >
            <label>
              or a DuckDB output or pipeline database in the data directory
              <input value={path} list="explore-files" onInput={(e) => setPath(e.currentTarget.value)} placeholder="forge.duckdb or pipeline.duckdb" aria-label="DuckDB file" />
              <datalist id="explore-files" data-testid="explore-files">
                {files.map((f) => (
                  <option key={f.path} value={f.path}>{`${f.path} (${int(f.bytes / 1e6)} MB)`}</option>
                ))}
              </datalist>
            </label>
            <button type="submit" disabled={!path.trim()}>
              Explore file
            </button>
          </form>
        </div>
        {query && (
          <p class="explore-actions">
            <a href={reportHref(query)} target="_blank" rel="noopener" data-testid="report-link">
              Open the report (one HTML file)
            </a>
          </p>
        )}
      </div>
      {query && <ExploreSections key={JSON.stringify({ ...query, meter: undefined })} query={query} onMeter={(id) => setQuery({ ...query, meter: id })} />}
    </section>
  );
}

/** The overview first (counts, period, segments): the other sections start with it and load side by side. */
function ExploreSections({ query, onMeter }: { query: ExploreQuery; onMeter: (meterId: string) => void }) {
  const base = useMemo(() => ({ ...query, meter: undefined }), [query.job, query.path]);
  const overview = usePanel(base, 'overview');
  const o = overview.data;
  if (overview.error) return <ErrorNote error={overview.error} />;
  if (!o) return <p class="hint">Counting the readings…</p>;
  return (
    <div data-testid="explore-charts">
      <p class="explore-summary" data-testid="explore-summary">
        {int(o.rows)} readings of {int(o.meters)} meters ({o.segments.map((s) => `${s.segment.toLowerCase()} ${int(s.meters)}`).join(', ')}), {o.days} days from {o.firstDay} to {o.lastDay}
        {o.source === 'silver' ? ' (pipeline database: silver_ami)' : ''}.
      </p>
      {o.pipeline && <PipelineTables tables={o.pipeline.tables} />}
      <ProfileSection query={base} segments={o.segments} />
      <MeterWeekSection query={query} />
      <AnnualVoltageSection query={base} />
      <PvEvSection query={base} />
      <OutageSection query={base} />
      <EventSection query={base} onMeter={onMeter} />
      <RealismSection query={base} />
    </div>
  );
}

/** A section's place while its panel loads, or its error. */
function Pending({ loaded, what }: { loaded: Loaded<unknown>; what: string }) {
  return loaded.error ? <ErrorNote error={loaded.error} /> : <p class="hint">Computing {what}…</p>;
}

function PipelineTables({ tables }: { tables: readonly { table: string; rows: number }[] }) {
  return (
    <div class="table-wrap" data-testid="pipeline-tables">
      <p class="hint">A pipeline database: every chart reads silver_ami (typed, deduplicated readings); gold is aggregated from it.</p>
      <table class="records">
        <thead>
          <tr>
            <th>table</th>
            <th>rows</th>
          </tr>
        </thead>
        <tbody>
          {tables.map((t) => (
            <tr key={t.table}>
              <td>{t.table}</td>
              <td>{int(t.rows)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ProfileSection({ query, segments }: { query: ExploreQuery; segments: ExploreData['segments'] }) {
  const loaded = usePanel(query, 'profiles');
  const d = loaded.data;
  const charts = useMemo(
    () =>
      d && {
        dayType: Object.fromEntries(segments.map((s) => [s.segment, hourly(d.profiles.dayType, s.segment)])),
        season: Object.fromEntries(segments.map((s) => [s.segment, [...hourly(d.profiles.season, s.segment), ...hourly(d.profiles.month, s.segment).map((x) => ({ ...x, dashed: true }))]])),
      },
    [d, segments],
  );
  return (
    <>
      <h3>Load profiles</h3>
      {d && charts ? (
        <div class="explore-grid">
          {segments.map((s) => (
            <ExploreChart key={`d-${s.segment}`} kind="line" testId={`profile-daytype-${s.segment.toLowerCase()}`} title={`${s.segment.toLowerCase()}: weekday and weekend`} unit="kW a meter" labels={HOURS} series={charts.dayType[s.segment]!} />
          ))}
          {segments.map((s) => (
            <ExploreChart key={`s-${s.segment}`} kind="line" testId={`profile-season-${s.segment.toLowerCase()}`} title={`${s.segment.toLowerCase()}: by season and month`} unit="kW a meter" labels={HOURS} series={charts.season[s.segment]!} />
          ))}
        </div>
      ) : (
        <Pending loaded={loaded} what="the load profiles" />
      )}
      <h3>Total load, day by hour</h3>
      {d ? <Heatmap cells={d.heatmap} /> : <Pending loaded={loaded} what="the heat map" />}
    </>
  );
}

function MeterWeekSection({ query }: { query: ExploreQuery }) {
  const loaded = usePanel(query, 'meterWeek');
  const week = loaded.data;
  if (!loaded.data && !loaded.loading && !loaded.error) return null;
  return (
    <>
      <h3>A meter's week</h3>
      {week ? (
        <div class="explore-grid">
          <ExploreChart
            kind="line"
            testId="meter-week"
            title={`${week.meterId} next to the mean ${week.segment.toLowerCase()} meter`}
            unit="kW"
            labels={week.points.map((p) => p.ts.slice(5).replace('T', ' '))}
            series={[{ label: week.meterId, values: week.points.map((p) => p.kw) }, { label: `mean ${week.segment.toLowerCase()}`, values: week.points.map((p) => p.segmentKw), dashed: true }]}
          />
        </div>
      ) : (
        <Pending loaded={loaded} what="the meter's week" />
      )}
    </>
  );
}

function AnnualVoltageSection({ query }: { query: ExploreQuery }) {
  const annualLoaded = usePanel(query, 'annual');
  const voltage = usePanel(query, 'voltage');
  const annual = annualLoaded.data;
  const v = voltage.data;
  const bins = annual ? [...new Set(annual.bins.map((b) => b.low))].sort((a, b) => a - b) : [];
  return (
    <>
      <h3>Annual consumption and voltage</h3>
      <div class="explore-grid">
        {annual ? (
          <ExploreChart
            kind="bar"
            testId="annual"
            title="Meters by annual kWh (log bins)"
            unit="meters"
            labels={bins.map((b) => int(b))}
            series={[...new Set(annual.bins.map((b) => b.segment))].map((s) => ({ label: s.toLowerCase(), values: bins.map((b) => annual.bins.find((x) => x.segment === s && x.low === b)?.meters ?? null) }))}
            note={annual.nonPositive.length > 0 ? `Net producers, not on the log axis: ${annual.nonPositive.map((n) => `${n.segment.toLowerCase()} ${n.meters}`).join(', ')}` : undefined}
          />
        ) : (
          <Pending loaded={annualLoaded} what="annual consumption" />
        )}
        {v ? (
          <>
            <ExploreChart kind="bar" testId="voltage-histogram" title={`Voltage: Range A ${fixed(v.inRangeA * 100, 2)}%, Range B ${fixed(v.inRangeB * 100, 2)}%`} unit="readings" labels={v.histogram.map((h) => `${h.volts} V`)} series={[{ label: 'readings', values: v.histogram.map((h) => h.readings) }]} note={`ANSI C84.1 Range A ${v.rangeA.low}-${v.rangeA.high} V, Range B ${v.rangeB.low}-${v.rangeB.high} V; ${int(v.below)} readings below ${v.histogram[0]?.volts ?? 100} V shown apart.`} />
            <ExploreChart
              kind="line"
              testId="voltage-hour"
              title="Voltage by hour (mean, 5th and 95th percentiles; green: Range A, pale: Range B)"
              unit="V"
              labels={HOURS}
              series={[
                { label: 'mean', values: v.byHour.map((h) => h.mean) },
                { label: '5th percentile', values: v.byHour.map((h) => h.p05), dashed: true },
                { label: '95th percentile', values: v.byHour.map((h) => h.p95), dashed: true },
              ]}
              bands={[
                { low: v.rangeB.low, high: v.rangeB.high, color: 'rgba(22,163,74,0.06)' },
                { low: v.rangeA.low, high: v.rangeA.high, color: 'rgba(22,163,74,0.12)' },
              ]}
            />
          </>
        ) : (
          <Pending loaded={voltage} what="the voltage charts" />
        )}
      </div>
    </>
  );
}

function PvEvSection({ query }: { query: ExploreQuery }) {
  const loaded = usePanel(query, 'pvEv');
  const p = loaded.data;
  return (
    <>
      <h3>PV and EV homes</h3>
      {p ? (
        <div class="explore-grid">
          <ExploreChart
            kind="line"
            testId="pv-ev"
            title={`Residential demand by hour: ${int(p.pvMeters)} PV homes, ${int(p.evMeters)} EV homes`}
            unit="kW a meter"
            labels={HOURS}
            series={[
              { label: 'PV homes (net)', values: p.byHour.map((h) => h.pvKw) },
              { label: 'EV homes', values: p.byHour.map((h) => h.evKw) },
              { label: 'other homes', values: p.byHour.map((h) => h.otherKw), dashed: true },
            ]}
            note={p.pvMiddayExportShare === null ? 'No PV homes in this fleet.' : `PV homes export in ${fixed(p.pvMiddayExportShare * 100, 1)}% of their readings from 11:00 to 15:00${p.basis === 'exports' ? ' (PV homes: those that ever export)' : ''}.`}
          />
        </div>
      ) : (
        <Pending loaded={loaded} what="the PV and EV homes" />
      )}
    </>
  );
}

function OutageSection({ query }: { query: ExploreQuery }) {
  const loaded = usePanel(query, 'outages');
  const o = loaded.data;
  const r = o?.reliability ?? null;
  return (
    <>
      <h3>Outages</h3>
      {o ? (
        <>
          <p class="explore-summary" data-testid="reliability">
            {r
              ? `SAIFI ${fixed(r.all.saifi, 3)}, SAIDI ${fixed(r.all.saidiMinutes, 1)} min, CAIDI ${r.all.caidiMinutes === null || Number.isNaN(r.all.caidiMinutes) ? '—' : `${fixed(r.all.caidiMinutes, 1)} min`} over ${r.days} days (without major event days: SAIFI ${fixed(r.withoutMajorEvents.saifi, 3)}, SAIDI ${fixed(r.withoutMajorEvents.saidiMinutes, 1)} min).`
              : 'No outages in this output.'}
          </p>
          <div class="explore-grid">
            <ExploreChart kind="line" testId="outage-timeline" title="Customers out (UTC)" unit="meters" labels={o.timeline.map((t) => t.ts.slice(5, 16).replace('T', ' '))} series={[{ label: 'customers out', values: o.timeline.map((t) => t.customersOut) }]} />
            <OutageMap meters={o.meters} />
          </div>
        </>
      ) : (
        <Pending loaded={loaded} what="the outages" />
      )}
    </>
  );
}

function EventSection({ query, onMeter }: { query: ExploreQuery; onMeter: (meterId: string) => void }) {
  const loaded = usePanel(query, 'events');
  const e = loaded.data;
  const days = e ? [...new Set(e.byDay.map((d) => d.day))] : [];
  return (
    <>
      <h3>Labelled events</h3>
      {e ? (
        <>
          <div class="explore-grid">
            <ExploreChart kind="bar" testId="events-type" title="Labelled readings by event type" unit="readings" labels={e.byType.map((t) => t.type)} series={[{ label: 'readings', values: e.byType.map((t) => t.count) }]} />
            <ExploreChart kind="bar" testId="events-day" title="Labelled readings by day" unit="readings" labels={days.map((d) => d.slice(5))} series={e.byType.map((t) => ({ label: t.type, values: days.map((d) => e.byDay.find((x) => x.day === d && x.type === t.type)?.count ?? null) }))} />
          </div>
          <div class="table-wrap">
            <table class="records" data-testid="events-table">
              <thead>
                <tr>
                  <th>meter</th>
                  <th>time</th>
                  <th>event</th>
                  <th>quality</th>
                  <th>kWh</th>
                  <th>V</th>
                </tr>
              </thead>
              <tbody>
                {e.first.map((x) => (
                  <tr key={`${x.meterId}-${x.ts}-${x.type}`}>
                    <td>
                      <button type="button" class="link" onClick={() => onMeter(x.meterId)} title="Show this meter's week">
                        {x.meterId}
                      </button>
                    </td>
                    <td>{x.ts.replace('T', ' ')}</td>
                    <td>{x.type}</td>
                    <td>{x.quality}</td>
                    <td>{fixed(x.usageKwh, 3)}</td>
                    <td>{x.voltage === null ? '—' : fixed(x.voltage, 1)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : (
        <Pending loaded={loaded} what="the labelled events" />
      )}
    </>
  );
}

function RealismSection({ query }: { query: ExploreQuery }) {
  const loaded = usePanel(query, 'realism');
  const r = loaded.data;
  return (
    <>
      <h3>Realism: generated households next to measured ones</h3>
      {r ? (
        <div class="explore-grid">
          <ExploreChart
            kind="line"
            testId="realism"
            title="Residential daily profile shape (each divided by its mean)"
            unit="x mean"
            labels={HOURS}
            series={[...(r.generated ? [{ label: 'generated', values: r.generated.profile }] : []), ...(r.reference ? [{ label: 'reference (measured)', values: r.reference.profile, dashed: true }] : [])]}
            note={r.note ?? undefined}
          />
          <RealismTable realism={r} />
        </div>
      ) : (
        <Pending loaded={loaded} what="the realism comparison" />
      )}
    </>
  );
}

/** Day (rows) by hour (columns), darker blue to red for more energy: storms and holidays show as broken rows. */
function Heatmap({ cells }: { cells: ExploreData['heatmap'] }) {
  const days = [...new Set(cells.map((c) => c.day))];
  const row = new Map(days.map((d, i) => [d, i]));
  const max = Math.max(...cells.map((c) => c.kwh));
  const min = Math.min(...cells.map((c) => c.kwh));
  const h = Math.max(3, Math.min(14, 300 / Math.max(1, days.length)));
  return (
    <figure class="chart explore-heatmap" data-testid="heatmap" data-points={cells.length}>
      <figcaption>Fleet energy by local day and hour ({int(min)} to {int(max)} kWh an hour)</figcaption>
      <svg viewBox={`0 0 ${24 * 20 + 80} ${days.length * h + 20}`} role="img" aria-label="Heat map of total load by day and hour">
        {cells.map((c) => {
          const t = max === min ? 0.5 : (c.kwh - min) / (max - min);
          return (
            <rect key={`${c.day}-${c.hour}`} x={80 + c.hour * 20} y={row.get(c.day)! * h} width={20} height={h} fill={`hsl(${220 - 200 * t},80%,${92 - 52 * t}%)`}>
              <title>{`${c.day} ${c.hour}:00 ${int(c.kwh)} kWh`}</title>
            </rect>
          );
        })}
        {days.map((d, i) => (i % Math.max(1, Math.ceil(days.length / 12)) === 0 ? <text key={d} x={76} y={i * h + h} text-anchor="end" font-size="10">{d}</text> : null))}
        {[0, 6, 12, 18].map((hr) => (
          <text key={hr} x={80 + hr * 20 + 10} y={days.length * h + 14} text-anchor="middle" font-size="10">{`${hr}h`}</text>
        ))}
      </svg>
    </figure>
  );
}

/** Meters on the county map, grey when never out, yellow to red by minutes out. */
function OutageMap({ meters }: { meters: ExploreData['outages']['meters'] }) {
  const max = Math.max(1, ...meters.map((m) => m.minutesOut));
  const points = useMemo(
    () => meters.map((m) => ({ longitude: m.longitude, latitude: m.latitude, color: m.minutesOut === 0 ? '#9ca3af' : `hsl(${40 - 40 * (m.minutesOut / max)},90%,45%)`, title: `${m.meterId}: ${int(m.minutesOut)} min out` })),
    [meters, max],
  );
  const out = meters.filter((m) => m.minutesOut > 0).length;
  return (
    <figure class="chart explore-chart" data-testid="outage-map" data-points={meters.length}>
      <figcaption>Meters by minutes out</figcaption>
      <AreaMap points={points} label="Map of meters by minutes out, with county and state lines" testId="outage-area-map" />
      <p class="chart-note">{`${int(meters.length - out)} never out (grey); ${int(out)} out, yellow to red for up to ${int(max)} minutes. County and state lines: US Census Bureau (us-atlas).`}</p>
    </figure>
  );
}

function RealismTable({ realism }: { realism: ExploreData['realism'] }) {
  const g = realism.generated?.stats;
  const r = realism.reference?.stats;
  return (
    <div class="table-wrap" data-testid="realism-table">
      <table class="records">
        <thead>
          <tr>
            <th>statistic</th>
            <th>generated</th>
            <th>reference</th>
          </tr>
        </thead>
        <tbody>
          {REALISM_ROWS.map(([label, key, digits]) => (
            <tr key={key}>
              <td>{label}</td>
              <td>{g ? fixed(g[key], digits) : '—'}</td>
              <td>{r ? fixed(r[key], digits) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!realism.reference && <p class="chart-note">No reference households on this server: {realism.note}</p>}
    </div>
  );
}
