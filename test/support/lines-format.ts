import { DATA_QUALITIES } from '../../src/scenario/enums.js';
import type { ExchangeFormat, FormatGroup, FormatReading } from '../../src/sinks/formats/exchange-format.js';

/**
 * A toy exchange format: one line a reading, values as JavaScript prints them (lossless). Enough to check what the
 * exchange-format base (sinks/formats/format-sink.ts) guarantees whatever the format, and to run it through the sink
 * contract with the fixture's values, which are not whole watt-hours as the real formats write them.
 */
export function linesFormat(grouping: 'date' | 'customer-day', check?: ExchangeFormat['check']): ExchangeFormat {
  return {
    name: 'lines',
    extension: 'txt',
    grouping,
    keeps: ['quality'],
    ...(check ? { check } : {}),
    *render(group: FormatGroup) {
      yield `# ${group.localDate} ${group.meters.length} meters\n`;
      const r = group.readings;
      for (let i = 0; i < r.length; i++) {
        yield `${group.fleet.meterIds[r.meterIndex[i]!]},${r.tsUtcMs[i]},${r.intervalMinutes},${r.usageKwh[i]},${DATA_QUALITIES[r.dataQuality[i]!]}\n`;
      }
    },
    *read(text: string): Generator<FormatReading> {
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const [meterId, ts, minutes, usage, quality] = line.split(',');
        yield { meterId: meterId!, startUtcMs: Number(ts), intervalMinutes: Number(minutes), usageKwh: Number(usage), quality: quality as FormatReading['quality'] };
      }
    },
  };
}

