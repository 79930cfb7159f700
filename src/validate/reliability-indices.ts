/**
 * IEEE 1366 distribution reliability indices from sustained interruptions, with and without major event days.
 *
 * - SAIFI: customer interruptions / customers served. SAIDI: customer minutes of interruption / customers served.
 *   CAIDI: SAIDI / SAIFI, the mean time to restore an interrupted customer.
 * - Major event days (the 2.5 beta method): alpha and beta are the mean and standard deviation of ln(daily SAIDI) over
 *   the days with a positive SAIDI; a day is a major event day when its SAIDI exceeds T_MED = exp(alpha + 2.5 beta).
 *   The standard sets T_MED from the five years before the reporting year; a generated output is usually one year,
 *   so T_MED comes from the same days it classifies (IEEE 1366 allows fewer years when fewer are available).
 * - An interruption belongs to the local day it began on, with all its minutes, as the standard assigns an event to
 *   the day it starts.
 */
export interface Interruption {
  /** Local calendar day the interruption began, YYYY-MM-DD. */
  readonly day: string;
  readonly minutes: number;
}

export interface ReliabilityIndices {
  readonly interruptions: number;
  readonly customerMinutes: number;
  readonly saifi: number;
  readonly saidiMinutes: number;
  /** NaN when no customer was interrupted. */
  readonly caidiMinutes: number;
}

export interface MajorEventDay {
  readonly day: string;
  readonly saidiMinutes: number;
}

export interface ReliabilitySummary {
  readonly customers: number;
  /** Days covered, and those with a positive SAIDI (the ones the threshold is fitted on). */
  readonly days: number;
  readonly daysWithInterruptions: number;
  readonly all: ReliabilityIndices;
  readonly withoutMajorEvents: ReliabilityIndices;
  /** Null when fewer than two days had interruptions: no spread to fit a threshold on, so no major event day. */
  readonly threshold: { readonly alpha: number; readonly beta: number; readonly tMedMinutes: number } | null;
  readonly majorEventDays: readonly MajorEventDay[];
}

/** The 2.5 beta multiplier of IEEE 1366. */
const MED_BETA_MULTIPLIER = 2.5;

function indices(list: readonly Interruption[], customers: number): ReliabilityIndices {
  const minutes = list.reduce((s, i) => s + i.minutes, 0);
  const saifi = list.length / customers;
  const saidiMinutes = minutes / customers;
  return { interruptions: list.length, customerMinutes: minutes, saifi, saidiMinutes, caidiMinutes: list.length > 0 ? saidiMinutes / saifi : Number.NaN };
}

/**
 * The indices of `interruptions` (one per customer interruption) for `customers` customers served over `days` days,
 * with and without major event days. Throws a RangeError when there are no customers or no days: the indices divide by
 * them, and a report of nothing must not look like a perfect year.
 */
export function reliabilitySummary(interruptions: readonly Interruption[], customers: number, days: number): ReliabilitySummary {
  if (!(customers > 0) || !(days > 0)) throw new RangeError(`reliability indices need customers and days (got ${customers} customers, ${days} days)`);
  const daily = new Map<string, number>();
  for (const i of interruptions) daily.set(i.day, (daily.get(i.day) ?? 0) + i.minutes / customers);
  const logs = [...daily.values()].filter((v) => v > 0).map(Math.log);
  let threshold: ReliabilitySummary['threshold'] = null;
  if (logs.length >= 2) {
    const alpha = logs.reduce((s, v) => s + v, 0) / logs.length;
    const beta = Math.sqrt(logs.reduce((s, v) => s + (v - alpha) ** 2, 0) / (logs.length - 1));
    threshold = { alpha, beta, tMedMinutes: Math.exp(alpha + MED_BETA_MULTIPLIER * beta) };
  }
  const majorEventDays = threshold === null ? [] : [...daily.entries()]
    .filter(([, saidi]) => saidi > threshold.tMedMinutes)
    .map(([day, saidiMinutes]) => ({ day, saidiMinutes }))
    .sort((a, b) => a.day.localeCompare(b.day));
  const med = new Set(majorEventDays.map((d) => d.day));
  return {
    customers,
    days,
    daysWithInterruptions: logs.length,
    all: indices(interruptions, customers),
    withoutMajorEvents: indices(interruptions.filter((i) => !med.has(i.day)), customers),
    threshold,
    majorEventDays,
  };
}
