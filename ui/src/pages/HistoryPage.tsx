import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type JobRecord, type SinkDescription } from '../api.js';
import { Badge, ErrorNote, statusTone } from '../components/bits.js';
import { compact, duration, int, jobMs, when } from '../format.js';
import { usePoll } from '../hooks.js';
import { navigate } from '../route.js';
import { canValidate } from './validate-targets.js';

/**
 * Past and running jobs: configuration, counts, duration and errors; re-run, resume, monitor, and validate for a job
 * that left something to check. On a narrow screen each row is a card (styles.css), so every cell carries its label.
 */
export function HistoryPage() {
  const [jobs, setJobs] = useState<JobRecord[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [catalog, setCatalog] = useState<SinkDescription[]>([]);
  usePoll(() => void api.jobs().then(setJobs, setError), 5_000);
  useEffect(() => void api.sinks().then(setCatalog, () => undefined), []);

  const act = async (action: () => Promise<JobRecord>): Promise<void> => {
    setError(null);
    try {
      const record = await action();
      navigate('monitor', record.jobId);
    } catch (e) {
      setError(e as ApiError);
    }
  };

  return (
    <div class="history">
      <h1>History</h1>
      <ErrorNote error={error} />
      {jobs && jobs.length === 0 && <p class="muted">No jobs yet.</p>}
      {jobs && jobs.length > 0 && (
        <table class="records jobs" data-testid="history-table">
          <thead>
            <tr>
              <th>job</th>
              <th>kind</th>
              <th>status</th>
              <th>started</th>
              <th>duration</th>
              <th>meters</th>
              <th>sinks</th>
              <th>rows delivered</th>
              <th>rows/s</th>
              <th>errors</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <Fragment key={j.jobId}>
                <tr data-testid="history-row" data-job={j.jobId} class={open === j.jobId ? 'open' : ''}>
                  <td class="mono job-id">
                    <button type="button" class="link" aria-expanded={open === j.jobId} onClick={() => setOpen(open === j.jobId ? null : j.jobId)}>
                      {j.jobId}
                    </button>
                  </td>
                  <td data-label="kind">{j.kind}</td>
                  <td data-label="status">
                    <Badge tone={statusTone(j.status)}>{j.status}</Badge>
                  </td>
                  <td data-label="started">{when(j.createdAt)}</td>
                  <td data-label="duration">{duration(jobMs(j))}</td>
                  <td class="num" data-label="meters">{int(Number(j.scenario.meters))}</td>
                  <td data-label="sinks">{j.output.sink.join(' + ')}</td>
                  <td class="num" data-label="rows delivered">{int(j.stats.delivered)}</td>
                  <td class="num" data-label="rows/s">{compact(j.stats.rowsPerSecond)}</td>
                  <td class="wrap" data-label={j.errors.length > 0 ? 'errors' : undefined}>{j.errors.length > 0 ? j.errors.join('; ') : ''}</td>
                  <td class="actions">
                    {j.status === 'running' ? (
                      <button type="button" onClick={() => navigate('monitor', j.jobId)}>
                        Monitor
                      </button>
                    ) : (
                      <>
                        <button type="button" onClick={() => void act(() => api.rerunJob(j.jobId))} title="Start a new job with the same configuration">
                          Re-run
                        </button>
                        {(j.status === 'stopped' || j.status === 'interrupted' || j.status === 'failed') && (
                          <button
                            type="button"
                            onClick={() => void act(() => api.resumeJob(j.jobId))}
                            title={j.kind === 'stream' ? 'Continue from the last checkpoint' : 'Complete the job: each sink is sent only what it does not hold'}
                          >
                            Resume
                          </button>
                        )}
                        {canValidate(j, catalog) && (
                          <button type="button" onClick={() => navigate('validate', j.jobId)} title="Quality checks of its DuckDB output, or verify it against its sinks">
                            Validate
                          </button>
                        )}
                      </>
                    )}
                  </td>
                </tr>
                {open === j.jobId && (
                  <tr class="config">
                    <td colSpan={11}>
                      <pre class="json" data-testid="job-config">
                        {JSON.stringify({ scenario: j.scenario, output: j.output, stream: j.stream, emission: j.emission, stats: j.stats, finishedAt: j.finishedAt }, null, 2)}
                      </pre>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
