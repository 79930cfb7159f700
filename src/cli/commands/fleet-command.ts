import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { FleetImporter, type ImportReport, type InventoryRow } from '../../fleet/fleet-import.js';
import { parseFleetMap } from '../../fleet/fleet-mapping.js';
import { DEFAULT_AREA, DEFAULT_SEED } from '../../scenario/scenario.js';
import { resolveServiceAreaName } from '../../scenario/service-areas.js';
import { readPostgresInventory } from '../../sinks/postgres/postgres-inventory.js';
import { ForgeError } from '../../util/forge-error.js';
import { writeFleetFile } from '../../warehouse/fleet-file.js';
import { readInventory } from '../../warehouse/inventory-source.js';
import { formatTable } from '../format-table.js';
import { readConfigFile } from '../scenario-flags.js';
import { commandSummary } from '../command-list.js';

interface ImportFlags {
  out?: string;
  table?: string;
  pgUrl?: string;
  map?: string;
  config?: string;
  seed?: string;
  area?: string;
  skipBadRows?: boolean;
  force?: boolean;
  json?: boolean;
}

const n = (v: number): string => v.toLocaleString('en-US');

export function registerFleetCommand(program: Command): void {
  const fleet = program.command('fleet').description(commandSummary('fleet'));
  fleet
    .command('import [source]')
    .description('read a meter inventory (CSV, Parquet, NDJSON, a DuckDB table, or a Postgres table with --pg-url) and write a fleet file (Parquet) with an import report')
    .option('--out <file>', 'the fleet file to write (default fleet.parquet)')
    .option('--table <name>', 'the table, when the source is a DuckDB file or Postgres (TABLE or SCHEMA.TABLE)')
    .option('--pg-url <url>', 'read the inventory from this Postgres database\'s --table (no source file)')
    .option('--map <field=COLUMN,...>', 'which column gives each field, e.g. meter_id=METER_NO,transformer_id=XFMR (fields: meter_id, transformer_id, feeder_id, substation_id, latitude, longitude, segment, building_type, rate_class, service_area, pv_kw, ev, transformer_kva, install_date)')
    .option('--config <file>', 'JSON or YAML with source, table, map (an object), out, seed, area, skipBadRows; flags override it')
    .option('--seed <n>', 'seed of what the model fills in (default 42)')
    .option('--area <name>', 'service area when the inventory has no service_area column (default TEXAS_GULF_COAST)')
    .option('--skip-bad-rows', 'write the good rows and report the bad ones (default: a bad row writes nothing)')
    .option('--force', 'overwrite an existing fleet file')
    .option('--json', 'print the report as JSON')
    .action(async (source: string | undefined, flags: ImportFlags) => {
      const config = flags.config ? await readConfigFile(flags.config) : {};
      const pgUrl = flags.pgUrl ?? (typeof config.pgUrl === 'string' ? config.pgUrl : undefined);
      const tableName = flags.table ?? (typeof config.table === 'string' ? config.table : undefined);
      if (pgUrl !== undefined && tableName === undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['table: --pg-url needs --table']);
      const from = pgUrl !== undefined ? `postgres table ${tableName}` : (source ?? (typeof config.source === 'string' ? config.source : undefined));
      if (pgUrl !== undefined && source !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['source: give a source file or --pg-url, not both']);
      if (!from) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['source: name the inventory to import (a file, a DuckDB file with --table, or --pg-url with --table)']);
      const out = flags.out ?? (typeof config.out === 'string' ? config.out : 'fleet.parquet');
      const table = flags.table ?? (typeof config.table === 'string' ? config.table : undefined);
      const map = parseFleetMap(flags.map ?? (config.map as Record<string, string> | undefined));
      const seedText = flags.seed ?? config.seed;
      const seed = seedText === undefined ? DEFAULT_SEED : Number(seedText);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`seed: ${String(seedText)} is not a whole number from 0 to 4294967295`]);
      const areaText = flags.area ?? (typeof config.area === 'string' ? config.area : undefined);
      const area = areaText === undefined ? DEFAULT_AREA : resolveServiceAreaName(areaText);
      if (!area) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`area: unknown service area "${areaText}"`]);
      if (!flags.force && (await exists(out))) throw new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [out]);

      const importer = new FleetImporter({ seed, area, skipBadRows: flags.skipBadRows ?? config.skipBadRows === true });
      const add = (row: InventoryRow, line: number): void => importer.add(row, line);
      if (pgUrl !== undefined) await readPostgresInventory(pgUrl, tableName!, map, add);
      else await readInventory(from, { ...(table !== undefined ? { table } : {}), map }, add);
      const { fleet: imported, report } = importer.finish();
      if (!imported) {
        process.stderr.write(`${formatReport(report, null)}\n`);
        const why = report.problems > 0 ? `${n(report.problems)} problem${report.problems === 1 ? '' : 's'} in the inventory (listed above); nothing written (--skip-bad-rows keeps the good rows)` : 'no meters in the inventory';
        throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [from, why]);
      }
      const sha256 = await writeFleetFile(out, imported);
      process.stdout.write(flags.json ? `${JSON.stringify({ out, sha256, ...report }, null, 2)}\n` : `${formatReport(report, out)}\n`);
    });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function formatReport(report: ImportReport, out: string | null): string {
  const lines = [
    `Rows read ${n(report.rowsRead)}, meters ${n(report.meters)}${report.skippedRows ? `, bad rows skipped ${n(report.skippedRows)}` : ''}; area ${report.area}`,
  ];
  if (out) lines.push(`Wrote ${out}: ${n(report.transformers)} transformers, ${n(report.feeders)} feeders, ${n(report.substations)} substations`);
  lines.push('', formatTable(['column', 'given', 'filled by the model', 'how'], report.columns.map((c) => [c.column, n(c.given), n(c.filled), c.given === report.meters && out ? '' : c.how])));
  if (report.problemList.length > 0) {
    lines.push('', `Problems (${n(report.problems)}${report.problems > report.problemList.length ? `, first ${report.problemList.length} shown` : ''})`);
    lines.push(formatTable(['line', 'column', 'reason'], report.problemList.map((p) => [String(p.line), p.column, p.reason])));
  }
  return lines.join('\n');
}
