import type { ForgeError } from '../util/forge-error.js';

/**
 * The outstanding acknowledgements of a publishing sink (MQTT PUBACKs, JetStream PubAcks), and its first failure.
 * A sink opens a slot per publish and settles it on the acknowledgement; its writer waits for room (`waitAtMost`)
 * before publishing more, so the number in flight stays bounded (backpressure), and for none (`drain`) before a write
 * resolves. A failure wakes every waiter: a stuck publish never holds a failed job. Not a sink; sinks use it.
 */
export class AckWindow {
  private count = 0;
  private peak = 0;
  private failure: ForgeError | null = null;
  private wake: (() => void) | null = null;

  /** Publishes sent and not yet acknowledged. */
  get inFlight(): number {
    return this.count;
  }

  /** The most ever in flight at once. */
  get peakInFlight(): number {
    return this.peak;
  }

  /** The first failure, or null. */
  get failed(): ForgeError | null {
    return this.failure;
  }

  open(): void {
    this.count++;
    if (this.count > this.peak) this.peak = this.count;
  }

  settle(): void {
    this.count--;
    this.notify();
  }

  /** Records the first failure and wakes the writer. */
  fail(error: ForgeError): void {
    this.failure ??= error;
    this.notify();
  }

  /** Resolves once at most `limit` are in flight, or the window failed. */
  async waitAtMost(limit: number): Promise<void> {
    while (this.count > limit && !this.failure) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Resolves once nothing is in flight, or the window failed. */
  drain(): Promise<void> {
    return this.waitAtMost(0);
  }

  /** Throws the failure, if any. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
