import { describe, expect, it } from 'vitest';
import { SinkState } from '../../src/sinks/sink-state.js';
import { ForgeError } from '../../src/util/forge-error.js';

/** The FORGE_ERR_SINK_STATE message a call throws, or what happened instead. */
function refusal(run: () => void): string {
  try {
    run();
    return 'accepted';
  } catch (e) {
    return e instanceof ForgeError && e.code === 'FORGE_ERR_SINK_STATE' ? e.message : `not a sink-state error: ${String(e)}`;
  }
}

describe('SinkState', () => {
  it('refuses every operation before open, naming the sink and the operation', () => {
    const state = new SinkState({ name: 'mqtt' });
    expect(state.current).toBe('new');
    expect(state.isOpen).toBe(false);
    expect(refusal(() => state.assertOpen('write'))).toBe('Sink mqtt: write called before open');
    expect(refusal(() => state.assertOpen('checkpoint'))).toBe('Sink mqtt: checkpoint called before open');
  });

  it('accepts operations once opened, and refuses them and a second open after close', () => {
    const state = new SinkState({ name: 'nats' });
    expect(refusal(() => state.opening())).toBe('accepted');
    state.opened();
    expect(state.isOpen).toBe(true);
    expect(refusal(() => state.assertOpen('flush'))).toBe('accepted');
    expect(refusal(() => state.opening())).toBe('Sink nats: open called on a sink that is open');
    expect(state.closing()).toBe(true);
    expect(state.current).toBe('closed');
    expect(refusal(() => state.assertOpen('write'))).toBe('Sink nats: write called after close');
    expect(refusal(() => state.opening())).toBe('Sink nats: open called on a sink that is closed');
  });

  it('stays new until opened: a refused open can be tried again', () => {
    const state = new SinkState({ name: 'redis' });
    state.opening();
    // The sink's open failed here (say the server refused the connection) and never called opened().
    expect(state.current).toBe('new');
    expect(refusal(() => state.opening())).toBe('accepted');
  });

  it('after a failed write refuses everything with its own reason, and closing() reports it was not open', () => {
    const state = new SinkState({ name: 'snowflake-insert' });
    state.opening();
    state.opened();
    state.failed();
    expect(refusal(() => state.assertOpen('write'))).toBe('Sink snowflake-insert: write called after a failed write');
    expect(refusal(() => state.assertOpen('close'))).toBe('Sink snowflake-insert: close called after a failed write');
    expect(refusal(() => state.opening())).toBe('Sink snowflake-insert: open called on a sink that is failed');
    expect(state.closing()).toBe(false);
    expect(refusal(() => state.assertOpen('write'))).toBe('Sink snowflake-insert: write called after close');
  });

  it('closing() is true only the first time after open, so a sink releases what it holds once', () => {
    const state = new SinkState({ name: 'stdout' });
    expect(state.closing()).toBe(false);
    const reopened = new SinkState({ name: 'stdout' });
    reopened.opened();
    expect(reopened.closing()).toBe(true);
    expect(reopened.closing()).toBe(false);
  });

  it('reads the sink name when it refuses, so a sink that names itself in its constructor is named', () => {
    const sink: { name: string } = { name: '' };
    const state = new SinkState(sink);
    sink.name = 'parquet';
    expect(refusal(() => state.assertOpen('write'))).toBe('Sink parquet: write called before open');
  });
});
