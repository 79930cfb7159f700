import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scenarioFromFlags } from '../../src/cli/scenario-flags.js';
import { workPlan } from '../../src/emit/work-plan.js';
import { emittedMeters, expectedRows, resolveScenario, scenarioToInput } from '../../src/scenario/scenario.js';
import { shardedJobKey, shardLabel, shardRange } from '../../src/scenario/shard.js';
import { verifyChunks } from '../../src/verify/verify-chunks.js';
import { scenarioStartUtcMs, scenarioEndUtcMs } from '../../src/scenario/scenario.js';

const base = { meters: 103, days: 2, start: '2026-03-07', seed: 5 };
const dir = mkdtempSync(join(tmpdir(), 'forge-shard-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the shard field', () => {
  it.each([
    ['0/0', /shard: "0\/0": the shard count N of i\/N must be at least 1/],
    ['4/4', /shard: "4\/4": the shard index must be from 0 to 3 for 4 shards/],
    ['-1/2', /shard: "-1\/2": expected i\/N with whole numbers/],
    ['a/b', /shard: "a\/b": expected i\/N with whole numbers/],
    ['1/3.5', /shard: "1\/3.5": expected i\/N with whole numbers/],
    ['1', /shard: "1": expected i\/N/],
    ['', /shard: "": expected i\/N/],
    ['1/20000', /at most 10,000 shards/],
    ['0/104', /104 shards for 103 meters would leave a shard without meters/],
  ])('refuses %j with a message naming the field', (spec, message) => {
    expect(() => resolveScenario({ ...base, shard: spec })).toThrow(message);
    try {
      resolveScenario({ ...base, shard: spec });
    } catch (e) {
      expect((e as { code?: string }).code).toBe('FORGE_ERR_INVALID_CONFIG');
    }
  });

  it('takes i/N text (spaces allowed) or an { index, count } object, and refuses anything else', () => {
    expect(resolveScenario({ ...base, shard: ' 2 / 4 ' }).shard).toEqual({ index: 2, count: 4 });
    expect(resolveScenario({ ...base, shard: { index: 3, count: 4 } }).shard).toEqual({ index: 3, count: 4 });
    expect(() => resolveScenario({ ...base, shard: { index: '1', count: 4 } })).toThrow(/shard: expected i\/N/);
    expect(() => resolveScenario({ ...base, shard: { index: 1, count: 4, extra: 1 } })).toThrow(/shard/);
    expect(() => resolveScenario({ ...base, shard: 3 })).toThrow(/shard/);
  });

  it('0/1 is the whole fleet: no shard', () => {
    const s = resolveScenario({ ...base, shard: '0/1' });
    expect(s.shard).toBeNull();
    expect(expectedRows(s)).toBe(expectedRows(resolveScenario(base)));
    expect(resolveScenario(base).shard).toBeNull();
  });

  it('keeps the whole fleet size and survives a round trip through scenarioToInput (job records, API bodies)', () => {
    const s = resolveScenario({ ...base, shard: '1/4' });
    expect(s.meters).toBe(103);
    expect(scenarioToInput(s).shard).toBe('1/4');
    expect(resolveScenario(scenarioToInput(s))).toEqual(s);
    expect(scenarioToInput(resolveScenario(base))).not.toHaveProperty('shard');
  });

  it('names and keys', () => {
    expect(shardLabel({ index: 2, count: 8 })).toBe('shard-2-of-8');
    expect(shardedJobKey('job-1', { index: 2, count: 8 })).toBe('job-1.shard-2-of-8');
    expect(shardedJobKey('job-1', null)).toBe('job-1');
  });
});

describe('the partition of meters', () => {
  it('splits every fleet into contiguous, disjoint, non-empty ranges that cover it, in order', () => {
    for (const meters of [1, 2, 7, 100, 103, 1_000_000]) {
      for (const count of [1, 2, 3, 4, 7, 16]) {
        if (count > meters) continue;
        let next = 0;
        for (let index = 0; index < count; index++) {
          const { start, end } = shardRange(meters, { index, count });
          expect(start).toBe(next);
          expect(end).toBeGreaterThan(start);
          next = end;
        }
        expect(next).toBe(meters);
      }
    }
  });

  it('work plans of the shards hold every (meter, day) of the unsharded plan exactly once; row counts add up', () => {
    const whole = resolveScenario(base);
    const key = (u: { day: { localDate: string }; meterStart: number; meterEnd: number }): string[] =>
      Array.from({ length: u.meterEnd - u.meterStart }, (_, i) => `${u.day.localDate}:${u.meterStart + i}`);
    const expected = [...workPlan(whole, 500)].flatMap(key).sort();
    const got: string[] = [];
    let rows = 0;
    for (let index = 0; index < 4; index++) {
      const shard = resolveScenario({ ...base, shard: `${index}/4` });
      const plan = [...workPlan(shard, 500)];
      const { start, end } = emittedMeters(shard);
      for (const u of plan) {
        expect(u.meterStart).toBeGreaterThanOrEqual(start);
        expect(u.meterEnd).toBeLessThanOrEqual(end);
      }
      // Each date's last unit closes the date's files.
      expect(plan.filter((u) => u.lastOfDay).length).toBe(new Set(plan.map((u) => u.day.localDate)).size);
      expect(plan.map((u) => u.sequence)).toEqual(plan.map((_, i) => i));
      got.push(...plan.flatMap(key));
      rows += expectedRows(shard);
    }
    expect(got.sort()).toEqual(expected);
    expect(rows).toBe(expectedRows(whole));
  });

  it("verify's chunks of a shard cover only its meters", () => {
    const shard = resolveScenario({ ...base, shard: '2/3' });
    const { start, end } = emittedMeters(shard);
    const chunks = [...verifyChunks(shard, scenarioStartUtcMs(shard), scenarioEndUtcMs(shard), 1_000)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.meterStart).toBeGreaterThanOrEqual(start);
      expect(c.meterEnd).toBeLessThanOrEqual(end);
    }
  });
});

describe('--shard, the config file and $FORGE_SHARD', () => {
  it('takes the flag over the config file over $FORGE_SHARD', async () => {
    const config = join(dir, 'scenario.yaml');
    writeFileSync(config, 'meters: 103\ndays: 2\nstart: 2026-03-07\nshard: 1/4\n');
    const env = { FORGE_SHARD: '3/4' };
    expect((await scenarioFromFlags({ ...base }, undefined, env)).shard).toEqual({ index: 3, count: 4 });
    expect((await scenarioFromFlags({ config }, undefined, env)).shard).toEqual({ index: 1, count: 4 });
    expect((await scenarioFromFlags({ config, shard: '2/4' }, undefined, env)).shard).toEqual({ index: 2, count: 4 });
    expect((await scenarioFromFlags({ ...base }, undefined, { FORGE_SHARD: '' })).shard).toBeNull();
    await expect(scenarioFromFlags({ ...base }, undefined, { FORGE_SHARD: '8/8' })).rejects.toThrow(/shard: "8\/8"/);
  });

  it('a sharded batch job needs an explicit start (flag or config file), the same for every shard', async () => {
    const sized = { meters: 103, days: 2, shard: '1/2' };
    await expect(scenarioFromFlags(sized, undefined, {}, { shardNeedsStart: true })).rejects.toThrow(/start: a sharded job needs an explicit --start/);
    expect((await scenarioFromFlags({ ...sized, start: '2026-03-07' }, undefined, {}, { shardNeedsStart: true })).shard).toEqual({ index: 1, count: 2 });
    const config = join(dir, 'with-start.json');
    writeFileSync(config, JSON.stringify({ start: '2026-03-07' }));
    expect((await scenarioFromFlags({ ...sized, config }, undefined, {}, { shardNeedsStart: true })).start).toBe('2026-03-07');
    // Unsharded jobs keep the default start.
    expect((await scenarioFromFlags({ meters: 103, days: 2 }, undefined, {}, { shardNeedsStart: true })).shard).toBeNull();
  });
});
