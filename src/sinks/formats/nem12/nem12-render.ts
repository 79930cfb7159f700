import { intervalsPerDay, type Nem12DataStream, type Nem12Day, type Nem12Header } from './nem12-records.js';
import { eventsProblem, isDate8, isDateTime, qualityProblem } from './nem12-rules.js';

/** Records end with CR LF, as CSV (RFC 4180) and the MDFF's CSV files do; the parser takes LF alone too. */
const EOL = '\r\n';

/** What the renderer takes: a header and the datastreams, which may be produced one at a time. */
export interface Nem12Source {
  readonly header: Nem12Header;
  readonly dataStreams: Iterable<Nem12DataStream>;
}

/**
 * A NEM12 file as text: 100, then each datastream's 200 with its 300 records (each followed by its 400 and 500
 * records), then 900. The MDFF's rules are asserted on the way (nem12-rules.ts): a file that breaks one is a bug here,
 * never written. The text is a pure function of `file` (no clock), so the same readings give the same bytes.
 */
export function renderNem12(file: Nem12Source): string {
  return [...renderNem12Chunks(file)].join('');
}

/** The same text as renderNem12, one chunk per datastream (memory: one datastream's text at a time). */
export function* renderNem12Chunks(file: Nem12Source): Generator<string> {
  const h = file.header;
  if (!isDateTime(h.dateTime, 12)) throw new Error(`NEM12 header DateTime ${h.dateTime} is not CCYYMMDDhhmm`);
  yield `100,NEM12,${h.dateTime},${field(h.fromParticipant, 10)},${field(h.toParticipant, 10)}${EOL}`;
  for (const stream of file.dataStreams) {
    const out: string[] = [];
    renderStream(stream, out);
    yield out.join(EOL) + EOL;
  }
  yield `900${EOL}`;
}

function renderStream(s: Nem12DataStream, out: string[]): void {
  if (!/^[A-Z0-9]{10}$/.test(s.nmi)) throw new Error(`NMI ${s.nmi} is not 10 characters A-Z, 0-9`);
  if (!s.nmiConfiguration.match(/.{2}/g)?.includes(s.nmiSuffix)) throw new Error(`NMI suffix ${s.nmiSuffix} is not in the NMIConfiguration ${s.nmiConfiguration}`);
  out.push(
    [200, s.nmi, s.nmiConfiguration, field(s.registerId, 10), field(s.nmiSuffix, 2), field(s.mdmDataStreamIdentifier, 2), field(s.meterSerialNumber, 12), field(s.uom, 5), s.intervalLength, s.nextScheduledReadDate ?? ''].join(','),
  );
  const n = intervalsPerDay(s.intervalLength);
  let previous = '';
  for (const day of s.days) {
    if (!isDate8(day.intervalDate)) throw new Error(`IntervalDate ${day.intervalDate} is not a CCYYMMDD date`);
    if (day.intervalDate <= previous) throw new Error(`300 records of ${s.nmi} ${s.nmiSuffix} out of date order: ${day.intervalDate} after ${previous}`);
    previous = day.intervalDate;
    renderDay(day, n, out);
  }
}

function renderDay(day: Nem12Day, n: number, out: string[]): void {
  if (day.values.length !== n) throw new Error(`300 record ${day.intervalDate} has ${day.values.length} values, not ${n}`);
  const problem = qualityProblem(day.qualityMethod, day.reasonCode, day.reasonDescription, false) ?? eventsProblem(day, n);
  if (problem) throw new Error(`300 record ${day.intervalDate}: ${problem}`);
  if (!isDateTime(day.updateDateTime, 14)) throw new Error(`UpdateDateTime ${day.updateDateTime} is not CCYYMMDDhhmmss`);
  const parts: string[] = new Array<string>(n + 7);
  parts[0] = '300';
  parts[1] = day.intervalDate;
  for (let i = 0; i < n; i++) parts[i + 2] = intervalValue(day.values[i]!);
  parts[n + 2] = day.qualityMethod;
  parts[n + 3] = day.reasonCode === undefined ? '' : String(day.reasonCode);
  parts[n + 4] = text(day.reasonDescription);
  parts[n + 5] = day.updateDateTime;
  parts[n + 6] = day.msatsLoadDateTime ?? '';
  out.push(parts.join(','));
  for (const e of day.events) {
    out.push(`400,${e.startInterval},${e.endInterval},${e.qualityMethod},${e.reasonCode ?? ''},${text(e.reasonDescription)}`);
  }
  for (const b of day.b2b) {
    out.push(`500,${field(b.transCode, 1)},${field(b.retServiceOrder ?? '', 15)},${b.readDateTime ?? ''},${field(b.indexRead ?? '', 15)}`);
  }
}

/**
 * An interval value as the MDFF wants it: non-negative, decimal places allowed, no exponent. The shortest text that
 * reads back as the same double (what String gives) unless that would be in exponent form.
 */
export function intervalValue(v: number): string {
  if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`NEM12 interval value ${v} is not a non-negative number`);
  const shortest = String(v);
  if (!shortest.includes('e')) return shortest;
  return v.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** A field of at most `max` characters with no delimiter in it. */
function field(value: string, max: number): string {
  if (value.length > max || /[,\r\n"]/.test(value)) throw new Error(`NEM12 field "${value}" is longer than ${max} characters or holds a delimiter`);
  return value;
}

/** Free text (ReasonDescription, up to 240 characters): a comma or line break would split the record, so none is written. */
function text(value: string | undefined): string {
  return value === undefined ? '' : field(value, 240);
}
