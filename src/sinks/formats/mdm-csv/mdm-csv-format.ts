import { DATA_QUALITIES, EVENT_TYPES, type DataQuality, type EventType } from '../../../scenario/enums.js';
import { serviceAreaOf } from '../../../scenario/scenario.js';
import { ForgeError } from '../../../util/forge-error.js';
import type { ExchangeFormat, FormatGroup, FormatReadContext, FormatReading } from '../exchange-format.js';
import { instantMs, kwhText, localInstantText, voltText, wattHours, wattHoursOf } from '../format-values.js';

/** The columns of an MDM interval export, in order. */
export const MDM_COLUMNS = ['meter_id', 'channel', 'uom', 'interval_minutes', 'interval_end', 'value', 'quality', 'flags'] as const;
const HEADER = `${MDM_COLUMNS.join(',')}\n`;

/**
 * The channels a meter exports, as a head end configures an AMI residential/commercial meter: 1 energy delivered to
 * the customer (kWh, forward), 2 energy received from the customer (kWh, reverse: rooftop PV export; only meters with
 * PV or a negative reading that day have it), 3 average RMS voltage (V). Net usage_kwh = channel 1 - channel 2.
 */
export const MDM_CHANNELS = {
  delivered: { id: '1', uom: 'kWh' },
  received: { id: '2', uom: 'kWh' },
  voltage: { id: '3', uom: 'V' },
} as const;

/**
 * data_quality as the export's quality code, one letter each way (README: "MDM CSV"): A actual (VALID), E estimated
 * (ESTIMATED: the head end filled a gap), O outage (OUTAGE: no supply, zero energy and voltage), S suspect (ANOMALY:
 * failed a validation check; the flags say which event).
 */
export const MDM_QUALITY: Readonly<Record<DataQuality, string>> = { VALID: 'A', ESTIMATED: 'E', OUTAGE: 'O', ANOMALY: 'S' };

/**
 * event_type as the export's status flag, the two-letter codes head ends use; empty for no event.
 */
export const MDM_FLAGS: Readonly<Record<EventType, string>> = {
  OUTAGE: 'PO',
  LAST_GASP: 'LG',
  POWER_RESTORE: 'PR',
  ESTIMATED_READ: 'ER',
  USAGE_SPIKE: 'HU',
  VOLTAGE_SAG: 'VL',
  VOLTAGE_SWELL: 'VH',
  TAMPER: 'TA',
  METER_FAULT: 'MF',
};

const QUALITY_CODES = DATA_QUALITIES.map((q) => MDM_QUALITY[q]);
const FLAG_CODES = ['', ...EVENT_TYPES.map((e) => MDM_FLAGS[e])];
const QUALITY_OF = new Map<string, DataQuality>(DATA_QUALITIES.map((q) => [MDM_QUALITY[q], q]));
const EVENT_OF = new Map<string, EventType | null>([['', null], ...EVENT_TYPES.map((e) => [MDM_FLAGS[e], e] as [string, EventType])]);

/**
 * A flat MDM interval export, one row a meter, channel and interval, as head ends hand to an MDM (Itron, Landis+Gyr,
 * Oracle MDM import CSVs): sorted by meter, channel, interval end; interval_end is the interval's END in local time
 * with the UTC offset of that instant (unambiguous across DST changes: the repeated hour in November shows -05:00
 * then -06:00 in Chicago). One file per local date and part, all meters.
 */
export const mdmCsvFormat: ExchangeFormat = {
  name: 'mdm-csv',
  extension: 'csv',
  grouping: 'date',
  keeps: ['voltage', 'quality', 'outage', 'event'],
  *render(group: FormatGroup): Generator<string> {
    const { readings: r, fleet } = group;
    const zone = serviceAreaOf(group.scenario).timeZone;
    const stepMs = r.intervalMinutes * 60_000;
    const minutes = String(r.intervalMinutes);
    const ends = new Map<number, string>();
    yield HEADER;
    for (let k = 0; k < group.meters.length; k++) {
      const meter = group.meters[k]!;
      const id = csvField(fleet.meterIds[meter]!);
      const start = group.rowStart[k]!;
      const end = group.rowStart[k + 1]!;
      let exports = fleet.traits.pvKw[meter]! > 0;
      for (let i = start; i < end && !exports; i++) if (wattHours(r.usageKwh[i]!) < 0) exports = true;
      const lines: string[] = [];
      const channel = (spec: { id: string; uom: string }, value: (i: number) => string): void => {
        for (let i = start; i < end; i++) {
          const tail = `${QUALITY_CODES[r.dataQuality[i]!]},${FLAG_CODES[r.eventType[i]!]}`;
          lines.push(`${id},${spec.id},${spec.uom},${minutes},${localInstantText(zone, r.tsUtcMs[i]! + stepMs, ends)},${value(i)},${tail}\n`);
        }
      };
      channel(MDM_CHANNELS.delivered, (i) => kwhText(Math.max(0, wattHours(r.usageKwh[i]!))));
      if (exports) channel(MDM_CHANNELS.received, (i) => kwhText(Math.max(0, -wattHours(r.usageKwh[i]!))));
      channel(MDM_CHANNELS.voltage, (i) => voltText(r.voltage[i]!));
      yield lines.join('');
    }
  },
  read: readMdmCsv,
};

/** A meter id as a CSV field: quoted when it holds a comma, quote or line break. */
const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/** Splits a CSV line (RFC 4180 quoting). */
function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

interface Pending {
  meterId: string;
  startUtcMs: number;
  intervalMinutes: number;
  delivered: number;
  received: number;
  voltage: number | null;
  quality: DataQuality;
  event: EventType | null;
}

/**
 * Reads an MDM export back: a reading per meter and interval, usage = delivered - received (integer Wh / 1000, so the
 * generated double exactly), the voltage channel's value, the quality and flag codes back to data_quality and
 * event_type, is_outage from quality O. Rows of one reading's channels must agree on quality and flags.
 */
export function* readMdmCsv(text: string, _context?: FormatReadContext, source = 'mdm-csv file'): Generator<FormatReading> {
  const lines = text.split('\n');
  if (lines[0] !== HEADER.trimEnd()) throw bad(source, 1, `the header is not ${HEADER.trimEnd()}`);
  const readings = new Map<string, Pending>();
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === '') continue;
    const f = csvFields(line);
    if (f.length !== MDM_COLUMNS.length) throw bad(source, n + 1, `${f.length} fields, not ${MDM_COLUMNS.length}`);
    const [meterId, channel, uom, minutesText, endText, value, qualityCode, flag] = f as [string, string, string, string, string, string, string, string];
    const minutes = Number(minutesText);
    const endMs = instantMs(endText);
    const quality = QUALITY_OF.get(qualityCode);
    const event = EVENT_OF.get(flag);
    if (!Number.isInteger(minutes) || minutes <= 0 || Number.isNaN(endMs) || quality === undefined || event === undefined) {
      throw bad(source, n + 1, 'interval_minutes, interval_end, quality or flags is not valid');
    }
    const startUtcMs = endMs - minutes * 60_000;
    const key = `${meterId}\u0000${startUtcMs}`;
    let r = readings.get(key);
    if (!r) {
      r = { meterId, startUtcMs, intervalMinutes: minutes, delivered: 0, received: 0, voltage: null, quality, event };
      readings.set(key, r);
    } else if (r.quality !== quality || r.event !== event) throw bad(source, n + 1, `channel ${channel} disagrees with the reading's other channels on quality or flags`);
    const spec = Object.values(MDM_CHANNELS).find((c) => c.id === channel);
    if (!spec || spec.uom !== uom) throw bad(source, n + 1, `channel ${channel} in ${uom} is not one of 1 kWh, 2 kWh, 3 V`);
    if (channel === MDM_CHANNELS.voltage.id) {
      const volts = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isNaN(volts)) throw bad(source, n + 1, `voltage "${value}" is not a number`);
      r.voltage = volts;
    } else {
      const wh = wattHoursOf(value);
      if (Number.isNaN(wh) || wh < 0) throw bad(source, n + 1, `energy "${value}" is not a kWh value of at most three decimals, at least 0`);
      if (channel === MDM_CHANNELS.delivered.id) r.delivered = wh;
      else r.received = wh;
    }
  }
  for (const r of readings.values()) {
    yield {
      meterId: r.meterId,
      startUtcMs: r.startUtcMs,
      intervalMinutes: r.intervalMinutes,
      usageKwh: (r.delivered - r.received) / 1000,
      quality: r.quality,
      voltage: r.voltage,
      outage: r.quality === 'OUTAGE',
      event: r.event,
    };
  }
}

const bad = (source: string, line: number, reason: string): ForgeError => new ForgeError('FORGE_ERR_FORMAT_FILE', ['MDM CSV', source, `line ${line}: ${reason}`]);
