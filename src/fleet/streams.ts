/**
 * Random stream identifiers. Each use of randomness has its own stream so that draws never collide and adding a
 * draw in one place never shifts another. Values are arbitrary but fixed forever: changing one changes the data.
 */
export const STREAM = {
  SEGMENT: 1,
  TOPOLOGY: 2,
  LOCATION_SUBSTATION: 3,
  LOCATION_FEEDER: 4,
  LOCATION_TRANSFORMER: 5,
  LOCATION_METER: 6,
  LEVEL: 7,
  TRAITS: 8,
  TRANSFORMER_RATING: 9,
  IMPORTED_METER: 10,
  /** Commercial buildings' CBECS size class (stratifiedSequence over the buildings of each type). */
  BUILDING_SIZE: 12,
  USAGE_NOISE: 101,
  READING_EVENTS: 102,
  WEATHER: 103,
  OUTAGE_TRANSFORMER: 104,
  OUTAGE_FEEDER: 105,
  STORM: 106,
  STORM_FEEDER: 107,
  SPIKE: 108,
  CLOUD: 109,
  EV_SESSION: 110,
  THEFT: 111,
  METER_FAULT: 112,
  COMM_GAP: 113,
  VACANCY: 114,
  ROUTINE: 115,
  EMISSION: 116,
  EMISSION_PHASE: 117,
  /** Demo events (`events: demo`): which meters, days and times the scheduled events take. */
  DEMO_EVENTS: 118,
  /** Demo fleets: where the homes topped up with PV or an EV start their walk. */
  DEMO_HOMES: 11,
} as const;
