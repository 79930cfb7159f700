import { createHash } from 'node:crypto';
import { DATA_QUALITIES } from '../../../scenario/enums.js';
import { serviceAreaOf } from '../../../scenario/scenario.js';
import type { FormatGroup } from '../exchange-format.js';
import { wattHours } from '../format-values.js';
import { localTimeParameters } from './dst-rules.js';
import { ESPI, ESPI_QUALITY, QUALITY_CODES } from './espi-codes.js';

/** The resource paths of the export (ESPI's RESTful names, relative: the export is a file, not an endpoint). */
const ROOT = '/espi/1_1/resource';
const ATOM_ENTRY = 'espi-entry';
const ATOM_FEED = 'espi-feed';
const OUTAGE = DATA_QUALITIES.indexOf('OUTAGE');
const VALID = DATA_QUALITIES.indexOf('VALID');

/** The MeterReading ids of a UsagePoint: energy delivered (forward) and received (reverse, PV export). */
export const READING_IDS = { forward: '1', reverse: '2' } as const;

/** XML text and attribute escaping. */
export const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A deterministic urn:uuid from names (RFC 9562 version 8, from SHA-256): the same meter, reading and day get the
 * same id in every export of the scenario, so a consumer can merge files by id.
 */
export function uuidOf(...names: string[]): string {
  const h = createHash('sha256').update(names.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex').toUpperCase();
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const epochSeconds = (ms: number): number => Math.floor(ms / 1000);
const atomTime = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

interface Entry {
  readonly id: string;
  readonly self: string;
  readonly up: string;
  readonly type: string;
  readonly related?: readonly { href: string; type: string }[];
  readonly title: string;
  readonly content: string;
}

function entry(e: Entry, stamp: string): string {
  const related = (e.related ?? []).map((r) => `<link rel="related" type="${r.type}" href="${xmlText(r.href)}"/>`).join('');
  return (
    `<entry><id>${e.id}</id><link rel="self" type="${ATOM_ENTRY}/${e.type}" href="${xmlText(e.self)}"/>` +
    `<link rel="up" type="${ATOM_FEED}/${e.type}" href="${xmlText(e.up)}"/>${related}<title>${xmlText(e.title)}</title>` +
    `<content>${e.content}</content><published>${stamp}</published><updated>${stamp}</updated></entry>\n`
  );
}

/** The interval lengths' ReadingType ids: one per direction and interval length, shared by every UsagePoint. */
const readingTypeId = (direction: 'forward' | 'reverse', minutes: number): string => `${direction === 'forward' ? 'WhDelivered' : 'WhReceived'}${minutes}`;

/**
 * One local date's readings of a batch of customers as a Green Button (NAESB REQ.21 ESPI 3.3) Atom feed, in the
 * order a Green Button download lists resources: the service area's LocalTimeParameters, the ReadingTypes (energy
 * delivered, flowDirection 1; energy received, flowDirection 19: net metering), then per customer its UsagePoint,
 * its MeterReading of delivered energy and that day's IntervalBlock, the same for received energy when the meter
 * has PV (or exported that day), and the day's UsageSummary. Values in Wh (uom 72, powerOfTenMultiplier 0):
 * usage_kwh is whole Wh, so nothing is lost. Time stamps come from the readings (no clock): the same scenario gives
 * the same bytes. Yields one customer at a time.
 */
export function* greenButtonFeed(group: FormatGroup): Generator<string> {
  const { readings: r, fleet, scenario } = group;
  const area = serviceAreaOf(scenario);
  const minutes = r.intervalMinutes;
  const seconds = minutes * 60;
  const n = r.length;
  // The feed's time: the end of its last interval (deterministic; Atom requires one).
  let lastEnd = 0;
  for (let i = 0; i < n; i++) lastEnd = Math.max(lastEnd, r.tsUtcMs[i]! + seconds * 1000);
  const stamp = atomTime(lastEnd);
  const year = Number(group.localDate.slice(0, 4));
  const ltp = localTimeParameters(area.timeZone, year);
  const ltpId = `${area.name}-${year}`;
  const ltpHref = `${ROOT}/LocalTimeParameters/${ltpId}`;
  const firstMeter = fleet.meterIds[group.meters[0]!] ?? '';
  const lastMeter = fleet.meterIds[group.meters[group.meters.length - 1]!] ?? '';

  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield '<feed xmlns="http://www.w3.org/2005/Atom">\n';
  yield `<id>${uuidOf('feed', area.name, group.localDate, firstMeter, lastMeter)}</id>\n`;
  yield `<title>Green Button usage, ${xmlText(area.name)}, ${group.localDate}, ${group.meters.length === 1 ? xmlText(firstMeter) : `${group.meters.length} customers`}</title>\n`;
  yield `<updated>${stamp}</updated>\n`;
  // A batch of customers is an ESPI bulk transfer; one customer's feed is that customer's UsagePoint collection.
  const feedHref = group.meters.length === 1 ? `${ROOT}/RetailCustomer/${encodeURIComponent(firstMeter)}/UsagePoint` : `${ROOT}/Batch/Bulk/${area.code}-${group.localDate}`;
  yield `<link rel="self" type="${ATOM_FEED}/UsagePoint" href="${xmlText(feedHref)}"/>\n`;
  yield entry(
    {
      id: uuidOf('LocalTimeParameters', ltpId),
      self: ltpHref,
      up: `${ROOT}/LocalTimeParameters`,
      type: 'LocalTimeParameters',
      title: `${area.timeZone} (${area.name})`,
      content: `<LocalTimeParameters xmlns="http://naesb.org/espi"><dstEndRule>${ltp.dstEndRule}</dstEndRule><dstOffset>${ltp.dstOffset}</dstOffset><dstStartRule>${ltp.dstStartRule}</dstStartRule><tzOffset>${ltp.tzOffset}</tzOffset></LocalTimeParameters>`,
    },
    stamp,
  );
  for (const direction of ['forward', 'reverse'] as const) {
    const id = readingTypeId(direction, minutes);
    yield entry(
      {
        id: uuidOf('ReadingType', id),
        self: `${ROOT}/ReadingType/${id}`,
        up: `${ROOT}/ReadingType`,
        type: 'ReadingType',
        title: `${minutes}-minute energy ${direction === 'forward' ? 'delivered (Wh)' : 'received, net metering export (Wh)'}`,
        content:
          `<ReadingType xmlns="http://naesb.org/espi"><accumulationBehaviour>${ESPI.accumulationDeltaData}</accumulationBehaviour><commodity>${ESPI.commodityElectricity}</commodity>` +
          `<currency>${ESPI.currencyUsd}</currency><dataQualifier>${ESPI.dataQualifierNormal}</dataQualifier><defaultQuality>${ESPI_QUALITY.valid}</defaultQuality>` +
          `<flowDirection>${direction === 'forward' ? ESPI.flowForward : ESPI.flowReverse}</flowDirection><intervalLength>${seconds}</intervalLength>` +
          `<kind>${ESPI.kindEnergy}</kind><powerOfTenMultiplier>0</powerOfTenMultiplier><timeAttribute>${ESPI.timeAttributeNone}</timeAttribute><uom>${ESPI.uomWh}</uom></ReadingType>`,
      },
      stamp,
    );
  }

  for (let k = 0; k < group.meters.length; k++) {
    const meter = group.meters[k]!;
    const start = group.rowStart[k]!;
    const end = group.rowStart[k + 1]!;
    if (end === start) continue;
    const meterId = fleet.meterIds[meter]!;
    const key = encodeURIComponent(meterId);
    const customer = `${ROOT}/RetailCustomer/${key}`;
    const usagePoint = `${customer}/UsagePoint/${key}`;
    const wh = new Float64Array(end - start);
    let exports = fleet.traits.pvKw[meter]! > 0;
    let delivered = 0;
    let net = 0;
    let peak = 0;
    let allValid = true;
    for (let i = start; i < end; i++) {
      const v = wattHours(r.usageKwh[i]!);
      wh[i - start] = v;
      if (v < 0) exports = true;
      if (v > 0) delivered += v;
      net += v;
      peak = Math.max(peak, v);
      if (r.dataQuality[i] !== VALID) allValid = false;
    }
    const dayStartMs = r.tsUtcMs[start]!;
    const dayEndMs = r.tsUtcMs[end - 1]! + seconds * 1000;
    const out: string[] = [];
    const related = [{ href: `${usagePoint}/MeterReading`, type: `${ATOM_FEED}/MeterReading` }, { href: ltpHref, type: `${ATOM_ENTRY}/LocalTimeParameters` }, { href: `${usagePoint}/UsageSummary`, type: `${ATOM_FEED}/UsageSummary` }];
    out.push(
      entry(
        {
          id: uuidOf('UsagePoint', meterId),
          self: usagePoint,
          up: `${customer}/UsagePoint`,
          type: 'UsagePoint',
          related,
          title: meterId,
          content: `<UsagePoint xmlns="http://naesb.org/espi"><ServiceCategory><kind>${ESPI.serviceKindElectricity}</kind></ServiceCategory></UsagePoint>`,
        },
        stamp,
      ),
    );
    for (const direction of exports ? (['forward', 'reverse'] as const) : (['forward'] as const)) {
      const readingId = READING_IDS[direction];
      const meterReading = `${usagePoint}/MeterReading/${readingId}`;
      const typeId = readingTypeId(direction, minutes);
      out.push(
        entry(
          {
            id: uuidOf('MeterReading', meterId, direction),
            self: meterReading,
            up: `${usagePoint}/MeterReading`,
            type: 'MeterReading',
            related: [{ href: `${meterReading}/IntervalBlock`, type: `${ATOM_FEED}/IntervalBlock` }, { href: `${ROOT}/ReadingType/${typeId}`, type: `${ATOM_ENTRY}/ReadingType` }],
            title: direction === 'forward' ? 'Energy delivered' : 'Energy received (net metering)',
            content: '<MeterReading xmlns="http://naesb.org/espi"/>',
          },
          stamp,
        ),
      );
      const readings: string[] = [];
      for (let i = start; i < end; i++) {
        const v = wh[i - start]!;
        const value = direction === 'forward' ? Math.max(0, v) : Math.max(0, -v);
        const q = r.dataQuality[i]!;
        const quality = q === VALID ? '' : `<ReadingQuality><quality>${QUALITY_CODES[q]}</quality></ReadingQuality>`;
        readings.push(`<IntervalReading>${quality}<timePeriod><duration>${seconds}</duration><start>${epochSeconds(r.tsUtcMs[i]!)}</start></timePeriod><value>${value + 0}</value></IntervalReading>`);
      }
      out.push(
        entry(
          {
            id: uuidOf('IntervalBlock', meterId, direction, group.localDate),
            self: `${meterReading}/IntervalBlock/${group.localDate}`,
            up: `${meterReading}/IntervalBlock`,
            type: 'IntervalBlock',
            title: group.localDate,
            content: `<IntervalBlock xmlns="http://naesb.org/espi"><interval><duration>${epochSeconds(dayEndMs) - epochSeconds(dayStartMs)}</duration><start>${epochSeconds(dayStartMs)}</start></interval>${readings.join('')}</IntervalBlock>`,
          },
          stamp,
        ),
      );
    }
    // The day's summary: energy delivered, net of PV export, and the peak interval as demand (W).
    const measurement = (uom: number, value: number): string => `<powerOfTenMultiplier>0</powerOfTenMultiplier><timeStamp>${epochSeconds(dayStartMs)}</timeStamp><uom>${uom}</uom><value>${value}</value>`;
    out.push(
      entry(
        {
          id: uuidOf('UsageSummary', meterId, group.localDate),
          self: `${usagePoint}/UsageSummary/${group.localDate}`,
          up: `${usagePoint}/UsageSummary`,
          type: 'UsageSummary',
          title: `Daily usage ${group.localDate}`,
          content:
            '<UsageSummary xmlns="http://naesb.org/espi">' +
            `<currentDayNetConsumption>${measurement(ESPI.uomWh, net + 0)}</currentDayNetConsumption><currentDayOverallConsumption>${measurement(ESPI.uomWh, delivered)}</currentDayOverallConsumption>` +
            `<peakDemand>${measurement(ESPI.uomW, Math.round((peak * 60) / minutes))}</peakDemand><qualityOfReading>${allValid ? ESPI_QUALITY.valid : ESPI_QUALITY.mixed}</qualityOfReading>` +
            `<statusTimeStamp>${epochSeconds(dayEndMs)}</statusTimeStamp><commodity>${ESPI.commodityElectricity}</commodity></UsageSummary>`,
        },
        stamp,
      ),
    );
    yield out.join('');
  }
  yield '</feed>\n';
}

/** is_outage as the feed tells it: the ReadingQuality of an outage. */
export const OUTAGE_QUALITY = QUALITY_CODES[OUTAGE]!;
