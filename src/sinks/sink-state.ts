import { ForgeError } from '../util/forge-error.js';

/**
 * Where a sink stands. `failed` is for sinks a failed write leaves unusable (a Snowflake transaction or continuation
 * chain broken mid-batch): only `abort` is then accepted.
 */
export type SinkPhase = 'new' | 'open' | 'failed' | 'closed';

const WHY: Record<Exclude<SinkPhase, 'open'>, string> = { new: 'before open', failed: 'after a failed write', closed: 'after close' };

/**
 * The open/closed guard of the sink contract (sink.ts: nothing before `open`, nothing after `close`), one for every
 * sink so misuse reads the same everywhere: FORGE_ERR_SINK_STATE, "Sink <name>: write called before open", "...
 * called after close", "open called on a sink that is closed". A sink's `open` calls `opening()` first and `opened()`
 * once it is ready; every other operation calls `assertOpen`; `close` and `abort` call `closing()`.
 */
export class SinkState {
  private phase: SinkPhase = 'new';

  /** The sink is read for its name when a message is built: some sinks learn their name in their constructor. */
  constructor(private readonly sink: { readonly name: string }) {}

  get current(): SinkPhase {
    return this.phase;
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  /** At the start of `open`: only a new sink opens. It stays new until `opened`, so a refused open leaves it new. */
  opening(): void {
    if (this.phase !== 'new') throw this.error(`open called on a sink that is ${this.phase}`);
  }

  /** At the end of `open`: the sink accepts writes. */
  opened(): void {
    this.phase = 'open';
  }

  /** Before any operation of an open sink: `write`, `flush`, `close`, `checkpoint`. */
  assertOpen(operation: string): void {
    if (this.phase !== 'open') throw this.error(`${operation} called ${WHY[this.phase]}`);
  }

  /** A write failed and left the sink unusable: everything but `abort` is refused ("after a failed write"). */
  failed(): void {
    this.phase = 'failed';
  }

  /** `close` or `abort`: nothing more is accepted. True when the sink was open (it holds what must be released). */
  closing(): boolean {
    const wasOpen = this.phase === 'open';
    this.phase = 'closed';
    return wasOpen;
  }

  private error(problem: string): ForgeError {
    return new ForgeError('FORGE_ERR_SINK_STATE', [this.sink.name, problem]);
  }
}
