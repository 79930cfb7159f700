import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeCalibrationProfileFile } from '../../calibrate/calibration-profile-file.js';
import { fitCalibrationProfile } from '../../calibrate/fit-calibration.js';
import { parseReadingMap, readReadingSample, READING_FIELDS, type ReadingSample } from '../../calibrate/reading-sample.js';
import { isSegment } from '../../scenario/enums.js';
import { resolveServiceAreaName, type ServiceAreaName } from '../../scenario/service-areas.js';
import { copyPostgresReadings } from '../../sinks/postgres/postgres-readings.js';
import { ForgeError } from '../../util/forge-error.js';
import { commandSummary } from '../command-list.js';

const TEMPERATURE_SOURCE = {
  readings: "fitted against the readings' temperature_c",
  area: "fitted against the area's climate normals (the readings have no temperature_c)",
  none: 'not fitted (no temperature_c; give --area to fit against its climate normals)',
} as const;

const sensitivity = (t: { heatingPerDegree: number; heatingBalanceC: number; coolingPerDegree: number; coolingBalanceC: number } | null | undefined): string =>
  t ? `: heating ${(t.heatingPerDegree * 100).toFixed(1)}% of the mean per C below ${t.heatingBalanceC} C, cooling ${(t.coolingPerDegree * 100).toFixed(1)}% per C above ${t.coolingBalanceC} C` : '';

interface CalibrateFlags {
  readonly readings?: string;
  readonly pgUrl?: string;
  readonly table?: string;
  readonly map?: string;
  readonly segment?: string;
  readonly area?: string;
  readonly fleetFile?: string;
  readonly out: string;
  readonly json?: boolean;
}

export function registerCalibrateCommand(program: Command): void {
  program
    .command('calibrate')
    .description(commandSummary('calibrate'))
    .option('--readings <file>', 'readings: a CSV, Parquet or NDJSON file, or a DuckDB database file with --table (one row per meter and interval: meter id, interval start as local time, kWh; 15, 30 or 60 minutes)')
    .option('--table <name>', 'the table of readings: in the DuckDB file given with --readings, or in Postgres with --pg-url')
    .option('--pg-url <url>', 'read the readings from a Postgres table (--table) instead of a file, e.g. postgres://user@host:5432/db')
    .option('--map <field=column,...>', 'source columns of meter_id, ts, kwh and the optional segment and temperature_c (outdoor C: fits temperature sensitivity) when named otherwise, e.g. meter_id=METER_NO,ts=READ_START,kwh=KWH,temperature_c=TEMP')
    .option('--segment <segment>', 'segment of every meter when the readings have no segment column (default RESIDENTIAL)')
    .option('--fleet-file <file>', 'a fleet file (forge fleet import): each meter\'s segment from it; readings of meters it does not list are left out')
    .option('--area <name>', 'service area of the readings: its calendar (time zone, holidays) for the fitting runs (default TEXAS_GULF_COAST) and, when the readings have no temperature_c, its climate normals for the temperature sensitivity fit (none without --area)')
    .requiredOption('--out <file>', 'the profile to write: .json, or .yaml/.yml for YAML')
    .option('--json', 'print the fit report as JSON')
    .action(async (flags: CalibrateFlags) => {
      const segment = flags.segment?.trim().toUpperCase();
      if (segment !== undefined && !isSegment(segment)) {
        throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`segment: unknown segment "${flags.segment}" (expected RESIDENTIAL, COMMERCIAL or INDUSTRIAL)`]);
      }
      let area: ServiceAreaName | undefined;
      if (flags.area !== undefined) {
        const name = resolveServiceAreaName(flags.area);
        if (!name) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`area: unknown service area "${flags.area}"`]);
        area = name;
      }
      const map = flags.map !== undefined ? parseReadingMap(flags.map) : {};
      if ((flags.readings === undefined) === (flags.pgUrl === undefined)) {
        throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['readings: give either --readings <file> or --pg-url <url> with --table <name>']);
      }
      const common = { ...(segment !== undefined ? { segment } : {}), ...(flags.fleetFile !== undefined ? { fleetFile: flags.fleetFile } : {}) };
      let sample: ReadingSample;
      if (flags.pgUrl !== undefined) {
        if (flags.table === undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['table: --pg-url needs --table <name> (TABLE or SCHEMA.TABLE)']);
        // Postgres rows are copied to a private temporary CSV and read like any file, then the copy is removed.
        const dir = await mkdtemp(join(tmpdir(), 'forge-calibrate-'));
        try {
          const fields = READING_FIELDS.filter((f) => f === 'meter_id' || f === 'ts' || f === 'kwh' || map[f] !== undefined);
          const csv = join(dir, 'readings.csv');
          await copyPostgresReadings(flags.pgUrl, flags.table, fields.map((f) => ({ column: map[f] ?? f, as: f })), csv);
          sample = await readReadingSample({ path: csv, map: Object.fromEntries(fields.map((f) => [f, f])), label: `postgres table ${flags.table}`, ...common });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      } else {
        sample = await readReadingSample({ path: flags.readings!, ...(flags.table !== undefined ? { table: flags.table } : {}), map, ...common });
      }
      const { profile, fits } = await fitCalibrationProfile(sample, area ? { area, weatherArea: area } : {});
      await writeCalibrationProfileFile(profile, flags.out);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ out: flags.out, sample: { intervalMinutes: sample.intervalMinutes, days: sample.days, ...sample.report }, fits }, null, 2)}\n`);
        return;
      }
      const pct = (a: number, b: number): string => `${a / b - 1 >= 0 ? '+' : ''}${((a / b - 1) * 100).toFixed(1)}%`;
      const lines = [
        `Read ${sample.report.rows.toLocaleString('en-US')} readings of ${sample.report.meters} meters, ${sample.intervalMinutes}-minute, ${sample.days} whole days` +
          ` (${sample.report.metersDropped} meters left out with under 90% of their readings, ${sample.report.valuesFilled} gaps filled with the meter's mean at that hour` +
          `${flags.fleetFile !== undefined ? `, ${sample.report.metersNotInFleet} meters not in the fleet file left out` : ''})`,
      ];
      for (const fit of fits) {
        const m = fit.measured;
        const s = fit.simulated;
        lines.push(
          `${fit.segment}: ${m.households} meters; fitted run vs sample: CV of means ${s.householdMeanCv.toFixed(3)}/${m.householdMeanCv.toFixed(3)} (${pct(s.householdMeanCv, m.householdMeanCv)}), ` +
            `lag-1 ${s.lag1Autocorrelation.toFixed(3)}/${m.lag1Autocorrelation.toFixed(3)}, lag-48 ${s.lag48Autocorrelation.toFixed(3)}/${m.lag48Autocorrelation.toFixed(3)}, ` +
            `p95/mean ${s.p95ToMean.toFixed(2)}/${m.p95ToMean.toFixed(2)}, median/mean ${s.medianToMean.toFixed(3)}/${m.medianToMean.toFixed(3)}, max/mean ${s.maxToMean.toFixed(1)}/${m.maxToMean.toFixed(1)}; ` +
            `worst ${(fit.error * 100).toFixed(1)}%; temperature sensitivity ${TEMPERATURE_SOURCE[fit.temperatureSource ?? 'none']}${sensitivity(profile.segments[fit.segment]?.temperature)}`,
        );
      }
      lines.push(`Wrote ${flags.out} (aggregate parameters only: no reading, meter id or timestamp of the sample). Apply it with --profile ${flags.out}.`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
