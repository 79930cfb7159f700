import type { JobRecord, JobStats } from '../../src/jobs/job-store.js';
import type { EventMode } from '../../src/scenario/event-mode.js';
import type { PipelineStatus } from '../../src/pipeline/pipeline-status.js';
import type { FleetMap } from '../../src/server/fleet-map.js';
import type { FleetMetrics } from '../../src/server/scenario-tools.js';
import type { SinkDescription } from '../../src/sinks/sink-catalog.js';
import type { ExploreData, ExplorePanel, ExplorePanelAnswer } from '../../src/validate/explore-queries.js';
import type { ValidationReport } from '../../src/validate/validation-checks.js';
import type { VerifyReport as SinkVerifyReport } from '../../src/verify/verify-sink.js';
import type { JobRequest } from './job-request.js';

export type { ExploreData, ExplorePanel, ExplorePanelAnswer, FleetMap, FleetMetrics, JobRecord, JobStats, PipelineStatus, SinkDescription, ValidationReport };
export type { JobRequest };

/** An error the API answered with: its JSON { code, message }, or the transport's failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'forge.apiToken';

/** The bearer token a server started with FORGE_API_TOKEN asks for; kept for the browser session only. */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value.trim()),
};

function headers(body: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (body) h['content-type'] = 'application/json';
  const t = token.get();
  if (t) h.authorization = `Bearer ${t}`;
  return h;
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { method, headers: headers(body !== undefined), ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'NETWORK', `The server did not answer (${(error as Error).message})`);
  }
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const data: unknown = type.includes('json') && text ? JSON.parse(text) : text;
  if (!response.ok) {
    const err = (typeof data === 'object' && data !== null ? data : {}) as { code?: string; message?: string };
    throw new ApiError(response.status, err.code ?? `HTTP_${response.status}`, err.message ?? (typeof data === 'string' && data ? data : response.statusText));
  }
  return data as T;
}


export interface Preset {
  readonly name: string;
  readonly title: string;
  readonly meters: number;
  readonly days: number;
  readonly intervalMinutes: number;
  readonly rows: number;
  /** The scenario's events unless the form sets its own: 'demo' for the demo presets, else 'natural'. */
  readonly events: EventMode;
}
export interface FleetPreset {
  readonly name: string;
  readonly title: string;
  readonly meters: number;
}
export interface ServiceArea {
  readonly name: string;
  readonly iso: string;
  readonly code: string;
  readonly city: string;
  readonly timeZone: string;
  readonly latitude: number;
  readonly longitude: number;
}
export type ReadingRecord = Record<string, unknown>;
/** What POST /api/verify answers: one report per sink of the job. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly reports: readonly SinkVerifyReport[];
}
export interface Health {
  readonly status: string;
  readonly version: string;
  readonly runningJobs: number;
  /** The server runs the medallion pipeline (forge serve --stage): GET /api/pipeline/status answers for it. */
  readonly pipeline?: boolean;
}


export const api = {
  health: () => request<Health>('GET', '/health'),
  presets: () => request<Preset[]>('GET', '/api/presets'),
  fleetPresets: () => request<FleetPreset[]>('GET', '/api/fleet-presets'),
  serviceAreas: () => request<ServiceArea[]>('GET', '/api/service-areas'),
  sinks: () => request<SinkDescription[]>('GET', '/api/sinks'),
  fleetMetrics: (scenario: Record<string, unknown>, signal?: AbortSignal) => request<FleetMetrics>('POST', '/api/fleet-metrics', { scenario }, signal),
  fleetMap: (scenario: Record<string, unknown>, signal?: AbortSignal) => request<FleetMap>('POST', '/api/fleet-map', { scenario }, signal),
  preview: (scenario: Record<string, unknown>, n: number, shape: 'flat' | 'nested', signal?: AbortSignal) =>
    request<{ records: ReadingRecord[] }>('POST', '/api/preview', { scenario, n, shape }, signal),
  jobs: () => request<JobRecord[]>('GET', '/api/jobs'),
  job: (id: string) => request<JobRecord>('GET', `/api/jobs/${encodeURIComponent(id)}`),
  startJob: (body: JobRequest) => request<JobRecord>('POST', '/api/jobs', body),
  stopJob: (id: string) => request<JobRecord>('POST', `/api/jobs/${encodeURIComponent(id)}/stop`),
  resumeJob: (id: string) => request<JobRecord>('POST', `/api/jobs/${encodeURIComponent(id)}/resume`),
  rerunJob: (id: string) => request<JobRecord>('POST', `/api/jobs/${encodeURIComponent(id)}/rerun`),
  recent: (id: string) => request<{ readings: ReadingRecord[] }>('GET', `/api/jobs/${encodeURIComponent(id)}/recent`),
  validate: (out: string) => request<ValidationReport>('POST', '/api/validate', { out }),
  verify: (jobId: string) => request<VerifyReport>('POST', '/api/verify', { jobId }),
  pipelineStatus: () => request<PipelineStatus>('GET', '/api/pipeline/status'),
  explore: (query: ExploreQuery, signal?: AbortSignal) => request<ExploreData>('GET', `/api/explore?${exploreParams(query)}`, undefined, signal),
  /** One Explore panel: the page asks for each on its own and draws each as it arrives. */
  explorePanel: <P extends ExplorePanel>(query: ExploreQuery, panel: P, signal?: AbortSignal) =>
    request<ExplorePanelAnswer<P>>('GET', `/api/explore?${exploreParams(query)}&panel=${panel}`, undefined, signal),
  exploreFiles: () => request<{ path: string; bytes: number; modified: string }[]>('GET', '/api/explore/files'),
};

/** Which output Explore reads: a job's DuckDB output or a file in the server's data directory; optionally a meter's week. */
export interface ExploreQuery {
  readonly job?: string;
  readonly path?: string;
  readonly meter?: string;
}

export const exploreParams = (query: ExploreQuery): string =>
  new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')).toString();

/** The same charts as one self-contained HTML file (forge report), served by the server for this output. */
export const reportHref = (query: ExploreQuery): string => `/api/explore/report?${exploreParams(query)}`;
/**
 * Live statistics of a job from its server-sent events. EventSource cannot send the bearer token, so the stream is
 * read with fetch. Calls onStats for each `stats` event and onEnd once with the final record; returns a stop function.
 */
export function watchJob(id: string, onStats: (stats: JobStats) => void, onEnd: (record: JobRecord) => void, onError: (error: Error) => void): () => void {
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(`/api/jobs/${encodeURIComponent(id)}/events`, { headers: headers(false), signal: controller.signal });
    if (!response.ok || !response.body) throw new ApiError(response.status, `HTTP_${response.status}`, `live statistics are unavailable (${response.status})`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(message)?.[1];
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (data === undefined) continue;
        if (event === 'stats') onStats(JSON.parse(data) as JobStats);
        else if (event === 'end') onEnd(JSON.parse(data) as JobRecord);
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) onError(error instanceof Error ? error : new Error(String(error)));
  });
  return () => controller.abort();
}
