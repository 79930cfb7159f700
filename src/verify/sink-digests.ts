import { MeterDayDigests } from './meter-day-digests.js';
import { RecordBuffer } from './reading-record.js';
import { pushSinkRow, type ReadingStore } from './reading-store.js';
import { onGrid, type IntervalGrid, type VerifyChunk } from './verify-chunks.js';

/**
 * What the store holds for a chunk, reduced like expectedDigests as the rows stream in (ordered by meter, then time):
 * per meter-day every row found, the distinct readings' count and digest (a key's first copy; further copies counted
 * as duplicates) and the rows whose time is not an interval start of the scenario (unexpected). Meter-days without
 * rows keep a count of 0.
 */
export async function sinkDigests(store: ReadingStore, chunk: VerifyChunk, meterIds: readonly string[], grid: IntervalGrid): Promise<MeterDayDigests> {
  const D = chunk.days.length;
  const digests = new MeterDayDigests((chunk.meterEnd - chunk.meterStart) * D);
  const ids = meterIds.slice(chunk.meterStart, chunk.meterEnd);
  // Day boundaries in microseconds: day d holds [dayFromUs[d], dayFromUs[d + 1]).
  const dayFromUs = chunk.days.map((d) => d.fromMs * 1000);
  const records = new RecordBuffer();
  let offset = -1;
  let d = 0;
  let lastUs = Number.NaN;
  const finish = (): void => {
    if (offset >= 0 && offset < ids.length) digests.set(offset * D + d, records);
    records.clear();
  };
  for await (const rows of store.rows(ids, chunk.fromMs, chunk.toMs)) {
    for (let i = 0; i < rows.length; i++) {
      const meter = rows.meter[i]!;
      if (meter !== offset) {
        finish();
        offset = meter;
        d = 0;
        lastUs = Number.NaN;
      }
      if (offset < 0 || offset >= ids.length) continue;
      const tsUs = rows.tsUs[i]!;
      while (d + 1 < D && tsUs >= dayFromUs[d + 1]!) {
        finish();
        d++;
      }
      const index = offset * D + d;
      digests.found[index]!++;
      if (!onGrid(grid, tsUs)) {
        digests.unexpected[index]!++;
        continue;
      }
      if (tsUs === lastUs) {
        digests.duplicates[index]!++;
        continue;
      }
      lastUs = tsUs;
      pushSinkRow(records, rows, i, tsUs / 1000);
    }
  }
  finish();
  return digests;
}
