import type { FleetTopology } from '../../../fleet/fleet-topology.js';
import type { DataQuality, EventType } from '../../../scenario/enums.js';
import { SERVICE_AREAS, type ServiceAreaName } from '../../../scenario/service-areas.js';
import { ForgeError } from '../../../util/forge-error.js';
import { dayOfDate8, intervalStartUtcMs, standardOffsetMinutes } from './market-time.js';
import { qualityOfNem12, type Nem12Quality } from './nem12-quality.js';
import type { Nem12Day, Nem12File } from './nem12-records.js';
import { nmiIndex } from './nmi.js';

/** One reading as a NEM12 file gives it back. */
export interface Nem12Reading {
  readonly meterId: string;
  /** Interval start, epoch ms UTC. */
  readonly startUtcMs: number;
  readonly intervalMinutes: number;
  /** E1 - B1: energy delivered to the customer net of export, kWh (usage_kwh). */
  readonly usageKwh: number;
  readonly quality: DataQuality;
  readonly event: EventType | null;
}

/** What reading a file back needs besides the file: the area (its standard time) and the fleet (NMI -> meter). */
export interface Nem12Context {
  readonly area: ServiceAreaName;
  readonly fleet: FleetTopology;
}

/**
 * The readings of a parsed NEM12 file (parseNem12): for each NMI, each interval that is not N (null data) of its E1
 * and B1 datastreams, as usage = E1 - B1, with the quality of its E1 interval (nem12-quality.ts). NMIs in file order,
 * days and intervals in time order. An NMI the fleet does not know is FORGE_ERR_FORMAT_FILE.
 */
export function* nem12Readings(file: Nem12File, context: Nem12Context, source = 'NEM12 text'): Generator<Nem12Reading> {
  const area = SERVICE_AREAS[context.area];
  const meters = nmiIndex(context.fleet, area.code);
  const offsets = new Map<string, number>();
  const offsetOf = (year: string): number => {
    let offset = offsets.get(year);
    if (offset === undefined) offsets.set(year, (offset = standardOffsetMinutes(area.timeZone, Number(year))));
    return offset;
  };
  const byNmi = new Map<string, { e1: Nem12Day[]; b1: Nem12Day[]; intervalLength: number }>();
  for (const s of file.dataStreams) {
    let entry = byNmi.get(s.nmi);
    if (!entry) byNmi.set(s.nmi, (entry = { e1: [], b1: [], intervalLength: s.intervalLength }));
    if (entry.intervalLength !== s.intervalLength) throw new ForgeError('FORGE_ERR_FORMAT_FILE', ['NEM12', source, `NMI ${s.nmi} has datastreams of ${entry.intervalLength} and ${s.intervalLength} minutes`]);
    if (s.nmiSuffix === 'E1') entry.e1.push(...s.days);
    else if (s.nmiSuffix === 'B1') entry.b1.push(...s.days);
  }
  for (const [nmi, { e1, b1, intervalLength }] of byNmi) {
    const meter = meters.get(nmi);
    if (meter === undefined) throw new ForgeError('FORGE_ERR_FORMAT_FILE', ['NEM12', source, `NMI ${nmi} is not a meter of this fleet`]);
    const meterId = context.fleet.meterIds[meter]!;
    const exported = new Map(b1.map((d) => [d.intervalDate, d]));
    const dates = [...new Set([...e1.map((d) => d.intervalDate), ...b1.map((d) => d.intervalDate)])].sort();
    const imported = new Map(e1.map((d) => [d.intervalDate, d]));
    for (const date of dates) {
      const e = imported.get(date);
      const b = exported.get(date);
      const offset = offsetOf(date.slice(0, 4));
      const day = dayOfDate8(date);
      const eq = e ? intervalQualities(e) : undefined;
      const bq = b ? intervalQualities(b) : undefined;
      const n = (e ?? b)!.values.length;
      for (let k = 0; k < n; k++) {
        const quality = eq?.[k] ?? bq?.[k] ?? null;
        if (quality === null) continue;
        const usage = (e ? e.values[k]! : 0) - (b && bq?.[k] ? b.values[k]! : 0);
        yield { meterId, startUtcMs: intervalStartUtcMs(day, k, intervalLength, offset), intervalMinutes: intervalLength, usageKwh: usage, quality: quality.dataQuality, event: quality.event };
      }
    }
  }
}

/** Each interval's quality (null for N) from a day's 300 record, or from its 400 records. */
function intervalQualities(day: Nem12Day): (Nem12Quality | null)[] {
  const n = day.values.length;
  if (day.qualityMethod !== 'V') {
    const q = qualityOfNem12(day.qualityMethod, day.reasonCode, day.reasonDescription);
    return new Array<Nem12Quality | null>(n).fill(q);
  }
  const out = new Array<Nem12Quality | null>(n).fill(null);
  for (const e of day.events) {
    const q = qualityOfNem12(e.qualityMethod, e.reasonCode, e.reasonDescription);
    for (let k = e.startInterval - 1; k < e.endInterval; k++) out[k] = q;
  }
  return out;
}
