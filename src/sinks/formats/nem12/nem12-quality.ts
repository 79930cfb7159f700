import { DATA_QUALITIES, EVENT_TYPES, type DataQuality, type EventType } from '../../../scenario/enums.js';

/**
 * How a reading's data_quality and event_type become a NEM12 QualityMethod and ReasonCode, and back. Each pair the
 * generator makes has its own quality, so a file reads back to the same data_quality and event_type:
 *
 * | data_quality | event_type | QualityMethod | ReasonCode (Appendix E) |
 * |---|---|---|---|
 * | VALID | none | A | |
 * | VALID | POWER_RESTORE | A | 0, "Power restored" |
 * | OUTAGE | LAST_GASP | A | 79 Power Outage Alarm (the day gets 400 records, as the MDFF requires for A 79) |
 * | OUTAGE | OUTAGE | A | 43 Power Outage |
 * | ESTIMATED | ESTIMATED_READ | S15 (substituted, retrospective average like day) | 76 Communications Fault |
 * | ANOMALY | METER_FAULT | A | 0, "Meter fault" |
 * | ANOMALY | TAMPER | A | 60 Illegal Connection/Equipment Tampered |
 * | ANOMALY | USAGE_SPIKE | A | 74 High Consumption |
 * | ANOMALY | VOLTAGE_SAG | A | 0, "Voltage sag" |
 * | ANOMALY | VOLTAGE_SWELL | A | 0, "Voltage swell" |
 *
 * Outage, fault and anomaly intervals hold what the meter recorded (an outage's 0), so they are actual (A) with the
 * reason as information, which the MDFF allows for A; only the gap the head end filled with an expected value is a
 * substitute. A pair outside the table (none is generated) falls back to its data_quality's first row. Reading a file
 * from elsewhere, an unknown A is VALID, E, F or S is ESTIMATED, each without event.
 */
export interface Nem12Quality {
  readonly dataQuality: DataQuality;
  readonly event: EventType | null;
  readonly qualityMethod: string;
  readonly reasonCode?: number;
  readonly reasonDescription?: string;
}

export const NEM12_QUALITIES: readonly Nem12Quality[] = [
  { dataQuality: 'VALID', event: null, qualityMethod: 'A' },
  { dataQuality: 'VALID', event: 'POWER_RESTORE', qualityMethod: 'A', reasonCode: 0, reasonDescription: 'Power restored' },
  { dataQuality: 'OUTAGE', event: 'LAST_GASP', qualityMethod: 'A', reasonCode: 79 },
  { dataQuality: 'OUTAGE', event: 'OUTAGE', qualityMethod: 'A', reasonCode: 43 },
  { dataQuality: 'ESTIMATED', event: 'ESTIMATED_READ', qualityMethod: 'S15', reasonCode: 76 },
  { dataQuality: 'ANOMALY', event: 'METER_FAULT', qualityMethod: 'A', reasonCode: 0, reasonDescription: 'Meter fault' },
  { dataQuality: 'ANOMALY', event: 'TAMPER', qualityMethod: 'A', reasonCode: 60 },
  { dataQuality: 'ANOMALY', event: 'USAGE_SPIKE', qualityMethod: 'A', reasonCode: 74 },
  { dataQuality: 'ANOMALY', event: 'VOLTAGE_SAG', qualityMethod: 'A', reasonCode: 0, reasonDescription: 'Voltage sag' },
  { dataQuality: 'ANOMALY', event: 'VOLTAGE_SWELL', qualityMethod: 'A', reasonCode: 0, reasonDescription: 'Voltage swell' },
];

/** An interval without a reading in the file: quality N (null data), value 0. */
export const NULL_STATE = 0;

const EVENT_SLOTS = EVENT_TYPES.length + 1;

/** (data_quality code, event code) -> 1 + index into NEM12_QUALITIES. */
const STATE_OF: Uint8Array = (() => {
  const table = new Uint8Array(DATA_QUALITIES.length * EVENT_SLOTS);
  for (let q = 0; q < DATA_QUALITIES.length; q++) {
    const fallback = NEM12_QUALITIES.findIndex((e) => e.dataQuality === DATA_QUALITIES[q]);
    for (let ev = 0; ev < EVENT_SLOTS; ev++) {
      const event = ev === 0 ? null : EVENT_TYPES[ev - 1]!;
      const exact = NEM12_QUALITIES.findIndex((e) => e.dataQuality === DATA_QUALITIES[q] && e.event === event);
      table[q * EVENT_SLOTS + ev] = 1 + (exact >= 0 ? exact : fallback);
    }
  }
  return table;
})();

/** The state (1 + index into NEM12_QUALITIES) of a reading with these batch codes (scenario/enums.ts). */
export const nem12State = (dataQuality: number, eventType: number): number => STATE_OF[dataQuality * EVENT_SLOTS + eventType]!;

/** A quality of a file (300 or 400 record) as data_quality and event_type; null for N (no reading). */
export function qualityOfNem12(qualityMethod: string, reasonCode: number | undefined, reasonDescription: string | undefined): Nem12Quality | null {
  const flag = qualityMethod.charAt(0);
  if (flag === 'N') return null;
  const exact = NEM12_QUALITIES.find((e) => e.qualityMethod === qualityMethod && e.reasonCode === reasonCode && e.reasonDescription === reasonDescription);
  if (exact) return exact;
  const dataQuality: DataQuality = flag === 'A' ? 'VALID' : 'ESTIMATED';
  return { dataQuality, event: null, qualityMethod, reasonCode, reasonDescription } as Nem12Quality;
}
