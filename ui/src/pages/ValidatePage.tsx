import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type JobRecord, type ValidationReport, type VerifyReport } from '../api.js';
import { Badge, ErrorNote } from '../components/bits.js';
import { int } from '../format.js';
import { navigate } from '../route.js';

/** The duckdb sink's file when a job names none (relative paths are under the server's data directory). */
const DEFAULT_DUCKDB = 'forge.duckdb';

/** The DuckDB file a job wrote, when it had a duckdb sink. */
export const duckdbOf = (job: JobRecord): string | null => (job.output.sink.includes('duckdb') ? (job.output.out ?? DEFAULT_DUCKDB) : null);

/**
 * Runs the quality checks on a job's DuckDB output (or any DuckDB file) and verifies a job against its sinks: each
 * check with pass or fail and its numbers.
 */
export function ValidatePage({ jobId }: { jobId: string | null }) {
  const [jobs, setJobs] = useState<JobRecord[]>([]);
  const [path, setPath] = useState('');
  const [report, setReport] = useState<ValidationReport | null>(null);
  const [verify, setVerify] = useState<VerifyReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'checks' | 'verify' | null>(null);

  useEffect(() => {
    void api.jobs().then((all) => {
      const finished = all.filter((j) => j.status !== 'running');
      setJobs(finished);
      // A job named in the address sets the file; otherwise the latest job's file fills an empty field only (never
      // over what the user has typed meanwhile).
      const named = finished.find((j) => j.jobId === jobId);
      if (named && duckdbOf(named)) setPath(duckdbOf(named)!);
      const latest = finished.find((j) => duckdbOf(j) !== null);
      if (!named && latest) setPath((typed) => typed || duckdbOf(latest)!);
    }, setError);
  }, [jobId]);

  const job = jobs.find((j) => j.jobId === jobId) ?? null;

  const runChecks = async (): Promise<void> => {
    setBusy('checks');
    setError(null);
    setReport(null);
    try {
      setReport(await api.validate(path));
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
          DuckDB file
          <input aria-label="DuckDB file" value={path} onInput={(e) => setPath(e.currentTarget.value)} placeholder={DEFAULT_DUCKDB} />
        </label>
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled={busy !== null || path.trim() === ''} onClick={() => void runChecks()}>
          {busy === 'checks' ? 'Checking…' : 'Run checks'}
        </button>
        <button type="button" disabled={busy !== null || !job} onClick={() => void runVerify()} title="Regenerate the job's window and compare every meter-day with what its sinks hold">
          {busy === 'verify' ? 'Verifying…' : 'Verify job against its sinks'}
        </button>
      </div>
      <ErrorNote error={error} />
      {report && (
        <section class="panel" data-testid="validation-report">
          <h2>
            <Badge tone={report.passed ? 'ok' : 'bad'}>{report.passed ? 'PASS' : 'FAIL'}</Badge> {report.path}
          </h2>
          <p class="muted">
            {int(report.rows)} readings from {report.jobs} job{report.jobs === 1 ? '' : 's'}
          </p>
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
                  <td>{c.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {verify && (
        <section class="panel" data-testid="verify-report">
          <h2>
            <Badge tone={verify.ok ? 'ok' : 'bad'}>{verify.ok ? 'COMPLETE' : 'PROBLEMS'}</Badge> verification of {job?.jobId}
          </h2>
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
        </section>
      )}
    </div>
  );
}
