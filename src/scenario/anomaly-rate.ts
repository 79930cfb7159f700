import { z } from 'zod';

/**
 * The injected anomalies a scenario can make rarer or more frequent (`anomalyRate`, `--anomaly-rate`). Each rate is
 * the chance per meter and day that an event of the kind starts, whatever the interval: a theft episode, a meter
 * fault, a communication gap, an unexplained usage spike, a voltage sag or swell. A kind not given keeps the
 * model's own rate (meter-anomalies.ts), so a scenario without the key generates exactly what it did before.
 */
export const ANOMALY_KINDS = ['theft', 'meter_fault', 'comm_gap', 'usage_spike', 'voltage_sag', 'voltage_swell'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
export const isAnomalyKind = (v: unknown): v is AnomalyKind => ANOMALY_KINDS.includes(v as AnomalyKind);

export type AnomalyRates = Readonly<Partial<Record<AnomalyKind, number>>>;

const FORM = `expected a rate per meter-day (0 to 1) for every kind, or kind=rate pairs like theft=0.002,meter_fault=0.001 (kinds: ${ANOMALY_KINDS.join(', ')})`;

const rate = z.number({ error: FORM }).min(0, 'a rate is at least 0').max(1, 'a rate is at most 1 (one event a meter-day)');

/** Turns `0.01` (every kind) or `theft=0.002,meter_fault=0.001` into an object; anything else passes to the object schema. */
function fromText(v: unknown): unknown {
  if (typeof v === 'number') return Object.fromEntries(ANOMALY_KINDS.map((k) => [k, v]));
  if (typeof v !== 'string') return v;
  const text = v.trim();
  if (text !== '' && !Number.isNaN(Number(text))) return Object.fromEntries(ANOMALY_KINDS.map((k) => [k, Number(text)]));
  const out: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/i.exec(part);
    if (!m) return v;
    const value = Number(m[2]);
    out[m[1]!.toLowerCase()] = Number.isNaN(value) ? m[2] : value;
  }
  return out;
}

export const anomalyRateSchema = z.preprocess(
  fromText,
  z.strictObject(Object.fromEntries(ANOMALY_KINDS.map((k) => [k, rate.optional()])) as Record<AnomalyKind, z.ZodOptional<typeof rate>>, { error: FORM }),
);

/** The text form `--anomaly-rate` takes, e.g. `theft=0.002,meter_fault=0.001` (for summaries and job records). */
export function anomalyRateText(rates: AnomalyRates): string {
  return ANOMALY_KINDS.filter((k) => rates[k] !== undefined).map((k) => `${k}=${rates[k]}`).join(',');
}
