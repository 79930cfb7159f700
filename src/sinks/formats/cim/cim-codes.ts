import { DATA_QUALITIES, EVENT_TYPES, type DataQuality, type EventType } from '../../../scenario/enums.js';

/**
 * IEC 61968-9 codes the CIM MeterReadings files use.
 *
 * A ReadingType's mRID is its 18 attribute codes joined by dots (61968-9 Annex C): macroPeriod . aggregate .
 * measuringPeriod . accumulation . flowDirection . commodity . measurementKind . interharmonic numerator .
 * denominator . argument numerator . denominator . TOU . CPP . consumptionTier . phases . multiplier . unit .
 * currency. "0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0" is 15-minute (2) delta data (4) forward (1) electricity
 * secondary metered (1) energy (12) in kWh (multiplier 3 = kilo, unit 72 = Wh).
 */

/** measuringPeriod (TimeAttribute) codes and names by interval length, minutes. */
export const MEASURING_PERIODS: Readonly<Record<number, { readonly code: number; readonly name: string }>> = {
  5: { code: 6, name: 'fiveMinute' },
  15: { code: 2, name: 'fifteenMinute' },
  30: { code: 5, name: 'thirtyMinute' },
  60: { code: 7, name: 'sixtyMinute' },
};

/** The channels a file holds: energy delivered and received (PV export), and the average voltage. */
export const CIM_CHANNELS = ['delivered', 'received', 'voltage'] as const;
export type CimChannel = (typeof CIM_CHANNELS)[number];

export interface CimReadingType {
  readonly mRID: string;
  readonly aliasName: string;
  readonly macroPeriod: string;
  readonly aggregate: string;
  readonly measuringPeriod: string;
  readonly accumulation: string;
  readonly flowDirection: string;
  readonly commodity: string;
  readonly measurementKind: string;
  readonly phases: string;
  readonly multiplier: string;
  readonly unit: string;
}

/**
 * The reading type of a channel at an interval length:
 * - delivered: 0.0.P.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0 (delta data, forward, energy, kWh: usage when positive);
 * - received: 0.0.P.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0 (the same, reverse: -usage when negative, PV export);
 * - voltage: 0.2.P.6.0.1.54.0.0.0.0.0.0.0.0.0.29.0 (average, indicating, voltage, V).
 */
export function readingType(channel: CimChannel, intervalMinutes: number): CimReadingType {
  const period = MEASURING_PERIODS[intervalMinutes];
  if (!period) throw new Error(`no CIM measuring period for ${intervalMinutes} minutes`);
  const p = period.code;
  if (channel === 'voltage') {
    return {
      mRID: `0.2.${p}.6.0.1.54.0.0.0.0.0.0.0.0.0.29.0`,
      aliasName: `${intervalMinutes}-minute average voltage (V)`,
      macroPeriod: 'none',
      aggregate: 'average',
      measuringPeriod: period.name,
      accumulation: 'indicating',
      flowDirection: 'none',
      commodity: 'electricitySecondaryMetered',
      measurementKind: 'voltage',
      phases: 'none',
      multiplier: 'none',
      unit: 'V',
    };
  }
  const forward = channel === 'delivered';
  return {
    mRID: `0.0.${p}.4.${forward ? 1 : 19}.1.12.0.0.0.0.0.0.0.0.3.72.0`,
    aliasName: `${intervalMinutes}-minute energy ${forward ? 'delivered (kWh, forward)' : 'received (kWh, reverse: PV export)'}`,
    macroPeriod: 'none',
    aggregate: 'none',
    measuringPeriod: period.name,
    accumulation: 'deltaData',
    flowDirection: forward ? 'forward' : 'reverse',
    commodity: 'electricitySecondaryMetered',
    measurementKind: 'energy',
    phases: 'none',
    multiplier: 'k',
    unit: 'Wh',
  };
}

/**
 * ReadingQualityType codes (61968-9 Annex D: system . category . index): system 1 end device, 2 metering data
 * collection (the head end); category 1 diagnostics, 2 power quality, 3 tamper, 5 reasonability, 8 estimated.
 * A reading's data_quality other than VALID is one ReadingQuality (no comment); its event_type another, whose comment
 * is the event's name (so it reads back exactly, several events sharing a code).
 */
export const QUALITY_CODES: Readonly<Record<Exclude<DataQuality, 'VALID'>, string>> = {
  ESTIMATED: '2.8.0', // estimated, generic
  OUTAGE: '1.2.32', // power quality: power fail
  ANOMALY: '2.5.258', // reasonability: suspect
};

export const EVENT_CODES: Readonly<Record<EventType, string>> = {
  OUTAGE: '1.2.32', // power fail
  LAST_GASP: '1.2.32',
  POWER_RESTORE: '1.2.0', // power quality flag
  ESTIMATED_READ: '2.8.0',
  USAGE_SPIKE: '2.5.256', // data outside expected range
  VOLTAGE_SAG: '1.2.0',
  VOLTAGE_SWELL: '1.2.0',
  TAMPER: '1.3.0', // revenue protection
  METER_FAULT: '1.1.0', // diagnostics flag
};

const QUALITY_BY_CODE = new Map<string, DataQuality>(Object.entries(QUALITY_CODES).map(([q, c]) => [c, q as DataQuality]));

/** The data_quality a quality code without comment stands for, or undefined. */
export const qualityOfCode = (code: string): DataQuality | undefined => QUALITY_BY_CODE.get(code);

export const isEventName = (name: string): name is EventType => (EVENT_TYPES as readonly string[]).includes(name);

/** Batch codes (scenario/enums.ts) as names. */
export const qualityName = (code: number): DataQuality => DATA_QUALITIES[code]!;
export const eventName = (code: number): EventType | null => (code === 0 ? null : EVENT_TYPES[code - 1]!);
