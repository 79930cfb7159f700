/**
 * Worker-thread entry of a server job: runs one job from its record (runJobRecord, as `forge stream` does) so the
 * generation and the sinks' encoding never hold up the server's event loop. The main thread keeps the record on disk;
 * this thread only reports.
 *
 * Protocol (see JobWorkerData, JobWorkerRequest, JobWorkerMessage): the record and the resume flag arrive as
 * workerData; the main thread may post `stop`; this thread posts `stats` about once a second (with the last
 * delivered readings as flat records), `status` for each sink losing or regaining its destination, and one `end`
 * (completed, stopped or failed with the error's message) after its sinks are flushed and closed, then exits.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { FlatReading } from '../generator/reading-records.js';
import { runJobRecord } from '../jobs/job-plan.js';
import type { JobRecord, JobStats } from '../jobs/job-store.js';
import type { SinkStatusEvent } from '../jobs/sink-factory.js';
import { errorText } from '../util/error-text.js';
import { confineOutputPaths } from './output-policy.js';

export interface JobWorkerData {
  readonly record: JobRecord;
  readonly resume: boolean;
  /** The server's data directory: the record's paths are checked against it again just before the sinks open. */
  readonly dataDir?: string;
}

export type JobWorkerRequest = { readonly type: 'stop' };

export type JobWorkerMessage =
  | { readonly type: 'stats'; readonly stats: JobStats; readonly recent: FlatReading[]; readonly threadId: number }
  | { readonly type: 'status'; readonly event: SinkStatusEvent }
  | { readonly type: 'end'; readonly status: 'completed' | 'stopped' | 'failed'; readonly stats?: JobStats; readonly error?: string };

const port = parentPort;
if (!port) throw new Error('job-worker must run in a worker thread');
const { record, resume, dataDir } = workerData as JobWorkerData;
const controller = new AbortController();
const post = (message: JobWorkerMessage): void => port.postMessage(message);

port.on('message', (request: JobWorkerRequest) => {
  if (request.type === 'stop') controller.abort();
});

try {
  // Checked when the request arrived; checked again here, as late as this process can, so a symbolic link put in
  // the data directory since then cannot lead the sinks out of it (output-policy.ts; SECURITY.md says what remains).
  if (dataDir !== undefined) confineOutputPaths(record.output, dataDir);
  const result = await runJobRecord(record, {
    resume,
    signal: controller.signal,
    onStats: (stats, recent) => post({ type: 'stats', stats, recent: recent(), threadId }),
    onStatus: (event) => post({ type: 'status', event }),
  });
  post({ type: 'end', status: result.status, stats: result.stats });
} catch (error) {
  post({ type: 'end', status: 'failed', error: errorText(error) });
}
// Nothing more to hear: the thread ends once its sinks' connections are gone.
port.unref();
