import type { FleetInventory } from '../fleet/fleet-inventory.js';
import type { Scenario } from '../scenario/scenario.js';
import type { EmissionDay, StreamWindow } from './emission-day.js';
import type { EmissionSettings } from './emission-settings.js';

/** What a day worker starts with (emission-day-worker.ts). */
export interface DayWorkerData {
  readonly scenario: Scenario;
  /** An imported fleet's inventory: a worker cannot read the fleet file synchronously. */
  readonly inventory?: FleetInventory;
  readonly settings: EmissionSettings;
  readonly window: StreamWindow;
}

/** A worker's answer: the day made, or why not. */
export type DayReply = { readonly index: number; readonly day: EmissionDay; readonly error?: undefined } | { readonly index: number; readonly error: string; readonly day?: undefined };
