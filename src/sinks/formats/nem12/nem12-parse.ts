import { ForgeError } from '../../../util/forge-error.js';
import { intervalsPerDay, isNem12Interval, type Nem12B2bDetails, type Nem12DataStream, type Nem12Day, type Nem12File, type Nem12Header, type Nem12IntervalEvent } from './nem12-records.js';
import { eventsProblem, isDate8, isDateTime, isIntervalValue, qualityProblem } from './nem12-rules.js';

interface OpenDay {
  intervalDate: string;
  values: Float64Array;
  qualityMethod: string;
  reasonCode: number | undefined;
  reasonDescription: string | undefined;
  updateDateTime: string;
  msatsLoadDateTime: string | undefined;
  events: Nem12IntervalEvent[];
  b2b: Nem12B2bDetails[];
  line: number;
}

interface OpenStream extends Omit<Nem12DataStream, 'days'> {
  days: Nem12Day[];
}

/**
 * Reads a NEM12 file and checks the MDFF's rules as it goes, so a file that breaks one is refused (FORGE_ERR_FORMAT_FILE
 * naming the line) rather than half read:
 * - one 100 record, first, with VersionHeader NEM12 and a CCYYMMDDhhmm DateTime; one 900 record, last;
 * - a 200 record before its 300 records, with a 10-character NMI, its suffix in its NMIConfiguration, IntervalLength
 *   5, 15 or 30;
 * - a 300 record has 1440 / IntervalLength values (and all five fields after them, empty ones too), each non-negative without exponent, a real IntervalDate later than
 *   the previous one of its datastream, a sound QualityMethod and reason (nem12-rules.ts) and an UpdateDateTime;
 * - 400 records follow their 300 record (before its 500 records), exactly when it needs them, covering its day;
 * - 500 records follow a 300 record (or its 400 records).
 * Line ends may be CR LF or LF.
 */
export function parseNem12(text: string, source = 'NEM12 text'): Nem12File {
  const fail = (line: number, reason: string): never => {
    throw new ForgeError('FORGE_ERR_FORMAT_FILE', ['NEM12', source, `line ${line}: ${reason}`]);
  };
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let header: Nem12Header | null = null;
  let ended = false;
  const streams: OpenStream[] = [];
  let stream: OpenStream | null = null;
  let day: OpenDay | null = null;
  let afterB2b = false;

  const closeDay = (): void => {
    if (!day || !stream) return;
    const problem = eventsProblem(day, day.values.length);
    if (problem) fail(day.line, `300 record ${day.intervalDate}: ${problem}`);
    stream.days.push({ ...day });
    day = null;
    afterB2b = false;
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fields = lines[i]!.split(',');
    const indicator = fields[0]!;
    if (ended) fail(lineNo, 'a record after the 900 end record');
    if (header === null && indicator !== '100') fail(lineNo, `the file must start with a 100 header record, not "${indicator.slice(0, 10)}"`);
    switch (indicator) {
      case '100': {
        if (header !== null) fail(lineNo, 'a second 100 header record (one per file)');
        if (fields.length !== 5) fail(lineNo, `a 100 record has 5 fields, not ${fields.length}`);
        if (fields[1] !== 'NEM12') fail(lineNo, `VersionHeader "${fields[1]}" is not NEM12`);
        if (!isDateTime(fields[2]!, 12)) fail(lineNo, `header DateTime "${fields[2]}" is not CCYYMMDDhhmm`);
        header = { dateTime: fields[2]!, fromParticipant: fields[3]!, toParticipant: fields[4]! };
        break;
      }
      case '200': {
        closeDay();
        if (fields.length !== 10 && fields.length !== 9) fail(lineNo, `a 200 record has 10 fields, not ${fields.length}`);
        const [, nmi, configuration, registerId, suffix, streamId, serial, uom, length, nextRead] = fields as [string, string, string, string, string, string, string, string, string, string | undefined];
        if (!/^[A-Z0-9]{10}$/i.test(nmi)) fail(lineNo, `NMI "${nmi}" is not 10 characters`);
        if (!/^[A-Z0-9]{2}$/i.test(suffix) || !(configuration.match(/.{2}/g) ?? ([] as string[])).includes(suffix)) fail(lineNo, `NMI suffix "${suffix}" is not one of the NMIConfiguration "${configuration}"`);
        const intervalLength = Number(length);
        if (!/^\d+$/.test(length) || !isNem12Interval(intervalLength)) fail(lineNo, `IntervalLength "${length}" is not 5, 15 or 30`);
        if (uom === '') fail(lineNo, 'a 200 record needs a UOM');
        if (nextRead && !isDate8(nextRead)) fail(lineNo, `NextScheduledReadDate "${nextRead}" is not CCYYMMDD`);
        stream = {
          nmi,
          nmiConfiguration: configuration,
          registerId,
          nmiSuffix: suffix,
          mdmDataStreamIdentifier: streamId,
          meterSerialNumber: serial,
          uom,
          intervalLength: intervalLength as Nem12DataStream['intervalLength'],
          nextScheduledReadDate: nextRead || undefined,
          days: [],
        };
        streams.push(stream);
        break;
      }
      case '300': {
        closeDay();
        if (!stream) fail(lineNo, 'a 300 record before any 200 record');
        const n = intervalsPerDay(stream!.intervalLength);
        if (fields.length !== n + 7) fail(lineNo, `a 300 record of ${stream!.intervalLength}-minute data has ${n} values (${n + 7} fields), not ${fields.length - 7}`);
        const date = fields[1]!;
        if (!isDate8(date)) fail(lineNo, `IntervalDate "${date}" is not a CCYYMMDD date`);
        const previous = stream!.days[stream!.days.length - 1];
        if (previous && date <= previous.intervalDate) fail(lineNo, `IntervalDate ${date} is not after the previous 300 record's ${previous.intervalDate}`);
        const values = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          const v = fields[k + 2]!;
          if (!isIntervalValue(v)) fail(lineNo, `IntervalValue${k + 1} "${v.slice(0, 20)}" is not a non-negative decimal`);
          values[k] = Number(v);
        }
        const qualityMethod = fields[n + 2]!;
        const reason = reasonOf(fields[n + 3]!, lineNo, fail);
        const description = fields[n + 4] || undefined;
        const problem = qualityProblem(qualityMethod, reason, description, false);
        if (problem) fail(lineNo, problem);
        const update = fields[n + 5]!;
        if (!isDateTime(update, 14)) fail(lineNo, `UpdateDateTime "${update}" is not CCYYMMDDhhmmss`);
        const msats = fields[n + 6] || undefined;
        if (msats && !isDateTime(msats, 14)) fail(lineNo, `MSATSLoadDateTime "${msats}" is not CCYYMMDDhhmmss`);
        day = { intervalDate: date, values, qualityMethod, reasonCode: reason, reasonDescription: description, updateDateTime: update, msatsLoadDateTime: msats, events: [], b2b: [], line: lineNo };
        break;
      }
      case '400': {
        if (!day) fail(lineNo, 'a 400 record must follow a 300 record');
        if (afterB2b) fail(lineNo, 'a 400 record after a 500 record (400 records come first)');
        if (fields.length !== 6) fail(lineNo, `a 400 record has 6 fields, not ${fields.length}`);
        const [, start, end, qualityMethod, reasonText, description] = fields as [string, string, string, string, string, string];
        if (!/^\d+$/.test(start) || !/^\d+$/.test(end)) fail(lineNo, `StartInterval "${start}" and EndInterval "${end}" must be whole numbers`);
        day!.events.push({ startInterval: Number(start), endInterval: Number(end), qualityMethod, reasonCode: reasonOf(reasonText, lineNo, fail), reasonDescription: description || undefined });
        break;
      }
      case '500': {
        if (!day) fail(lineNo, 'a 500 record must follow a 300 record or its 400 records');
        if (fields.length !== 5) fail(lineNo, `a 500 record has 5 fields, not ${fields.length}`);
        const [, transCode, order, readDateTime, indexRead] = fields as [string, string, string, string, string];
        if (!/^[A-Z]$/.test(transCode)) fail(lineNo, `TransCode "${transCode}" is not one capital letter`);
        if (readDateTime && !isDateTime(readDateTime, 14)) fail(lineNo, `ReadDateTime "${readDateTime}" is not CCYYMMDDhhmmss`);
        day!.b2b.push({ transCode, retServiceOrder: order || undefined, readDateTime: readDateTime || undefined, indexRead: indexRead || undefined });
        afterB2b = true;
        break;
      }
      case '900': {
        closeDay();
        if (fields.length !== 1) fail(lineNo, 'a 900 record has no other field');
        ended = true;
        break;
      }
      default:
        fail(lineNo, `unknown record indicator "${indicator.slice(0, 10)}" (100, 200, 300, 400, 500 or 900)`);
    }
  }
  if (header === null) fail(1, 'an empty file (a NEM12 file starts with a 100 record)');
  if (!ended) fail(lines.length, 'the file must end with a 900 record');
  return { header: header!, dataStreams: streams };
}

function reasonOf(text: string, line: number, fail: (line: number, reason: string) => never): number | undefined {
  if (text === '') return undefined;
  if (!/^\d{1,3}$/.test(text)) fail(line, `ReasonCode "${text.slice(0, 10)}" is not a number`);
  return Number(text);
}
