import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerVerifyCommand } from '../../src/cli/commands/verify-command.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { JobStore, type JobRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { expectedRows, scenarioToInput } from '../../src/scenario/scenario.js';
import { isForgeError } from '../../src/util/forge-error.js';
import type { VerifyReport } from '../../src/verify/verify-sink.js';
import { VERIFIABLE_TEXT } from '../../src/verify/verify-targets.js';
import { runForge } from '../support/run-forge.js';
import { at, COUNT_IN_WINDOW, duckNumber, tamperDuckDb, tamperPlan, tsText, verifyScenario, withDuckDb, writeDuckDb } from '../support/verify.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `forge verify ARGS` in this process, as main.ts runs it: stdout captured, a ForgeError printed as main prints it and
 * mapped to its exit code, a usage error to 2.
 */
async function runVerify(args: readonly string[]): Promise<Run> {
  const program = new Command('forge').exitOverride();
  registerVerifyCommand(program);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeErr: () => undefined });
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'forge', 'verify', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (isForgeError(error)) return { code: error.exitCode, stdout, stderr: `${stderr}forge: ${error.message} [${error.code}]\n` };
    if (error instanceof CommanderError) return { code: 2, stdout, stderr: `${stderr}${error.message}` };
    throw error;
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

const scenario = verifyScenario();
const meterIds = buildFleet(scenario).meterIds;
const FLAGS = ['--meters', '30', '--days', '2', '--start', '2026-03-07', '--seed', '11'];
const n = (v: number): string => v.toLocaleString('en-US');

let dir: string;
let clean: string;
let tampered: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'forge-verify-cli-'));
  clean = join(dir, 'clean.duckdb');
  tampered = join(dir, 'tampered.duckdb');
  await writeDuckDb(clean, scenario);
  await writeDuckDb(tampered, scenario);
  await tamperDuckDb(tampered, tamperPlan(meterIds, scenario));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function jobRecord(overrides: Partial<JobRecord> & Pick<JobRecord, 'jobId'>): JobRecord {
  return {
    kind: 'batch',
    status: 'completed',
    pid: process.pid,
    createdAt: '2026-03-10T00:00:00.000Z',
    updatedAt: '2026-03-10T00:00:00.000Z',
    finishedAt: '2026-03-10T00:00:00.000Z',
    scenario: scenarioToInput(scenario),
    output: parseOutputOptions({ sink: 'duckdb', out: clean }),
    stream: null,
    emission: null,
    stats: { generated: expectedRows(scenario), delivered: expectedRows(scenario), rowsPerSecond: 0, sinks: [] },
    errors: [],
    ...overrides,
  };
}

describe('forge verify with scenario flags', () => {
  it('exits 0 on clean output and prints the counts', async () => {
    const run = await runVerify([...FLAGS, '--sink', 'duckdb', '--out', clean]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Verify duckdb ${clean}: 2026-03-07T06:00:00Z to 2026-03-09T06:00:00Z`);
    expect(run.stdout).toContain(`expected ${n(expectedRows(scenario))}  found ${n(expectedRows(scenario))}  missing 0  duplicates 0  differing 0  unexpected 0`);
    expect(run.stdout).toContain('OK: every expected reading is there exactly once');
  });

  it('prints parseable JSON with --json', async () => {
    const run = await runVerify([...FLAGS, '--out', clean, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; reports: VerifyReport[] };
    expect(out.ok).toBe(true);
    expect(out.reports).toHaveLength(1);
    expect(out.reports[0]).toMatchObject({ target: `duckdb ${clean}`, expected: expectedRows(scenario), found: expectedRows(scenario), ok: true });
  });

  it('exits 1 with FORGE_ERR_VERIFY_FAILED on tampered output, listing the meter-days', async () => {
    const run = await runVerify([...FLAGS, '--out', tampered]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `forge: Verification of duckdb ${tampered} found problems: 3 missing, 1 duplicate, 1 differing, 1 unexpected in 4 of 90 meter-days [FORGE_ERR_VERIFY_FAILED]\n`,
    );
    expect(run.stdout).toContain('FAILED: 3 missing, 1 duplicate, 1 differing, 1 unexpected in 4 of 90 meter-days; all:');
    const plan = tamperPlan(meterIds, scenario);
    for (const id of [plan.delete.meterId, plan.duplicate.meterId, plan.change.meterId, plan.offGrid.meterId]) expect(run.stdout).toContain(id);
    expect(run.stdout).toMatch(new RegExp(`${plan.change.meterId} \\S+Z: usage_kwh \\S+ -> \\S+`));

    const json = await runVerify([...FLAGS, '--out', tampered, '--json']);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as { ok: boolean; reports: VerifyReport[] };
    expect(out.ok).toBe(false);
    expect(out.reports[0]).toMatchObject({ missing: 3, duplicates: 1, differing: 1, unexpected: 1, problemMeterDays: 4 });
  });

  it('checks only the window given by --from and --to', async () => {
    const run = await runVerify([...FLAGS, '--out', tampered, '--from', tsText(at(scenario, 6)), '--to', '2026-03-08T07:00:00-05:00', '--json']);
    expect(run.code).toBe(0);
    const report = (JSON.parse(run.stdout) as { reports: VerifyReport[] }).reports[0]!;
    expect(report).toMatchObject({ fromUtc: '2026-03-07T12:00:00Z', toUtc: '2026-03-08T12:00:00Z', ok: true });
    expect(report.expected).toBe(await duckNumber(clean, COUNT_IN_WINDOW, [meterIds.join(','), tsText(at(scenario, 6)), tsText(at(scenario, 30))]));
  });

  it('rejects bad input with exit 2, reading nothing', async () => {
    const bad = [
      [['--from', '2026-03-07 06:00'], 'from: "2026-03-07 06:00" is not an ISO 8601 time with a zone'],
      [['--sink', 'parquet'], `verify reads back only the ${VERIFIABLE_TEXT} sinks, not parquet`],
      [['--pg-table', 'x'], '--pg-table applies to the postgres sink only'],
      [['--state-dir', dir], '--state-dir applies with --job only'],
      [['--from', '2026-03-01T00:00:00Z'], 'is not inside the scenario'],
    ] as const;
    for (const [args, message] of bad) {
      const run = await runVerify([...FLAGS, '--out', clean, ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('FORGE_ERR_INVALID_CONFIG');
    }
    expect((await runVerify([...FLAGS, '--no-such-flag'])).code).toBe(2);
  });

  it('says so when no --start is given: the default range moves with the calendar and misses data of another day', async () => {
    const run = await runVerify(['--meters', '30', '--days', '2', '--seed', '11', '--out', clean, '--json']);
    expect(run.stderr).toMatch(/^forge verify: no --start given, so the scenario is the 2 days from \d{4}-\d{2}-\d{2}; pass the --start/);
    // Unless this runs on 2026-03-09 or 10 (then the default range is the data's), nothing expected is in the file.
    const report = (JSON.parse(run.stdout) as { reports: VerifyReport[] }).reports[0]!;
    if (report.fromUtc !== '2026-03-07T06:00:00Z') expect(report).toMatchObject({ ok: false, found: 0, missing: report.expected });
  });

  it('exits 1 with FORGE_ERR_OUTPUT_NOT_FOUND for a missing file, which it does not create', async () => {
    const path = join(dir, 'missing.duckdb');
    const run = await runVerify([...FLAGS, '--out', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`forge: No Flux Data Forge output at ${path} [FORGE_ERR_OUTPUT_NOT_FOUND]\n`);
    expect(existsSync(path)).toBe(false);
  });
});

describe('forge verify --job', () => {
  it('verifies a batch job over its whole scenario, from its record in --state-dir', async () => {
    const stateDir = join(dir, 'jobs-batch');
    await new JobStore(stateDir).save(jobRecord({ jobId: 'job-batch-ok' }));
    await new JobStore(stateDir).save(jobRecord({ jobId: 'job-batch-bad', output: parseOutputOptions({ sink: 'duckdb', out: tampered }) }));
    const ok = await runVerify(['--job', 'job-batch-ok', '--state-dir', stateDir, '--json']);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { reports: VerifyReport[] }).reports[0]).toMatchObject({
      target: `duckdb ${clean}`, fromUtc: '2026-03-07T06:00:00Z', toUtc: '2026-03-09T06:00:00Z', expected: expectedRows(scenario), ok: true,
    });
    const bad = await runVerify(['--job', 'job-batch-bad', '--state-dir', stateDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('FORGE_ERR_VERIFY_FAILED');
  });

  it('verifies a stream job up to what it completed: stopped -> completeThroughUtc, completed -> its end', async () => {
    const stateDir = join(dir, 'jobs-stream');
    const store = new JobStore(stateDir);
    const stream = { fromUtc: tsText(at(scenario, 6)), toUtc: tsText(at(scenario, 40)), speed: null };
    const stats = { generated: 0, delivered: 0, rowsPerSecond: 0, sinks: [], completeThroughUtc: tsText(at(scenario, 30)) };
    await store.save(jobRecord({ jobId: 'job-stream-stopped', kind: 'stream', status: 'stopped', stream, stats, output: parseOutputOptions({ sink: 'duckdb', out: tampered }) }));
    await store.save(jobRecord({ jobId: 'job-stream-done', kind: 'stream', status: 'completed', stream, stats, output: parseOutputOptions({ sink: 'duckdb', out: tampered }) }));

    const stopped = await runVerify(['--job', 'job-stream-stopped', '--state-dir', stateDir, '--json']);
    expect(stopped.code).toBe(0);
    const report = (JSON.parse(stopped.stdout) as { reports: VerifyReport[] }).reports[0]!;
    expect(report).toMatchObject({ fromUtc: '2026-03-07T12:00:00Z', toUtc: '2026-03-08T12:00:00Z', ok: true });
    expect(report.expected).toBe(await duckNumber(clean, COUNT_IN_WINDOW, [meterIds.join(','), stream.fromUtc, stats.completeThroughUtc]));

    // To hour 40 the window takes in the duplicate (hour 40 is the window's end, exclusive) but not the rest.
    const done = await runVerify(['--job', 'job-stream-done', '--state-dir', stateDir, '--json']);
    const doneReport = (JSON.parse(done.stdout) as { reports: VerifyReport[] }).reports[0]!;
    expect(doneReport).toMatchObject({ fromUtc: '2026-03-07T12:00:00Z', toUtc: '2026-03-08T22:00:00Z', ok: true });
    expect(doneReport.expected).toBe(scenario.meters * 34 * 4);
  });

  it('explains a job it cannot verify: unknown id, no duckdb or postgres sink, extra flags', async () => {
    const stateDir = join(dir, 'jobs-misc');
    await new JobStore(stateDir).save(jobRecord({ jobId: 'job-parquet', output: parseOutputOptions({ sink: 'parquet,ndjson' }) }));
    const missing = await runVerify(['--job', 'job-none', '--state-dir', stateDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No job job-none in');
    expect(missing.stderr).toContain('FORGE_ERR_JOB_NOT_FOUND');
    const parquet = await runVerify(['--job', 'job-parquet', '--state-dir', stateDir]);
    expect(parquet.code).toBe(2);
    expect(parquet.stderr).toContain(`job job-parquet delivered to parquet, ndjson; verify reads back only the ${VERIFIABLE_TEXT} sinks`);
    const extra = await runVerify(['--job', 'job-parquet', '--state-dir', stateDir, '--meters', '5', '--out', clean]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('drop --meters, --out');
  });
});

describe('forge verify --job of a real stream job', () => {
  it('finds a DEGRADED_NETWORK stream (late, held, out-of-order and duplicated sends) complete, then a deleted reading', async () => {
    const work = join(dir, 'stream');
    const out = join(work, 'stream.duckdb');
    const stateDir = join(work, 'jobs');
    const stream = runForge(
      ['stream', '--meters', '40', '--seed', '5', '--from', '2026-03-08T02:00:00Z', '--duration', '12h', '--speed', 'max', '--emission-pattern', 'DEGRADED_NETWORK', '--out', out, '--state-dir', stateDir, '--json'],
      dir,
    );
    expect(stream.stderr).toBe('');
    expect(stream.code).toBe(0);
    const summary = JSON.parse(stream.stdout) as { jobId: string; stats: { duplicates: number; late: number } };
    // The stream did send readings late and twice; the sink must hold each once.
    expect(summary.stats.duplicates + summary.stats.late).toBeGreaterThan(0);

    const run = await runVerify(['--job', summary.jobId, '--state-dir', stateDir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = (JSON.parse(run.stdout) as { reports: VerifyReport[] }).reports[0]!;
    expect(report).toMatchObject({ target: `duckdb ${out}`, fromUtc: '2026-03-08T02:00:00Z', toUtc: '2026-03-08T14:00:00Z', expected: 40 * 12 * 4, found: 40 * 12 * 4, ok: true });

    const streamed = verifyScenario({ meters: 40, seed: 5 });
    const meterId = buildFleet(streamed).meterIds[9]!;
    await withDuckDb(out, (w) => w.run(`DELETE FROM ami_fact WHERE meter_key = (SELECT meter_key FROM ami_meters WHERE meter_id = $1) AND reading_ts_utc = $2::TIMESTAMPTZ`, [meterId, '2026-03-08T10:00:00Z']));
    const after = await runVerify(['--job', summary.jobId, '--state-dir', stateDir, '--json']);
    expect(after.code).toBe(1);
    const problems = (JSON.parse(after.stdout) as { reports: VerifyReport[] }).reports[0]!.problems;
    expect(problems).toEqual([expect.objectContaining({ meterId, localDate: '2026-03-08', missing: 1, duplicates: 0, differing: 0, unexpected: 0 })]);
  });
});

describe('forge verify through the forge binary', () => {
  it('exits 0 on clean output and 1 on tampered output', () => {
    expect(runForge(['verify', ...FLAGS, '--out', clean], dir).code).toBe(0);
    const bad = runForge(['verify', ...FLAGS, '--out', tampered, '--json'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[FORGE_ERR_VERIFY_FAILED]');
    expect((JSON.parse(bad.stdout) as { ok: boolean }).ok).toBe(false);
  });
});
