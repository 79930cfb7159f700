import type { EventMode } from './event-mode.js';

/**
 * Job presets (meters x days at 15 minutes) and fleet presets (meters), as in the original product. The two demo
 * presets schedule visible events by default (`events: demo`, event-mode.ts) so a first run shows an outage and each
 * kind of anomaly; the enterprise and ML presets keep the natural rates, as data to test pipelines and train models on.
 */

export const PRESET_NAMES = ['quick', 'se', 'enterprise', 'ml'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
export const isPresetName = (v: unknown): v is PresetName => PRESET_NAMES.includes(v as PresetName);

export interface Preset {
  readonly name: PresetName;
  readonly title: string;
  readonly meters: number;
  readonly days: number;
  readonly intervalMinutes: 15;
  /** The scenario's `events` unless it sets its own. */
  readonly events: EventMode;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  quick: { name: 'quick', title: 'Quick Demo', meters: 100, days: 7, intervalMinutes: 15, events: 'demo' },
  se: { name: 'se', title: 'SE Demo', meters: 1_000, days: 90, intervalMinutes: 15, events: 'demo' },
  enterprise: { name: 'enterprise', title: 'Enterprise POC', meters: 5_000, days: 180, intervalMinutes: 15, events: 'natural' },
  ml: { name: 'ml', title: 'ML Training', meters: 10_000, days: 365, intervalMinutes: 15, events: 'natural' },
};

export const FLEET_PRESET_NAMES = ['demo-1k', 'substation-10k', 'district-50k', 'service-area-100k'] as const;
export type FleetPresetName = (typeof FLEET_PRESET_NAMES)[number];
export const isFleetPresetName = (v: unknown): v is FleetPresetName => FLEET_PRESET_NAMES.includes(v as FleetPresetName);

export interface FleetPreset {
  readonly name: FleetPresetName;
  readonly title: string;
  readonly meters: number;
}

export const FLEET_PRESETS: Readonly<Record<FleetPresetName, FleetPreset>> = {
  'demo-1k': { name: 'demo-1k', title: 'Demo 1K', meters: 1_000 },
  'substation-10k': { name: 'substation-10k', title: 'Substation 10K', meters: 10_000 },
  'district-50k': { name: 'district-50k', title: 'District 50K', meters: 50_000 },
  'service-area-100k': { name: 'service-area-100k', title: 'Service Area 100K', meters: 100_000 },
};
