import { appendFileSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ExploreCache, fileIdentity } from '../../src/validate/explore-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-explore-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A fresh "database" file and a counter of computations. */
function setup(): { file: string; calls: () => number; compute: () => Promise<{ answer: number }> } {
  const file = join(dir, `db-${n++}.duckdb`);
  writeFileSync(file, 'first state');
  let calls = 0;
  return { file, calls: () => calls, compute: async () => ({ answer: ++calls }) };
}

describe('ExploreCache', () => {
  it('computes once per file state and key, then answers from memory', async () => {
    const cache = new ExploreCache();
    const { file, calls, compute } = setup();
    expect(await cache.get(file, 'voltage', compute)).toEqual({ value: { answer: 1 }, hit: false });
    expect(await cache.get(file, 'voltage', compute)).toEqual({ value: { answer: 1 }, hit: true });
    expect(await cache.get(file, 'annual', compute)).toEqual({ value: { answer: 2 }, hit: false });
    expect(calls()).toBe(2);
  });

  it('concurrent asks for one key share one computation', async () => {
    const cache = new ExploreCache();
    const { file, calls, compute } = setup();
    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.get(file, 'profiles', compute)));
    expect(calls()).toBe(1);
    expect(answers.map((a) => a.value.answer)).toEqual([1, 1, 1, 1, 1]);
    expect(answers.filter((a) => !a.hit)).toHaveLength(1);
  });

  it('computes again once the file or its write-ahead log changes (size or modification time)', async () => {
    const cache = new ExploreCache();
    const { file, calls, compute } = setup();
    await cache.get(file, 'p', compute);
    appendFileSync(file, ' and more');
    expect((await cache.get(file, 'p', compute)).value.answer).toBe(2);
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
    expect((await cache.get(file, 'p', compute)).value.answer).toBe(3);
    writeFileSync(`${file}.wal`, 'uncheckpointed');
    expect((await cache.get(file, 'p', compute)).value.answer).toBe(4);
    expect((await cache.get(file, 'p', compute)).hit).toBe(true);
    expect(calls()).toBe(4);
  });

  it('does not keep an answer computed while the file changed under it', async () => {
    const cache = new ExploreCache();
    const { file, calls } = setup();
    const changing = async (): Promise<number> => {
      appendFileSync(file, 'x');
      return calls();
    };
    await cache.get(file, 'p', changing);
    expect((await cache.get(file, 'p', async () => 42)).hit).toBe(false);
  });

  it('keeps answers on disk for the next process; a directory it cannot write leaves the memory cache working', async () => {
    const store = join(dir, 'store');
    const { file, calls, compute } = setup();
    await new ExploreCache(store).get(file, 'events', compute);
    expect(readdirSync(store).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(await new ExploreCache(store).get(file, 'events', compute)).toEqual({ value: { answer: 1 }, hit: true });
    expect(calls()).toBe(1);
    // Under a regular file no directory can be made, whoever runs the test (root ignores permissions).
    const notADirectory = join(dir, 'plain-file');
    writeFileSync(notADirectory, '');
    const cache = new ExploreCache(join(notADirectory, 'inside'));
    const other = setup();
    expect((await cache.get(other.file, 'k', other.compute)).hit).toBe(false);
    expect((await cache.get(other.file, 'k', other.compute)).hit).toBe(true);
    expect(other.calls()).toBe(1);
  });

  it('a failed computation is not kept: the next ask computes again', async () => {
    const cache = new ExploreCache();
    const { file } = setup();
    await expect(cache.get(file, 'p', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await cache.get(file, 'p', async () => 'fine')).toEqual({ value: 'fine', hit: false });
  });

  it('keys never collide: distinct keys of one file get their own answers (generated keys)', async () => {
    const { file } = setup();
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string({ maxLength: 12 }), { minLength: 2, maxLength: 8 }), async (keys) => {
        const cache = new ExploreCache();
        for (const k of keys) await cache.get(file, k, async () => k);
        for (const k of keys) expect(await cache.get(file, k, async () => 'recomputed')).toEqual({ value: k, hit: true });
      }),
      { seed: 15, numRuns: 50 },
    );
    expect(fileIdentity(file)).toContain(file);
  });
});
