import { isoDate } from '../util/time-zone.js';
import type { FilesReadBack, ReadBackContextOfFiles } from '../sinks/sink-plugin.js';
import { DATA_QUALITIES } from '../scenario/enums.js';
import { eventCodeOf, KEEPS_EVENT, NULL_MASK, NULL_OUTAGE, NULL_POWER_FACTOR, NULL_QUALITY, NULL_TEMPERATURE, NULL_VOLTAGE } from './reading-record.js';
import { allocateSinkRows, type ReadingStore, type SinkRows } from './reading-store.js';

const CHUNK_ROWS = 65_536;
/** Local dates are within 14 hours of UTC (UTC-12 to UTC+14): the partitions a window of UTC instants can touch. */
const ZONE_REACH_MS = 14 * 3_600_000;
const DAY_MS = 86_400_000;
const QUALITY_CODES = new Map<string, number>(DATA_QUALITIES.map((q, i) => [q, i]));

/**
 * What a format keeps, as ReadingStore.projection: the null mask of the fields it does not keep (compared as null on
 * both sides: expectedRecords projects the generated readings the same way), plus KEEPS_EVENT when it keeps
 * event_type. Verify then compares usage and the kept fields only.
 */
export function projectionMask(keeps: FilesReadBack['keeps']): number {
  return (
    (keeps.includes('event') ? KEEPS_EVENT : 0) |
    NULL_POWER_FACTOR |
    NULL_TEMPERATURE |
    (keeps.includes('voltage') ? 0 : NULL_VOLTAGE) |
    (keeps.includes('quality') ? 0 : NULL_QUALITY) |
    (keeps.includes('outage') ? 0 : NULL_OUTAGE)
  );
}

/**
 * Readings of a sink's files (the exchange formats), read with the sink's own reader, partition by partition: a
 * request reads the local-date partitions its window can touch and keeps the rows of the meters asked for, sorted
 * by meter and time. Memory holds a request's partitions' rows of those meters (a few dozen bytes a row).
 */
export class FileReadingStore implements ReadingStore {
  readonly description: string;
  readonly projection: number;

  constructor(
    private readonly target: FilesReadBack,
    private readonly context: ReadBackContextOfFiles,
  ) {
    this.description = target.description;
    this.projection = projectionMask(target.keeps);
  }

  async *rows(meterIds: readonly string[], fromMs: number, toMs: number): AsyncIterable<SinkRows> {
    const position = new Map(meterIds.map((id, i) => [id, i]));
    const dates: string[] = [];
    for (let day = Math.floor((fromMs - ZONE_REACH_MS) / DAY_MS) * DAY_MS; day < toMs + ZONE_REACH_MS; day += DAY_MS) dates.push(isoDate(day));
    const meter: number[] = [];
    const ts: number[] = [];
    const usage: number[] = [];
    const voltage: number[] = [];
    const outage: number[] = [];
    const quality: number[] = [];
    const event: number[] = [];
    const nulls: number[] = [];
    for await (const r of this.target.readings(dates, this.context)) {
      const at = position.get(r.meterId);
      if (at === undefined || r.startUtcMs < fromMs || r.startUtcMs >= toMs) continue;
      meter.push(at);
      ts.push(r.startUtcMs);
      usage.push(r.usageKwh + 0);
      let mask = this.projection;
      const v = r.voltage ?? null;
      if (v === null) mask |= NULL_VOLTAGE;
      voltage.push(mask & NULL_VOLTAGE ? 0 : v!);
      const o = r.outage ?? null;
      if (o === null) mask |= NULL_OUTAGE;
      outage.push(mask & NULL_OUTAGE ? 0 : o ? 1 : 0);
      if (r.quality === null) mask |= NULL_QUALITY;
      quality.push(mask & NULL_QUALITY ? 0 : (QUALITY_CODES.get(r.quality!) ?? 255));
      event.push(this.projection & KEEPS_EVENT ? eventCodeOf(r.event ?? null) : 0);
      nulls.push(mask & NULL_MASK);
    }
    const order = Uint32Array.from(meter, (_, i) => i).sort((a, b) => meter[a]! - meter[b]! || ts[a]! - ts[b]!);
    const rows = allocateSinkRows(CHUNK_ROWS);
    for (let start = 0; start < order.length; start += CHUNK_ROWS) {
      const end = Math.min(order.length, start + CHUNK_ROWS);
      for (let k = start; k < end; k++) {
        const i = order[k]!;
        const j = k - start;
        rows.meter[j] = meter[i]!;
        rows.tsUs[j] = ts[i]! * 1000;
        rows.usage[j] = usage[i]!;
        rows.voltage[j] = voltage[i]!;
        rows.powerFactor[j] = 0;
        rows.temperature[j] = 0;
        rows.outage[j] = outage[i]!;
        rows.quality[j] = quality[i]!;
        rows.event[j] = event[i]!;
        rows.nulls[j] = nulls[i]!;
      }
      rows.length = end - start;
      yield rows;
    }
  }

  async close(): Promise<void> {}
}
