import { writeAscii } from './write-ascii.js';

/** The most bytes `IsoInstants.write` writes: toISOString of an extended year ("+275760-09-13T00:00:00.000Z"). */
export const MAX_ISO_INSTANT_BYTES = 27;

/** "00" to "59". */
const SECONDS = Array.from({ length: 60 }, (_, s) => String(s).padStart(2, '0'));
/** ".000Z" to ".999Z". */
const MILLIS = Array.from({ length: 1000 }, (_, ms) => `.${String(ms).padStart(3, '0')}Z`);

/**
 * `new Date(ms).toISOString()` of instants that come in order (a stream's emission times), without a Date for most:
 * the text up to the minute is kept while the minute is the same, and the seconds and milliseconds are laid out from
 * tables (toISOString costs about 700 ns; this, a comparison and a concatenation). Any year toISOString writes, and its
 * RangeError for an invalid time, are toISOString's own: the minute's text comes from it.
 */
export class IsoInstants {
  private minute = Number.NaN;
  private prefix = '';
  private prefixBytes: Uint8Array = new Uint8Array(0);

  of(ms: number): string {
    // A Date keeps whole milliseconds, truncated toward zero (TimeClip); toISOString throws for what it cannot keep.
    const t = Math.trunc(ms);
    if (!(Math.abs(t) <= 8.64e15)) return new Date(ms).toISOString();
    const within = ((t % 60_000) + 60_000) % 60_000;
    this.enter(t - within);
    const second = Math.floor(within / 1000);
    return `${this.prefix}${SECONDS[second]!}${MILLIS[within - second * 1000]!}`;
  }

  /**
   * `of(ms)` written as ASCII bytes into `out` at `at` (room for MAX_ISO_INSTANT_BYTES assumed); returns the offset
   * after it. The minute's text is kept as bytes, and the seconds and milliseconds written digit by digit.
   */
  write(ms: number, out: Uint8Array, at: number): number {
    const t = Math.trunc(ms);
    if (!(Math.abs(t) <= 8.64e15)) return writeAscii(new Date(ms).toISOString(), out, at);
    const within = ((t % 60_000) + 60_000) % 60_000;
    this.enter(t - within);
    out.set(this.prefixBytes, at);
    at += this.prefixBytes.length;
    const second = Math.floor(within / 1000);
    const milli = within - second * 1000;
    out[at] = 0x30 + Math.floor(second / 10);
    out[at + 1] = 0x30 + (second % 10);
    out[at + 2] = 0x2e;
    out[at + 3] = 0x30 + Math.floor(milli / 100);
    out[at + 4] = 0x30 + (Math.floor(milli / 10) % 10);
    out[at + 5] = 0x30 + (milli % 10);
    out[at + 6] = 0x5a;
    return at + 7;
  }

  /** Keeps the text up to `minute` (as a string and as bytes, so `of` and `write` may take turns). */
  private enter(minute: number): void {
    if (minute !== this.minute) {
      this.minute = minute;
      this.prefix = new Date(minute).toISOString().slice(0, -7);
      this.prefixBytes = Buffer.from(this.prefix, 'latin1');
    }
  }
}
