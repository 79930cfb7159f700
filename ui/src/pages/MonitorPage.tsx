import { useEffect, useState } from 'preact/hooks';
import { api, watchJob, type ApiError, type JobRecord, type JobStats, type PipelineStatus, type ReadingRecord, type SinkDescription } from '../api.js';
import { Badge, ErrorNote, Stat, statusTone } from '../components/bits.js';
import { LineChart } from '../components/LineChart.js';
import { RecordTable } from '../components/RecordTable.js';
import { compact, duration, int, jobMs } from '../format.js';
import { usePoll } from '../hooks.js';
import { href, navigate } from '../route.js';
import { canValidate } from './validate-targets.js';

/** Points a live chart keeps (about five minutes at one a second). */
const MAX_POINTS = 300;
/** The rows/s curve is the rate over this much time: one event's batch is not a rate. */
const RATE_WINDOW_MS = 5_000;
const RECENT_COLUMNS = ['meter_id', 'reading_ts', 'reading_ts_utc', 'usage_kwh', 'voltage', 'data_quality', 'event_type', 'customer_segment', 'transformer_id'];

interface Series {
  readonly t: number[];
  readonly rps: number[];
  readonly p50: number[];
  readonly p95: number[];
  readonly p99: number[];
}
const emptySeries = (): Series => ({ t: [], rps: [], p50: [], p95: [], p99: [] });

/** Running jobs with their health, live charts, per-sink counts, recent readings, the pipeline, and Stop. */
export function MonitorPage({ jobId }: { jobId: string | null }) {
  const [jobs, setJobs] = useState<JobRecord[]>([]);
  usePoll(() => void api.jobs().then(setJobs, () => undefined), 3_000);
  const running = jobs.filter((j) => j.status === 'running');
  // Without a job in the address the page follows the first running job, and stays on it once it ends (its final
  // figures and charts remain until the user picks another).
  const [followed, setFollowed] = useState<string | null>(null);
  const selected = jobId ?? followed ?? running[0]?.jobId ?? null;
  useEffect(() => {
    if (!jobId && !followed && running[0]) setFollowed(running[0].jobId);
  }, [jobId, followed, running[0]?.jobId]);
  const shown = [...running, ...jobs.filter((j) => j.status !== 'running').slice(0, 5)];

  return (
    <div class="monitor">
      <aside class="joblist" aria-label="Jobs">
        <h2>Jobs</h2>
        {shown.length === 0 && <p class="muted">No jobs yet. Start one on <a href={href('generate')}>Generate</a>.</p>}
        <ul>
          {shown.map((j) => (
            <li key={j.jobId}>
              <a href={href('monitor', j.jobId)} class={j.jobId === selected ? 'job active' : 'job'} data-testid="job-link">
                <span class="mono">{j.jobId}</span>
                <span>
                  <Badge tone={statusTone(j.status)}>{j.status}</Badge> {j.kind} · {compact(j.stats.delivered)} rows
                </span>
              </a>
            </li>
          ))}
        </ul>
      </aside>
      <section class="jobview">{selected ? <JobMonitor key={selected} jobId={selected} /> : <p class="muted">Nothing is running.</p>}</section>
    </div>
  );
}

function JobMonitor({ jobId }: { jobId: string }) {
  const [record, setRecord] = useState<JobRecord | null>(null);
  const [stats, setStats] = useState<JobStats | null>(null);
  const [series, setSeries] = useState<Series>(emptySeries);
  const [recent, setRecent] = useState<ReadingRecord[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [stopping, setStopping] = useState(false);
  const [catalog, setCatalog] = useState<SinkDescription[]>([]);
  useEffect(() => void api.sinks().then(setCatalog, () => undefined), []);

  useEffect(() => {
    // Recent (time, delivered) pairs: the rate is taken over RATE_WINDOW_MS of them.
    const history: { at: number; delivered: number }[] = [];
    let latency: JobStats['latencyMs'];
    const started = Date.now();
    void api.job(jobId).then(
      (r) => {
        setRecord(r);
        setStats(r.stats);
      },
      (e: ApiError) => setError(e),
    );
    return watchJob(
      jobId,
      (s) => {
        setStats(s);
        const now = Date.now();
        history.push({ at: now, delivered: s.delivered });
        while (history.length > 2 && now - history[1]!.at >= RATE_WINDOW_MS) history.shift();
        const first = history[0]!;
        // The rate over the last few seconds; the job's own figure averages over its whole life.
        const rate = now > first.at ? ((s.delivered - first.delivered) * 1000) / (now - first.at) : s.rowsPerSecond;
        // An event without latency (no batch committed since the last) keeps the last figures: the curve does not drop to 0.
        latency = s.latencyMs ?? latency;
        setSeries((old) => {
          const keep = old.t.length >= MAX_POINTS ? 1 : 0;
          return {
            t: [...old.t.slice(keep), Math.round((now - started) / 100) / 10],
            rps: [...old.rps.slice(keep), Math.round(rate)],
            p50: [...old.p50.slice(keep), latency?.p50 ?? 0],
            p95: [...old.p95.slice(keep), latency?.p95 ?? 0],
            p99: [...old.p99.slice(keep), latency?.p99 ?? 0],
          };
        });
      },
      (final) => {
        setRecord(final);
        setStats(final.stats);
        // A job that ended before the page watched it: its final figures as one point, so the charts are not empty.
        setSeries((old) => (old.t.length > 0 ? old : finalPoint(final)));
      },
      (e) => setError({ status: 0, code: 'EVENTS', message: e.message, name: 'ApiError' } as ApiError),
    );
  }, [jobId]);

  const isRunning = record?.status === 'running';
  usePoll(() => void api.recent(jobId).then((r) => setRecent(r.readings), () => undefined), 2_000, isRunning);

  const stop = async (): Promise<void> => {
    setStopping(true);
    try {
      const final = await api.stopJob(jobId);
      setRecord(final);
      setStats(final.stats);
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setStopping(false);
    }
  };

  if (!record) return error ? <ErrorNote error={error} /> : <p class="muted">Loading {jobId}…</p>;
  const degraded = stats?.sinks.some((s) => s.state === 'degraded') ?? false;
  const health = record.status !== 'running' ? record.status : degraded ? 'degraded' : 'healthy';
  const usesStage = record.output.sink.includes('stage');
  const checkpoint = checkpointText(record, stats);

  return (
    <div class="jobmonitor">
      <div class="jobhead">
        <div>
          <h1 class="mono" data-testid="monitor-job">{jobId}</h1>
          <p>
            {/* One badge: a running job's health (every sink accepting, or one degraded), else how it ended. */}
            <span data-testid="job-health" title={isRunning ? `running: ${health}` : undefined}>
              <Badge tone={isRunning ? (degraded ? 'bad' : 'ok') : statusTone(record.status)}>{health}</Badge>
            </span>{' '}
            {record.kind} into {record.output.sink.join(' + ')} · {int(Number(record.scenario.meters))} meters · {duration(jobMs(record))}
          </p>
        </div>
        <div class="actions">
          {isRunning && (
            <button type="button" class="danger" disabled={stopping} onClick={() => void stop()}>
              {stopping ? 'Stopping…' : 'Stop'}
            </button>
          )}
          {!isRunning && canValidate(record, catalog) && (
            <button type="button" onClick={() => navigate('validate', jobId)}>
              Validate
            </button>
          )}
        </div>
      </div>
      <ErrorNote error={error} />
      {record.errors.map((e, i) => (
        <ErrorNote key={i} error={{ message: e }} />
      ))}
      <div class="stats">
        <Stat label="delivered" value={int(stats?.delivered)} testId="stat-delivered" />
        <Stat label="generated" value={int(stats?.generated)} />
        <Stat label="rows / s (average)" value={compact(stats?.rowsPerSecond)} />
        <Stat label="latency p50 / p99 ms" value={stats?.latencyMs ? `${int(stats.latencyMs.p50)} / ${int(stats.latencyMs.p99)}` : '—'} />
        <Stat label="simulated time (UTC)" value={stats?.simulatedUtc ? stats.simulatedUtc.slice(0, 16).replace('T', ' ') : '—'} />
        <Stat label={checkpoint.label} value={checkpoint.value} testId="stat-checkpoint" />
      </div>
      <div class="charts">
        <LineChart title="Rows per second" unit="rows/s" x={series.t} series={[{ label: `rows/s (over ${RATE_WINDOW_MS / 1000} s)`, color: '#2563eb', values: series.rps }]} testId="chart-rows" clipSpikes />
        <LineChart
          title="Emission to commit latency"
          unit="ms"
          x={series.t}
          series={[
            { label: 'p50', color: '#16a34a', values: series.p50 },
            { label: 'p95', color: '#d97706', values: series.p95 },
            { label: 'p99', color: '#dc2626', values: series.p99 },
          ]}
          testId="chart-latency"
        />
      </div>
      <section class="panel">
        <h2>Sinks</h2>
        <div class="table-scroll">
        <table class="records" data-testid="sink-table">
          <thead>
            <tr>
              <th>sink</th>
              <th>rows committed</th>
              <th>state</th>
              <th>last error</th>
            </tr>
          </thead>
          <tbody>
            {(stats?.sinks ?? []).map((s) => (
              <tr key={s.sink}>
                <td>{s.sink}</td>
                <td class="num">{int(s.committed)}</td>
                <td>
                  <Badge tone={s.state === 'ok' ? 'ok' : 'bad'}>{s.state}</Badge>
                </td>
                <td class="wrap">{s.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      </section>
      {stats?.labels && (
        <section class="panel" data-testid="label-panel">
          <h2>Labelled events (windows of ground truth, anomaly_labels)</h2>
          <div class="stats">
            {Object.entries(stats.labels.windows).map(([type, windows]) => (
              <Stat key={type} label={type.toLowerCase().replace(/_/g, ' ')} value={int(windows)} testId={`label-${type}`} />
            ))}
          </div>
        </section>
      )}
      <section class="panel">
        <h2>Recent readings (the last 10 delivered)</h2>
        <RecordTable records={recent.slice(-10)} columns={RECENT_COLUMNS} testId="recent-readings" empty={isRunning ? 'Waiting for the next batch…' : 'The job is not running.'} />
      </section>
      <PipelinePanel relevant={usesStage} />
    </div>
  );
}

/**
 * The server's stage -> bronze -> silver -> gold pipeline (forge serve --stage), when it runs one: /health says so, and
 * the status is asked for only then (a server without a pipeline answers it 404).
 */
function PipelinePanel({ relevant }: { relevant: boolean }) {
  const [present, setPresent] = useState<boolean | null>(null);
  const [status, setStatus] = useState<PipelineStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => void api.health().then((h) => setPresent(h.pipeline === true), () => setPresent(false)), []);
  usePoll(() => void api.pipelineStatus().then((s) => (setStatus(s), setError(null)), (e: ApiError) => setError(e.message)), 5_000, present === true);
  if (present === null || (!present && !relevant)) return null;
  return (
    <section class="panel" data-testid="pipeline-panel">
      <h2>Pipeline: stage, bronze, silver, gold</h2>
      {!present && <p class="muted">This server runs no pipeline: start it with forge serve --stage to load the stage into bronze, silver and gold.</p>}
      {error && <p class="muted">{error}</p>}
      {status && (
        <div class="stats">
          <Stat label="files landed" value={int(status.files.landed)} />
          <Stat label="files loaded" value={int(status.files.loaded)} />
          <Stat label="quarantined" value={int(status.files.quarantined)} />
          <Stat label="bronze rows" value={compact(status.rows.bronze)} />
          <Stat label="silver rows" value={compact(status.rows.silver)} />
          {Object.entries(status.rows.gold).map(([table, n]) => (
            <Stat key={table} label={`${table} rows`} value={compact(n)} />
          ))}
          <Stat label="lag" value={`${(status.lagMs / 1000).toFixed(1)} s`} testId="pipeline-lag" />
        </div>
      )}
    </section>
  );
}

/** A job's final figures as one point of the charts (at its duration). */
function finalPoint(record: JobRecord): Series {
  const latency = record.stats.latencyMs;
  return {
    t: [Math.round(jobMs(record) / 100) / 10],
    rps: [Math.round(record.stats.rowsPerSecond)],
    p50: latency ? [latency.p50] : [],
    p95: latency ? [latency.p95] : [],
    p99: latency ? [latency.p99] : [],
  };
}

/**
 * The checkpoint in the user's terms. A stream's is a tick, milliseconds of simulated time into its window: shown as
 * that simulated instant (UTC). A batch job's is the last work unit every sink holds (a unit is a day of a block of
 * meters), shown as its number.
 */
function checkpointText(record: JobRecord, stats: JobStats | null): { label: string; value: string } {
  const checkpoint = stats?.checkpoint;
  if (record.kind === 'stream') {
    const from = record.stream ? Date.parse(record.stream.fromUtc) : Number.NaN;
    const value = checkpoint === undefined || checkpoint < 0 || Number.isNaN(from) ? '—' : new Date(from + checkpoint).toISOString().slice(0, 19).replace('T', ' ');
    return { label: 'checkpoint (simulated UTC, resume starts after it)', value };
  }
  return { label: 'checkpoint (work units every sink holds)', value: checkpoint === undefined || checkpoint < 0 ? '—' : int(checkpoint + 1) };
}
