import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExploreGate } from '../../src/validate/explore-gate.js';

/** A task that records when it starts and ends and waits for `release` before it ends. */
function task(log: string[], name: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  return {
    release: () => release(),
    run: async () => {
      log.push(`start ${name}`);
      await released;
      log.push(`end ${name}`);
      return name;
    },
  };
}

describe('ExploreGate', () => {
  it('runs one task per key at a time, the waiting ones by priority, then in arrival order; other keys run alongside', async () => {
    const gate = new ExploreGate();
    const log: string[] = [];
    const [a, b, c, d, other] = ['a', 'b', 'c', 'd', 'other'].map((n) => task(log, n));
    const done = [gate.run('f', 5, a!.run), gate.run('f', 3, b!.run), gate.run('f', 1, c!.run), gate.run('f', 3, d!.run), gate.run('g', 9, other!.run)];
    // An idle key gathers the burst for a moment, then starts its most urgent task.
    await new Promise((r) => setTimeout(r, 50));
    expect(log).toEqual(['start c', 'start other']);
    for (const t of [c, b, d, a, other]) {
      t!.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(done)).toEqual(['a', 'b', 'c', 'd', 'other']);
    expect(log.filter((l) => !l.includes('other'))).toEqual(['start c', 'end c', 'start b', 'end b', 'start d', 'end d', 'start a', 'end a']);
  });

  it('a failing task hands the lane on', async () => {
    const gate = new ExploreGate();
    await expect(gate.run('f', 0, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run('f', 0, async () => 'next')).toBe('next');
  });

  it('never runs two tasks of one key at once, whatever the priorities (generated)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ priority: fc.integer({ min: 0, max: 8 }), key: fc.constantFrom('x', 'y'), ticks: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 20 }), async (tasks) => {
        const gate = new ExploreGate();
        const running = new Map<string, number>();
        let overlap = false;
        await Promise.all(
          tasks.map((t) =>
            gate.run(t.key, t.priority, async () => {
              running.set(t.key, (running.get(t.key) ?? 0) + 1);
              if (running.get(t.key)! > 1) overlap = true;
              for (let i = 0; i < t.ticks; i++) await new Promise((r) => setImmediate(r));
              running.set(t.key, running.get(t.key)! - 1);
            }),
          ),
        );
        expect(overlap).toBe(false);
      }),
      { seed: 15, numRuns: 100 },
    );
  });
});
