import { DATA_QUALITIES, type DataQuality } from '../../../scenario/enums.js';

/**
 * The NAESB REQ.21 ESPI 3.3 codes this export uses (espi-usage-3.3.xsd enumerations; README "Green Button" maps them
 * to the reading's fields).
 */
export const ESPI = {
  /** ServiceKind: electricity. */
  serviceKindElectricity: 0,
  /** CommodityKind: electricity, secondary metered (the customer's meter). */
  commodityElectricity: 1,
  /** AccumulationKind: deltaData, each interval's own energy (not a register reading). */
  accumulationDeltaData: 4,
  /** DataQualifierKind: normal. */
  dataQualifierNormal: 12,
  /** FlowDirectionKind: forward (delivered to the customer) and reverse (received from the customer: PV export). */
  flowForward: 1,
  flowReverse: 19,
  /** MeasurementKind: energy. */
  kindEnergy: 12,
  /** UnitSymbolKind: Wh, and W for demand. */
  uomWh: 72,
  uomW: 38,
  /** TimePeriodOfInterest: none. */
  timeAttributeNone: 0,
  /** Currency: US dollar (ISO 4217). */
  currencyUsd: 840,
} as const;

/** QualityOfReading codes used. */
export const ESPI_QUALITY = {
  /** Passed all validation checks (the default: such readings carry no ReadingQuality). */
  valid: 0,
  /** Replaced by a machine-computed value from historical data of the same measurement. */
  estimatedFromHistory: 8,
  /** Failed one or more checks. */
  failedChecks: 10,
  /** "Other": ESPI has no outage code; the meter had no supply (value 0). */
  other: 16,
  /** Mixed characteristics (a day summary over readings of several qualities). */
  mixed: 13,
} as const;

/**
 * data_quality -> ReadingQuality/quality, one code each way: VALID has none (ESPI's default, 0), ESTIMATED 8, OUTAGE
 * 16 (with value 0), ANOMALY 10.
 */
export const QUALITY_CODE: Readonly<Record<DataQuality, number>> = {
  VALID: ESPI_QUALITY.valid,
  ESTIMATED: ESPI_QUALITY.estimatedFromHistory,
  OUTAGE: ESPI_QUALITY.other,
  ANOMALY: ESPI_QUALITY.failedChecks,
};

export const QUALITY_CODES: readonly number[] = DATA_QUALITIES.map((q) => QUALITY_CODE[q]);
export const QUALITY_OF_CODE: ReadonlyMap<number, DataQuality> = new Map(DATA_QUALITIES.map((q) => [QUALITY_CODE[q], q]));
