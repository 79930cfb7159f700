import { DuckDbSink } from '../sinks/duckdb/duckdb-sink.js';
import { FileSink } from '../sinks/files/file-sink.js';
import { defaultMqttUrl } from '../sinks/mqtt/mqtt-options.js';
import { MqttSink } from '../sinks/mqtt/mqtt-sink.js';
import { defaultNatsUrl } from '../sinks/nats/nats-options.js';
import { NatsSink } from '../sinks/nats/nats-sink.js';
import { PostgresSink } from '../sinks/postgres/postgres-sink.js';
import { DEFAULT_PG_TABLE, defaultPgUrl } from '../sinks/postgres/postgres-options.js';
import type { Sink, SinkStatus } from '../sinks/sink.js';
import { StageSink } from '../sinks/stage/stage-sink.js';
import { StdoutSink } from '../sinks/stdout/stdout-sink.js';
import { parseStageLocation } from '../stage/stage-location.js';
import type { OutputOptions, SinkName } from './output-options.js';

/** A sink losing its destination ('degraded', retrying) or getting it back ('recovered'). */
export interface SinkStatusEvent {
  readonly sink: string;
  readonly state: 'degraded' | 'recovered';
  readonly error?: string;
}

export interface SinkHooks {
  readonly onStatus?: (event: SinkStatusEvent) => void;
}

/** The composition root for sinks: the only module that knows the concrete sink classes. */
export function createSinks(options: OutputOptions, hooks: SinkHooks = {}): Sink[] {
  return options.sink.map((name) => createSink(name, options, hooks));
}

function createSink(name: SinkName, options: OutputOptions, hooks: SinkHooks): Sink {
  switch (name) {
    case 'duckdb':
      return new DuckDbSink({ ...(options.out ? { path: options.out } : {}), append: options.append });
    case 'parquet':
    case 'csv':
    case 'ndjson':
      return new FileSink({ format: name, ...(options.out ? { dir: options.out } : {}), shape: options.shape, append: options.append });
    case 'stdout':
      return new StdoutSink({ shape: options.shape });
    case 'postgres':
      return PostgresSink.fromTableName(options.pgTable ?? DEFAULT_PG_TABLE, {
        url: options.pgUrl ?? defaultPgUrl(),
        append: options.append,
        ...statusHook('postgres', hooks),
      });
    case 'mqtt':
      return new MqttSink({ url: options.mqttUrl ?? defaultMqttUrl(), ...statusHook('mqtt', hooks) });
    case 'stage':
      return new StageSink({
        location: parseStageLocation(options.stage!),
        format: options.stageFormat,
        gzip: options.stageGzip,
        ...(options.stageRollSeconds !== undefined ? { rollMs: Math.round(options.stageRollSeconds * 1000) } : {}),
        ...(options.stageRollRows !== undefined ? { rollRows: options.stageRollRows } : {}),
        ...(options.stageRollMb !== undefined ? { rollBytes: Math.round(options.stageRollMb * 2 ** 20) } : {}),
        s3: { ...(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}), ...(options.s3Region ? { region: options.s3Region } : {}) },
      });
    case 'nats':
      return new NatsSink({ url: options.natsUrl ?? defaultNatsUrl(), ...statusHook('nats', hooks) });
  }
}

/** The sink's onStatus option, reporting to the hooks under the sink's name. */
function statusHook(sink: string, hooks: SinkHooks): { onStatus?: (status: SinkStatus) => void } {
  const report = hooks.onStatus;
  if (!report) return {};
  return { onStatus: (s) => report({ sink, state: s.state, ...(s.state === 'degraded' ? { error: s.error } : {}) }) };
}
