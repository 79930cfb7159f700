import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type ApiError, type FleetPreset, type Preset, type ServiceArea, type SinkDescription } from '../api.js';
import { ErrorNote, Stat } from '../components/bits.js';
import { FleetMap } from '../components/FleetMap.js';
import { RecordTable } from '../components/RecordTable.js';
import { compact, fixed, int } from '../format.js';
import { useDebounced, useLoad } from '../hooks.js';
import { navigate } from '../route.js';
import { MoreOptionsSection } from './MoreOptions.js';
import { NO_MORE_OPTIONS } from './more-options.js';
import { chosenSinks, DEFAULT_STREAM_DURATION, pathFor, requestOf, scenarioOf, toggleSink, usableIn, wallClockOf, withMode, type GenerateForm, type Mode } from './generate-request.js';

const SPEEDS = [
  { value: '1', label: 'Real time' },
  { value: '60', label: '60x (a minute a second)' },
  { value: '900', label: '900x (an interval a second)' },
  { value: '3600', label: '3600x (an hour a second)' },
  { value: 'max', label: 'As fast as the sinks go' },
];
const DURATIONS = [
  { value: '1h', label: '1 hour' },
  { value: '6h', label: '6 hours' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '', label: 'Until stopped' },
];
const EVENTS = [
  { value: 'demo', label: 'Demo: an outage and anomalies of each kind every week' },
  { value: 'natural', label: 'Natural rates (as a real fleet: often none in a week)' },
  { value: 'none', label: 'Quiet fleet: no outages or anomalies' },
] as const;
const PATTERNS = [
  { value: 'STAGGERED_REALISTIC', label: 'Staggered (realistic head end)' },
  { value: 'UNIFORM', label: 'Uniform (all at the interval end)' },
  { value: 'PARTIAL_REPORTING', label: 'Partial reporting (2% backfilled later)' },
  { value: 'DEGRADED_NETWORK', label: 'Degraded network (held, late, out of order, duplicated)' },
];
const CUSTOM: Preset = { name: 'custom', title: 'Custom', meters: 2_500, days: 30, intervalMinutes: 15, rows: 2_500 * 30 * 96, events: 'natural' };
const PREVIEW_COLUMNS = ['meter_id', 'reading_ts', 'usage_kwh', 'voltage', 'power_factor', 'temperature_c', 'data_quality', 'event_type', 'customer_segment', 'transformer_id'];

const initial: GenerateForm = {
  template: 'quick',
  mode: 'batch',
  sinks: ['duckdb'],
  meters: 100,
  days: 7,
  area: '',
  segment: '',
  interval: 15,
  emissionPattern: 'STAGGERED_REALISTIC',
  seed: 42,
  // The Quick Demo's own: its first run shows an outage and every kind of anomaly.
  events: 'demo',
  speed: '3600',
  duration: DEFAULT_STREAM_DURATION,
  paths: {},
  // The stage sink needs a location: a directory in the data directory unless changed.
  settings: { stage: 'stage' },
  more: NO_MORE_OPTIONS,
};

/**
 * The guided flow: a template, batch or streaming, the data flow, the fleet, the emission settings, then the live
 * fleet metrics, a map of the meters, a preview table and a sample record, and Start. Every figure on the right is
 * computed by the server for the exact scenario the form describes.
 */
export function GeneratePage() {
  const [form, setForm] = useState<GenerateForm>(initial);
  const [presets, setPresets] = useState<Preset[]>([]);
  const [areas, setAreas] = useState<ServiceArea[]>([]);
  const [fleets, setFleets] = useState<FleetPreset[]>([]);
  const [catalog, setCatalog] = useState<SinkDescription[]>([]);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<ApiError | null>(null);
  const [colorBy, setColorBy] = useState<'segment' | 'outage'>('segment');
  const set = <K extends keyof GenerateForm>(key: K, value: GenerateForm[K]): void => setForm((f) => ({ ...f, [key]: value }));

  useEffect(() => {
    void api.presets().then(setPresets, () => undefined);
    void api.fleetPresets().then(setFleets, () => undefined);
    void api.sinks().then(setCatalog, () => undefined);
    void api.serviceAreas().then((a) => {
      setAreas(a);
      setForm((f) => (f.area ? f : { ...f, area: a[0]?.name ?? '' }));
    }, () => undefined);
  }, []);

  const choosePreset = (p: Preset): void => setForm((f) => ({ ...f, template: p.name, meters: p.meters, days: p.days, interval: p.intervalMinutes, events: p.events }));
  const chooseMode = (mode: Mode): void => setForm((f) => withMode(f, mode, catalog));
  const chooseSink = (sink: SinkDescription): void => setForm((f) => toggleSink(f, sink));
  const setPath = (sink: string, path: string): void => setForm((f) => ({ ...f, paths: { ...f.paths, [sink]: path } }));
  const setSetting = (key: string, value: string): void => setForm((f) => ({ ...f, settings: { ...f.settings, [key]: value } }));

  // Server-side figures follow the form once it settles (typing 100000 measures one fleet, not six).
  const scenario = useMemo(() => scenarioOf(form), [form]);
  const settled = useDebounced(JSON.stringify(scenario), 350);
  // Ready once the service areas have loaded and the settled scenario names one.
  const ready = (JSON.parse(settled) as { area: string }).area !== '';
  const metrics = useLoad(settled, (signal) => api.fleetMetrics(JSON.parse(settled), signal), ready);
  const map = useLoad(settled, (signal) => api.fleetMap(JSON.parse(settled), signal), ready);
  const preview = useLoad(settled, (signal) => api.preview(JSON.parse(settled), 8, 'flat', signal), ready);
  const sample = useLoad(settled, (signal) => api.preview(JSON.parse(settled), 1, 'nested', signal), ready);

  const chosen = chosenSinks(form, catalog);
  // Fresh paths are stamped once per render; Start sends the paths shown.
  const now = new Date();
  const rows = form.mode === 'batch' ? form.meters * form.days * (1440 / form.interval) : null;

  const start = async (): Promise<void> => {
    setStarting(true);
    setStartError(null);
    try {
      const paths = Object.fromEntries(chosen.filter((c) => c.path !== null).map((c) => [c.name, pathFor(form, c, now)]));
      const record = await api.startJob(requestOf({ ...form, paths }, catalog));
      navigate('monitor', record.jobId);
    } catch (error) {
      setStartError(error as ApiError);
    } finally {
      setStarting(false);
    }
  };

  return (
    <div class="generate">
      <section class="steps">
        <h1>Generate</h1>
        <Step n={1} title="Template">
          <div class="cards" role="radiogroup" aria-label="Template">
            {[...presets, CUSTOM].map((p) => (
              <button type="button" key={p.name} role="radio" aria-checked={form.template === p.name} class={form.template === p.name ? 'card chosen' : 'card'} onClick={() => (p.name === 'custom' ? setForm((f) => ({ ...f, template: 'custom', events: CUSTOM.events })) : choosePreset(p))}>
                <strong>{p.title}</strong>
                <span>{p.name === 'custom' ? 'your own fleet and range' : `${int(p.meters)} meters x ${p.days} days`}</span>
                {p.name !== 'custom' && <span class="muted">{compact(p.rows)} rows{p.events === 'demo' ? ', with demo events' : ''}</span>}
              </button>
            ))}
          </div>
        </Step>

        <Step n={2} title="Batch or streaming">
          <div class="segmented" role="radiogroup" aria-label="Mode">
            {(['batch', 'stream'] as const).map((m) => (
              <button type="button" key={m} role="radio" aria-checked={form.mode === m} class={form.mode === m ? 'chosen' : ''} onClick={() => chooseMode(m)}>
                {m === 'batch' ? 'Batch history' : 'Streaming fleet'}
              </button>
            ))}
          </div>
          <p class="muted">{form.mode === 'batch' ? 'Every reading of the date range, as fast as the machine allows.' : 'Each meter reports once per interval, staggered, with the network trouble of the emission pattern.'}</p>
        </Step>

        <Step n={3} title="Data flow">
          <p class="muted">One sink, or several for a dual write: every batch goes to each, nothing lost, nothing doubled.</p>
          <div class="cards flows" role="group" aria-label="Data flow">
            {catalog.map((sink) => {
              const usable = usableIn(sink, form.mode);
              const on = form.sinks.includes(sink.name);
              return (
                <button type="button" key={sink.name} role="checkbox" aria-checked={on} class={`card${on ? ' chosen' : ''}${usable ? '' : ' dim'}`} onClick={() => chooseSink(sink)} title={usable ? sink.summary : `${sink.title}: batch only`}>
                  <strong>{sink.title}</strong>
                  <span>{sink.summary}</span>
                </button>
              );
            })}
          </div>
          <div class="fields">
            {chosen.map((sink) => [
              sink.path !== null && (
                <label key={`${sink.name}-path`}>
                  {sink.title}: {sink.path.kind} (in the data directory)
                  <input aria-label={`${sink.title}: ${sink.path.kind}`} value={pathFor(form, sink, now)} onInput={(e) => setPath(sink.name, e.currentTarget.value)} />
                </label>
              ),
              ...sink.settings
                .filter((setting) => setting.ui)
                .map((setting) => (
                  <label key={`${sink.name}-${setting.key}`} title={setting.help}>
                    {sink.title}: {setting.help}
                    <input aria-label={setting.flag.slice(2)} value={form.settings[setting.key] ?? ''} placeholder={setting.default === null ? '' : String(setting.default)} onInput={(e) => setSetting(setting.key, e.currentTarget.value)} />
                  </label>
                )),
            ])}
          </div>
        </Step>

        <Step n={4} title="Fleet">
          <div class="fields">
            <label>
              Fleet size
              <select aria-label="Fleet size" value={fleets.find((f) => f.meters === form.meters)?.name ?? ''} onChange={(e) => {
                const fleet = fleets.find((f) => f.name === e.currentTarget.value);
                if (fleet) setForm((f) => ({ ...f, template: 'custom', meters: fleet.meters }));
              }}>
                <option value="">{int(form.meters)} meters</option>
                {fleets.map((f) => (
                  <option key={f.name} value={f.name}>
                    {f.title} ({int(f.meters)} meters)
                  </option>
                ))}
              </select>
            </label>
            <label>
              Meters
              <input aria-label="Meters" type="number" min={1} max={1_000_000} value={form.meters} onInput={(e) => set('meters', Math.max(1, Math.floor(Number(e.currentTarget.value) || 1)))} />
            </label>
            {form.mode === 'batch' && (
              <label>
                Days
                <input aria-label="Days" type="number" min={1} max={3660} value={form.days} onInput={(e) => set('days', Math.max(1, Math.floor(Number(e.currentTarget.value) || 1)))} />
              </label>
            )}
            <label>
              Service area
              <select aria-label="Service area" value={form.area} onChange={(e) => set('area', e.currentTarget.value)}>
                {areas.map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.city} ({a.iso}, {a.timeZone})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Segment
              <select aria-label="Segment" value={form.segment} onChange={(e) => set('segment', e.currentTarget.value)}>
                <option value="">All (the area's mix)</option>
                <option value="RESIDENTIAL">Residential only</option>
                <option value="COMMERCIAL">Commercial only</option>
                <option value="INDUSTRIAL">Industrial only</option>
              </select>
            </label>
            <label>
              Interval
              <select aria-label="Interval" value={form.interval} onChange={(e) => set('interval', Number(e.currentTarget.value))}>
                {[5, 15, 30, 60].map((i) => (
                  <option key={i} value={i}>
                    {i} minutes
                  </option>
                ))}
              </select>
            </label>
            <label>
              Seed
              <input aria-label="Seed" type="number" min={0} value={form.seed} onInput={(e) => set('seed', Math.max(0, Math.floor(Number(e.currentTarget.value) || 0)))} />
            </label>
            <label title="forge generate --events demo | natural | none (--quiet-fleet)">
              Events
              <select aria-label="Events" value={form.events} onChange={(e) => set('events', e.currentTarget.value as GenerateForm['events'])}>
                {EVENTS.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </Step>

        <Step n={5} title={form.mode === 'stream' ? 'Emission and clock' : 'Emission'}>
          <div class="fields">
            <label>
              Emission pattern
              <select aria-label="Emission pattern" value={form.emissionPattern} onChange={(e) => set('emissionPattern', e.currentTarget.value)}>
                {PATTERNS.map((p) => (
                  <option key={p.value} value={p.value}>
                    {p.label}
                  </option>
                ))}
              </select>
            </label>
            {form.mode === 'stream' && (
              <label>
                Clock
                <select aria-label="Clock" value={form.speed} onChange={(e) => set('speed', e.currentTarget.value)}>
                  {SPEEDS.map((s) => (
                    <option key={s.value} value={s.value}>
                      {s.label}
                    </option>
                  ))}
                </select>
              </label>
            )}
            {form.mode === 'stream' && (
              <label>
                Duration (simulated)
                <select aria-label="Duration (simulated)" value={form.duration} onChange={(e) => set('duration', e.currentTarget.value)}>
                  {DURATIONS.map((d) => (
                    <option key={d.value} value={d.value}>
                      {d.label}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
          {form.mode === 'stream' && (
            <p class="muted" data-testid="stream-wall-clock">
              {wallClockOf(form.duration, form.speed)}
            </p>
          )}
        </Step>

        <MoreOptionsSection more={form.more} mode={form.mode} sinks={form.sinks} onChange={(more) => set('more', more)} />

        <div class="start">
          <button type="button" class="primary" disabled={starting || form.area === ''} onClick={() => void start()}>
            {starting ? 'Starting…' : form.mode === 'batch' ? `Start batch job (${compact(rows)} rows)` : 'Start streaming job'}
          </button>
          <ErrorNote error={startError} />
        </div>
      </section>

      <aside class="insight">
        <section class="panel" aria-label="Fleet metrics">
          <h2>Fleet metrics</h2>
          <ErrorNote error={metrics.error} />
          <div class={`stats${metrics.loading ? ' stale' : ''}`} data-testid="fleet-metrics">
            <Stat label="readings / min" value={compact(metrics.data?.readingsPerMinute)} testId="metric-readings" />
            <Stat label="events / min" value={fixed(metrics.data?.eventsPerMinute, 1)} />
            <Stat label="rows / hour" value={compact(metrics.data?.rowsPerHour)} />
            <Stat label="MB / hour" value={fixed(metrics.data?.mbPerHour, 2)} />
            <Stat label="GB / day" value={fixed(metrics.data?.gbPerDay, 3)} />
            <Stat label="bytes / row (measured)" value={int(metrics.data?.bytesPerRow)} />
          </div>
        </section>
        <section class="panel">
          <div class="panel-head">
            <h2>Fleet map</h2>
            <label class="inline">
              Colour by{' '}
              <select value={colorBy} onChange={(e) => setColorBy(e.currentTarget.value as 'segment' | 'outage')}>
                <option value="segment">segment</option>
                <option value="outage">outage</option>
              </select>
            </label>
          </div>
          <FleetMap map={map.data} colorBy={colorBy} />
        </section>
      </aside>

      <section class="panel wide">
        <h2>Preview</h2>
        <RecordTable records={preview.data?.records ?? []} columns={PREVIEW_COLUMNS} testId="preview-table" empty={preview.loading ? 'Generating a sample…' : 'No sample.'} />
        <h3>Sample record (nested, as a head end sends it)</h3>
        <pre class="json" data-testid="sample-record">
          {sample.data?.records[0] ? JSON.stringify(sample.data.records[0], null, 2) : '…'}
        </pre>
      </section>
    </div>
  );
}

function Step({ n, title, children }: { n: number; title: string; children: preact.ComponentChildren }) {
  return (
    <section class="step" aria-label={title}>
      <h2>
        <span class="step-n">{n}</span>
        {title}
      </h2>
      {children}
    </section>
  );
}
