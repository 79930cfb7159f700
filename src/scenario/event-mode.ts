/**
 * Which grid events and labelled anomalies a scenario's fleet has (`events`, `--events`, `--quiet-fleet`):
 * - `natural`: the model's own rates (outages.ts, meter-anomalies.ts, `anomalyRate`), as a real fleet has them. A week
 *   of a hundred meters then often shows no outage, theft or meter fault at all.
 * - `demo`: the natural rates plus events scheduled so that every week of the scenario shows them: a transformer
 *   outage with its last gasp and restore, and three of each anomaly kind (theft, meter fault, communication gap,
 *   usage spike, voltage sag, voltage swell), and at least three PV and three EV homes (generator/demo-events.ts,
 *   fleet/demo-homes.ts). The default of the Quick Demo and SE Demo presets.
 * - `none`: a quiet fleet: no outages, storms, anomalies or estimated reads; every reading is VALID with no event
 *   (vacant premises still read zero: a vacancy is a customer's absence, not an event).
 */
export const EVENT_MODES = ['demo', 'natural', 'none'] as const;
export type EventMode = (typeof EVENT_MODES)[number];
export const isEventMode = (v: unknown): v is EventMode => EVENT_MODES.includes(v as EventMode);
