import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type JobRecord, type SinkDescription, type ValidationReport, type VerifyReport } from '../api.js';
import { Badge, ErrorNote } from '../components/bits.js';
import { int } from '../format.js';
import { navigate } from '../route.js';
import { DEFAULT_DUCKDB, duckdbOf, verifiableSinks } from './validate-targets.js';

/**
 * Runs the quality checks on a job's DuckDB output (or any DuckDB file) and verifies a job against its sinks: each
 * check with pass or fail and its numbers. Choosing a job never writes its path into the file field: the field names
 * another file, and what the checks will read is said beside the button.
 */
export function ValidatePage({ jobId }: { jobId: string | null }) {
  const [jobs, setJobs] = useState<JobRecord[]>([]);
  const [catalog, setCatalog] = useState<SinkDescription[]>([]);
  const [path, setPath] = useState('');
  const [report, setReport] = useState<ValidationReport | null>(null);
  const [verify, setVerify] = useState<VerifyReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'checks' | 'verify' | null>(null);

  useEffect(() => {
    void api.jobs().then((all) => setJobs(all.filter((j) => j.status !== 'running')), setError);
    void api.sinks().then(setCatalog, () => undefined);
  }, [jobId]);

  const job = jobs.find((j) => j.jobId === jobId) ?? null;
  const jobFile = job ? duckdbOf(job) : null;
  // A typed file wins over the job's own.
  const target = path.trim() || jobFile;
  const checksReason = path.trim()
    ? `The checks will read ${path.trim()}.`
    : !job
      ? 'Choose a job with a DuckDB output, or give a DuckDB file.'
      : jobFile
        ? `The checks will read ${jobFile}, the job's DuckDB output.`
        : `${job.jobId} has no DuckDB output (it wrote to ${job.output.sink.join(' + ')}): give a DuckDB file to check.`;
  const readable = job ? verifiableSinks(job, catalog) : [];
  const verifyReason = !job
    ? 'Verify needs a job: it regenerates the job\'s window and compares it with what the sinks hold.'
    : readable.length === 0
      ? `Verify reads DuckDB and Postgres sinks back; ${job.jobId} has none.`
      : `Verify will read back ${readable.join(' and ')}.`;

  const runChecks = async (): Promise<void> => {
    if (!target) return;
    setBusy('checks');
    setError(null);
    setReport(null);
    try {
      setReport(await api.validate(target));
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(null);
    }
  };
  const runVerify = async (): Promise<void> => {
    if (!job) return;
    setBusy('verify');
    setError(null);
    setVerify(null);
    try {
      setVerify(await api.verify(job.jobId));
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="validate">
      <h1>Validate</h1>
      <p class="muted about" data-testid="validate-about">
        <strong>Checks</strong> read a DuckDB output: no null or duplicate keys (meter, UTC time), readings on interval boundaries, local time
        coherent with UTC, voltage within ANSI C84.1 Range A, outage share and flags consistent, segment shares and usage levels plausible.{' '}
        <strong>Verify</strong> regenerates the job's scenario and compares every meter-day with what each sink holds: its completeness
        (nothing missing, nothing doubled, nothing different).
      </p>
      <div class="fields">
        <label>
          Job
          <select aria-label="Job"
            value={jobId ?? ''}
            onChange={(e) => {
              const id = e.currentTarget.value;
              navigate('validate', id || null);
            }}
          >
            <option value="">(choose a job or give a file)</option>
            {jobs.map((j) => (
              <option key={j.jobId} value={j.jobId}>
                {j.jobId} · {j.kind} · {j.status} · {j.output.sink.join('+')}
              </option>
            ))}
          </select>
        </label>
        <label>
          DuckDB file (another file than the job's)
          <input aria-label="DuckDB file" value={path} onInput={(e) => setPath(e.currentTarget.value)} placeholder={jobFile ?? DEFAULT_DUCKDB} />
        </label>
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled={busy !== null || !target} onClick={() => void runChecks()} title={checksReason}>
          {busy === 'checks' ? 'Checking…' : 'Run checks'}
        </button>
        <button type="button" disabled={busy !== null || readable.length === 0} onClick={() => void runVerify()} title={verifyReason}>
          {busy === 'verify' ? 'Verifying…' : 'Verify job against its sinks'}
        </button>
      </div>
      <p class="reason" data-testid="checks-reason">{checksReason}</p>
      <p class="reason" data-testid="verify-reason">{verifyReason}</p>
      <ErrorNote error={error} />
      {report && (
        <section class="panel" data-testid="validation-report">
          <h2>
            <Badge tone={report.passed ? 'ok' : 'bad'}>{report.passed ? 'PASS' : 'FAIL'}</Badge> <span class="mono">{report.path}</span>
          </h2>
          <p class="muted">
            {int(report.rows)} readings from {report.jobs} job{report.jobs === 1 ? '' : 's'}
          </p>
          <div class="table-scroll">
          <table class="records checks">
            <thead>
              <tr>
                <th>check</th>
                <th>result</th>
                <th>numbers</th>
              </tr>
            </thead>
            <tbody>
              {report.checks.map((c) => (
                <tr key={c.name} data-testid="check-row">
                  <td>{c.name}</td>
                  <td>
                    <Badge tone={c.passed ? 'ok' : 'bad'}>{c.passed ? 'PASS' : 'FAIL'}</Badge>
                  </td>
                  <td class="wrap">{c.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </section>
      )}
      {verify && (
        <section class="panel" data-testid="verify-report">
          <h2>
            <Badge tone={verify.ok ? 'ok' : 'bad'}>{verify.ok ? 'COMPLETE' : 'PROBLEMS'}</Badge> verification of {job?.jobId}
          </h2>
          <div class="table-scroll">
          <table class="records">
            <thead>
              <tr>
                <th>sink</th>
                <th>window (UTC)</th>
                <th>expected</th>
                <th>found</th>
                <th>missing</th>
                <th>duplicates</th>
                <th>differing</th>
                <th>unexpected</th>
              </tr>
            </thead>
            <tbody>
              {verify.reports.map((r) => (
                <tr key={r.target}>
                  <td>{r.target}</td>
                  <td>
                    {r.fromUtc.slice(0, 16)} to {r.toUtc.slice(0, 16)}
                  </td>
                  <td class="num">{int(r.expected)}</td>
                  <td class="num">{int(r.found)}</td>
                  <td class="num">{int(r.missing)}</td>
                  <td class="num">{int(r.duplicates)}</td>
                  <td class="num">{int(r.differing)}</td>
                  <td class="num">{int(r.unexpected)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </section>
      )}
    </div>
  );
}
