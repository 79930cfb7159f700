import { describe, expect, it } from 'vitest';
import { AckWindow } from '../../src/sinks/ack-window.js';
import { ForgeError } from '../../src/util/forge-error.js';

describe('AckWindow', () => {
  it('counts publishes in flight and their peak, and lets a waiter go once enough are acknowledged', async () => {
    const window = new AckWindow();
    for (let i = 0; i < 4; i++) window.open();
    expect(window.inFlight).toBe(4);
    let released = false;
    const waiting = window.waitAtMost(2).then(() => {
      released = true;
    });
    window.settle();
    await Promise.resolve();
    expect(released).toBe(false);
    window.settle();
    await waiting;
    expect(released).toBe(true);
    expect(window.inFlight).toBe(2);
    expect(window.peakInFlight).toBe(4);
  });

  it('wakes a waiter on failure, keeps the first failure and throws it from check', async () => {
    const window = new AckWindow();
    window.open();
    const draining = window.drain();
    const first = new ForgeError('FORGE_ERR_SINK_WRITE', ['mqtt', 'boom']);
    window.fail(first);
    window.fail(new ForgeError('FORGE_ERR_SINK_WRITE', ['mqtt', 'later']));
    await draining;
    expect(window.inFlight).toBe(1);
    expect(window.failed).toBe(first);
    expect(() => window.check()).toThrow(first);
  });
});
