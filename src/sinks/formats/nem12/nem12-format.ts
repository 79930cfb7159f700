import { ForgeError } from '../../../util/forge-error.js';
import type { ExchangeFormat, FormatReadContext, FormatReading } from '../exchange-format.js';
import { nem12FromReadings, type Nem12Participants } from './nem12-group.js';
import { parseNem12 } from './nem12-parse.js';
import { nem12Readings } from './nem12-readings.js';
import { isNem12Interval, NEM12_INTERVALS } from './nem12-records.js';
import { renderNem12Chunks } from './nem12-render.js';

/** The MDFF header's participants when none are given (up to 10 characters each). */
export const NEM12_DEFAULT_FROM = 'FLUXFORGE';
export const NEM12_DEFAULT_TO = 'RETAILER';

/**
 * NEM12 as an exchange format (exchange-format.ts): one file per local date and part, all its meters (a "batch of
 * customers"), written by nem12-group.ts and nem12-render.ts, read back by nem12-parse.ts and nem12-readings.ts.
 * Read back exactly: usage (E1 - B1), data_quality and event_type (nem12-quality.ts), is_outage (data_quality OUTAGE);
 * voltage, power factor and temperature are not in NEM12.
 */
export function nem12Format(participants: Partial<Nem12Participants> = {}): ExchangeFormat {
  const from: Nem12Participants = { fromParticipant: participants.fromParticipant ?? NEM12_DEFAULT_FROM, toParticipant: participants.toParticipant ?? NEM12_DEFAULT_TO };
  return {
    name: 'nem12',
    extension: 'csv',
    grouping: 'date',
    keeps: ['quality', 'outage', 'event'],
    check(scenario) {
      if (!isNem12Interval(scenario.intervalMinutes)) {
        throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
          `--sink nem12: NEM12 (AEMO's meter data file format) has ${NEM12_INTERVALS.join(', ')}-minute intervals only, not ${scenario.intervalMinutes}; generate with --interval 5, 15 or 30`,
        ]);
      }
    },
    render: (group) => renderNem12Chunks(nem12FromReadings(group, from)),
    *read(text: string, context: FormatReadContext): Generator<FormatReading> {
      for (const r of nem12Readings(parseNem12(text), { area: context.scenario.area, fleet: context.fleet })) {
        yield { meterId: r.meterId, startUtcMs: r.startUtcMs, intervalMinutes: r.intervalMinutes, usageKwh: r.usageKwh, quality: r.quality, outage: r.quality === 'OUTAGE', event: r.event };
      }
    },
  };
}
