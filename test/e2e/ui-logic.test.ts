import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import type { SinkDescription } from '../../src/sinks/sink-catalog.js';
import { spikeFreeMax } from '../../ui/src/components/spike-free-max.js';
import { DEFAULT_STREAM_DURATION, requestOf, scenarioOf, wallClockOf, type GenerateForm } from '../../ui/src/pages/generate-request.js';
import { moreOutput, moreScenario, NO_MORE_OPTIONS } from '../../ui/src/pages/more-options.js';
import { canValidate, duckdbOf, verifiableSinks } from '../../ui/src/pages/validate-targets.js';

// The pages' decisions that need no browser: what "More options" sends, when a job can be validated, and the scale
// the rows/s chart keeps. The browser suites (ui-fit, ui-flow) check the same through the pages.

const job = (sink: string[], status: JobRecord['status'] = 'completed', out?: JobRecord['output']['out']): JobRecord =>
  ({ jobId: 'j', kind: 'batch', status, output: { sink, ...(out !== undefined ? { out } : {}) } }) as unknown as JobRecord;
const catalog = [
  { name: 'duckdb', verifiable: true },
  { name: 'postgres', verifiable: true },
  { name: 'ndjson', verifiable: false },
] as unknown as SinkDescription[];

describe('More options', () => {
  it('sends nothing when left alone', () => {
    expect(moreScenario(NO_MORE_OPTIONS, 'batch')).toEqual({});
    expect(moreOutput(NO_MORE_OPTIONS, ['ndjson'])).toEqual({});
  });

  it('sends each option under its scenario key, numbers as numbers and what is not a number as typed', () => {
    const more = { ...NO_MORE_OPTIONS, start: '2024-07-01', storm: true, stormDate: '2024-07-03', pvShare: '0.25', evShare: 'lots', mix: ' 88/11/1 ' };
    expect(moreScenario(more, 'batch')).toEqual({ start: '2024-07-01', storm: '2024-07-03', pvShare: 0.25, evShare: 'lots', mix: '88/11/1' });
    // A stream starts at its clock: no start date; a storm without a date is the middle of the range.
    expect(moreScenario({ ...more, stormDate: '' }, 'stream')).toEqual({ storm: true, pvShare: 0.25, evShare: 'lots', mix: '88/11/1' });
  });

  it('asks for the nested shape only of a job with a sink that writes it', () => {
    const nested = { ...NO_MORE_OPTIONS, shape: 'nested' as const };
    expect(moreOutput(nested, ['duckdb', 'parquet'])).toEqual({ shape: 'nested' });
    expect(moreOutput(nested, ['duckdb', 'postgres'])).toEqual({});
  });
});

describe('Generate: events and a stream that lasts', () => {
  const form: GenerateForm = {
    template: 'quick', mode: 'stream', sinks: ['duckdb'], meters: 100, days: 7, area: 'TEXAS_GULF_COAST', segment: '', interval: 15,
    emissionPattern: 'UNIFORM', seed: 42, events: 'demo', speed: '3600', duration: DEFAULT_STREAM_DURATION, paths: {}, settings: {}, more: NO_MORE_OPTIONS,
  };
  const duckdb = [{ name: 'duckdb', path: { kind: 'file' }, settings: [], modes: ['batch', 'stream'] }] as unknown as SinkDescription[];

  it('sends the chosen events with the scenario (demo, natural or a quiet fleet)', () => {
    expect(scenarioOf(form).events).toBe('demo');
    expect(scenarioOf({ ...form, events: 'none' }).events).toBe('none');
  });

  it('streams until stopped by default: no duration is sent, and the form says it runs until stopped', () => {
    const request = requestOf(form, duckdb);
    expect(request.stream).toEqual({ speed: 3600 });
    expect(wallClockOf(DEFAULT_STREAM_DURATION, '3600')).toMatch(/until you stop it/);
  });

  it('says how long a fixed duration lasts on the wall clock at the chosen speed', () => {
    expect(wallClockOf('6h', '3600')).toBe('Ends after about 6 s of wall-clock time.');
    expect(wallClockOf('7d', '3600')).toBe('Ends after about 3 min of wall-clock time.');
    expect(wallClockOf('1h', '1')).toBe('Ends after about 60 min of wall-clock time.');
    expect(wallClockOf('30d', '60')).toBe('Ends after about 12 h of wall-clock time.');
    expect(wallClockOf('1d', 'max')).toMatch(/as fast as the sinks take it/);
  });
});

describe('what a job offers to validate', () => {
  it('finds the DuckDB file a job wrote, with one path or one per sink, or its default', () => {
    expect(duckdbOf(job(['duckdb'], 'completed', 'a.duckdb'))).toBe('a.duckdb');
    expect(duckdbOf(job(['duckdb', 'parquet'], 'completed', { duckdb: 'b.duckdb', parquet: 'p' }))).toBe('b.duckdb');
    expect(duckdbOf(job(['duckdb']))).toBe('forge.duckdb');
    expect(duckdbOf(job(['ndjson'], 'completed', 'files'))).toBeNull();
  });

  it('offers Validate for a finished job with a DuckDB output or a sink verify reads back, not for files only or a running job', () => {
    expect(canValidate(job(['duckdb']), catalog)).toBe(true);
    expect(canValidate(job(['postgres']), catalog)).toBe(true);
    expect(verifiableSinks(job(['ndjson', 'postgres']), catalog)).toEqual(['postgres']);
    expect(canValidate(job(['ndjson']), catalog)).toBe(false);
    expect(canValidate(job(['duckdb'], 'running'), catalog)).toBe(false);
    // Before the catalogue has loaded, a DuckDB output is still known from the record.
    expect(canValidate(job(['duckdb']), [])).toBe(true);
  });
});

describe('the rows/s scale', () => {
  it('leaves out a lone final spike, and keeps the scale of a curve without one', () => {
    const steady = [100, 110, 95, 105, 100, 98, 102, 99, 101, 104];
    expect(spikeFreeMax(steady)).toBeUndefined();
    const top = spikeFreeMax([...steady, 5_000]);
    expect(top).toBeGreaterThanOrEqual(110);
    expect(top).toBeLessThan(5_000);
    // Too few points to tell a spike from a ramp, and an idle job.
    expect(spikeFreeMax([1, 1, 100])).toBeUndefined();
    expect(spikeFreeMax([0, 0, 0, 0, 0, 0, 50])).toBeUndefined();
  });
});
