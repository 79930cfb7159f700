import type { Command } from 'commander';
import { FLEET_PRESETS, PRESETS } from '../../scenario/presets.js';
import { SERVICE_AREAS } from '../../scenario/service-areas.js';
import { formatTable } from '../format-table.js';
import { commandSummary } from '../command-list.js';

const n = (v: number): string => v.toLocaleString('en-US');
const pct = (v: number): string => `${Math.round(v * 100)}`;

export function registerPresetsCommand(program: Command): void {
  program
    .command('presets')
    .description(commandSummary('presets'))
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const presets = Object.values(PRESETS).map((p) => ({ ...p, rows: p.meters * p.days * (1440 / p.intervalMinutes) }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ presets, fleetPresets: Object.values(FLEET_PRESETS), serviceAreas: Object.values(SERVICE_AREAS) }, null, 2)}\n`);
        return;
      }
      const out = [
        'Presets (--preset)',
        formatTable(['name', 'title', 'meters', 'days', 'interval', 'rows', 'events (--events)'], presets.map((p) => [p.name, p.title, n(p.meters), n(p.days), `${p.intervalMinutes} min`, n(p.rows), p.events])),
        '',
        'Fleet presets (--fleet)',
        formatTable(['name', 'title', 'meters'], Object.values(FLEET_PRESETS).map((f) => [f.name, f.title, n(f.meters)])),
        '',
        'Service areas (--area)',
        formatTable(
          ['name', 'iso', 'time zone', 'centre', 'mix R/C/I %', 'climate (Jan/Jul mean C)'],
          Object.values(SERVICE_AREAS).map((a) => [
            a.name, a.iso, a.timeZone, `${a.city} (${a.latitude}, ${a.longitude})`,
            `${pct(a.mix.RESIDENTIAL)}/${pct(a.mix.COMMERCIAL)}/${pct(a.mix.INDUSTRIAL)}`,
            `${a.monthlyMeanC[0]} / ${a.monthlyMeanC[6]}`,
          ]),
        ),
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
