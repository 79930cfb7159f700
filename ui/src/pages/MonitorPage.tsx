import { useEffect, useState } from 'preact/hooks';
import { api, watchJob, type ApiError, type JobRecord, type JobStats, type PipelineStatus, type ReadingRecord } from '../api.js';
import { Badge, ErrorNote, Stat, statusTone } from '../components/bits.js';
import { LineChart } from '../components/LineChart.js';
import { RecordTable } from '../components/RecordTable.js';
import { compact, duration, int, jobMs } from '../format.js';
import { usePoll } from '../hooks.js';
import { href, navigate } from '../route.js';

/** Points a live chart keeps (about five minutes at one a second). */
const MAX_POINTS = 300;
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
  const selected = jobId ?? running[0]?.jobId ?? null;
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

  useEffect(() => {
    let previous: { at: number; delivered: number } | null = null;
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
        // The rate between two events; the job's own figure averages over its whole life.
        const rate = previous && now > previous.at ? ((s.delivered - previous.delivered) * 1000) / (now - previous.at) : s.rowsPerSecond;
        previous = { at: now, delivered: s.delivered };
        setSeries((old) => {
          const keep = old.t.length >= MAX_POINTS ? 1 : 0;
          return {
            t: [...old.t.slice(keep), Math.round((now - started) / 100) / 10],
            rps: [...old.rps.slice(keep), Math.round(rate)],
            p50: [...old.p50.slice(keep), s.latencyMs?.p50 ?? 0],
            p95: [...old.p95.slice(keep), s.latencyMs?.p95 ?? 0],
            p99: [...old.p99.slice(keep), s.latencyMs?.p99 ?? 0],
          };
        });
      },
      (final) => {
        setRecord(final);
        setStats(final.stats);
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

  return (
    <div class="jobmonitor">
      <div class="jobhead">
        <div>
          <h1 class="mono" data-testid="monitor-job">{jobId}</h1>
          <p>
            <Badge tone={statusTone(record.status)}>{record.status}</Badge>{' '}
            <span data-testid="job-health">
              <Badge tone={health === 'healthy' || health === 'completed' ? 'ok' : health === 'degraded' || health === 'failed' ? 'bad' : 'muted'}>{health}</Badge>
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
          {!isRunning && (
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
        <Stat label="checkpoint (simulated ms into the window)" value={stats?.checkpoint !== undefined ? int(stats.checkpoint) : '—'} />
      </div>
      <div class="charts">
        <LineChart title="Rows per second" unit="rows/s" x={series.t} series={[{ label: 'rows/s', color: '#2563eb', values: series.rps }]} testId="chart-rows" />
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
                <td>{s.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Recent readings (the last 10 delivered)</h2>
        <RecordTable records={recent.slice(-10)} columns={RECENT_COLUMNS} testId="recent-readings" empty={isRunning ? 'Waiting for the next batch…' : 'The job is not running.'} />
      </section>
      <PipelinePanel relevant={usesStage} />
    </div>
  );
}

/** The server's stage -> bronze -> silver -> gold pipeline (forge serve --stage), when it runs one. */
function PipelinePanel({ relevant }: { relevant: boolean }) {
  const [status, setStatus] = useState<PipelineStatus | null>(null);
  const [absent, setAbsent] = useState<string | null>(null);
  usePoll(() => void api.pipelineStatus().then((s) => (setStatus(s), setAbsent(null)), (e: ApiError) => setAbsent(e.message)), 5_000);
  if (!status && !relevant) return null;
  return (
    <section class="panel" data-testid="pipeline-panel">
      <h2>Pipeline: stage, bronze, silver, gold</h2>
      {absent && <p class="muted">{absent}</p>}
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
