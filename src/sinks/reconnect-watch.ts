import type { SinkStatus } from './sink.js';

/**
 * A broker connection its client reconnects by itself (MQTT, NATS): when it is lost the sink is `degraded`, when it
 * comes back `recovered`, and when it stays lost longer than `timeoutMs` the sink fails (`onTimeout`).
 */
export class ReconnectWatch {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly onStatus: ((status: SinkStatus) => void) | undefined,
  ) {}

  /** The connection is gone (a repeat while already lost changes nothing). */
  lost(error: string, onTimeout: () => void): void {
    if (this.timer) return;
    this.onStatus?.({ state: 'degraded', error });
    this.timer = setTimeout(() => {
      this.timer = null;
      onTimeout();
    }, this.timeoutMs);
  }

  /** The connection is back (or was never lost). */
  back(): void {
    if (this.timer) this.onStatus?.({ state: 'recovered' });
    this.stop();
  }

  /** No more watching: the sink closes. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
