import type { JobRequest } from '../api.js';

export type Mode = 'batch' | 'stream';
export type Flow = 'duckdb' | 'files' | 'stage' | 'dual' | 'snowflake-streaming' | 'snowflake' | 'mqtt' | 'nats';

export interface FlowChoice {
  readonly flow: Flow;
  readonly title: string;
  readonly detail: string;
  /** Modes the flow can run in. */
  readonly modes: readonly Mode[];
}

export const FLOWS: readonly FlowChoice[] = [
  { flow: 'duckdb', title: 'DuckDB table', detail: 'Embedded warehouse, nothing to install: a star schema and the ami_readings view.', modes: ['batch', 'stream'] },
  { flow: 'files', title: 'Files', detail: 'Parquet, CSV or NDJSON, one file per local date.', modes: ['batch'] },
  { flow: 'stage', title: 'Stage landing + medallion', detail: 'Raw head-end files in a stage; forge serve --stage loads bronze, silver and gold.', modes: ['stream'] },
  { flow: 'dual', title: 'Dual write: DuckDB + Postgres', detail: 'Every batch committed by both; nothing lost, nothing doubled.', modes: ['batch', 'stream'] },
  { flow: 'snowflake-streaming', title: 'Real-time streaming to Snowflake', detail: 'Snowpipe Streaming (needs SNOWFLAKE_* credentials on the server).', modes: ['stream'] },
  { flow: 'snowflake', title: 'Snowflake table', detail: 'PUT to an internal stage, then COPY INTO (needs SNOWFLAKE_* credentials).', modes: ['batch', 'stream'] },
  { flow: 'mqtt', title: 'MQTT', detail: 'QoS 1, one topic per meter (broker on 127.0.0.1:1883 unless set).', modes: ['batch', 'stream'] },
  { flow: 'nats', title: 'NATS JetStream', detail: 'De-duplicated by message id (server on 127.0.0.1:4222 unless set).', modes: ['batch', 'stream'] },
];

/** Everything the Generate page lets a user set. */
export interface GenerateForm {
  readonly template: string;
  readonly mode: Mode;
  readonly flow: Flow;
  readonly meters: number;
  readonly days: number;
  readonly area: string;
  readonly segment: string;
  readonly interval: number;
  readonly emissionPattern: string;
  readonly seed: number;
  readonly speed: string;
  readonly duration: string;
  readonly out: string;
  readonly fileFormat: 'parquet' | 'csv' | 'ndjson';
  readonly stage: string;
  readonly brokerUrl: string;
}

/** The scenario part of a request: what the fleet metrics, the map and the preview are computed for. */
export function scenarioOf(form: GenerateForm): Record<string, unknown> {
  return {
    meters: form.meters,
    ...(form.mode === 'batch' ? { days: form.days } : {}),
    area: form.area,
    interval: form.interval,
    seed: form.seed,
    emissionPattern: form.emissionPattern,
    ...(form.segment ? { segment: form.segment } : {}),
  };
}

function outputOf(form: GenerateForm): Record<string, unknown> {
  switch (form.flow) {
    case 'duckdb':
      return { sink: ['duckdb'], out: form.out };
    case 'files':
      return { sink: [form.fileFormat], out: form.out };
    case 'stage':
      return { sink: ['stage'], stage: form.stage };
    case 'dual':
      return { sink: ['duckdb', 'postgres'], out: form.out };
    case 'snowflake-streaming':
      return { sink: ['snowflake'] };
    case 'snowflake':
      return { sink: ['snowflake-stage'] };
    case 'mqtt':
      return { sink: ['mqtt'], ...(form.brokerUrl ? { mqttUrl: form.brokerUrl } : {}) };
    case 'nats':
      return { sink: ['nats'], ...(form.brokerUrl ? { natsUrl: form.brokerUrl } : {}) };
  }
}

/** The body of POST /api/jobs for the form. */
export function requestOf(form: GenerateForm): JobRequest {
  return {
    kind: form.mode,
    scenario: scenarioOf(form),
    output: outputOf(form),
    ...(form.mode === 'stream' ? { stream: { speed: form.speed === 'max' ? 'max' : Number(form.speed), ...(form.duration ? { duration: form.duration } : {}) } } : {}),
  };
}

/**
 * A fresh output path per job, so a new job never meets an earlier job's tables. Relative: the server takes it under
 * its data directory (./forge-data unless started with --data-dir), where every path a request names must lie.
 */
export function freshOut(flow: Flow, template: string, format: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  if (flow === 'files') return `${format}/${template}-${stamp}`;
  return `${template}-${stamp}.duckdb`;
}
