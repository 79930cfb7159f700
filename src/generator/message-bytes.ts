import type { Fleet } from '../fleet/fleet.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';
import { ByteChunks } from '../util/byte-chunks.js';
import { RecordBytes } from './record-bytes.js';
import type { ReadingBatch } from './reading-batch.js';

/** The chunks the messages are written into. */
const CHUNK_BYTES = 2 ** 20;

/**
 * One reading's nested head-end message as UTF-8 bytes, for a message sink's payload (NATS, MQTT): RecordBytes' line
 * without its newline, so byte for byte `JSON.stringify(recordOf(...))`. A client library handed a string encodes it
 * again per message (for NATS, `TextEncoder.encode`), after RecordJson built it from pieces: this writes the bytes
 * once.
 *
 * Each payload is a view into a chunk that is never written again: a client may hold it until it is flushed, or
 * longer to send it again, and it stays valid as long as anything holds it. Chunks come from no pool; once this moves
 * on to the next chunk it keeps no reference to the last, so a chunk is freed when the last of its messages is.
 */
export class MessageBytes {
  private readonly lines: RecordBytes;
  private chunks = new ByteChunks(CHUNK_BYTES);

  constructor(fleet: Fleet, area: ServiceAreaName) {
    this.lines = new RecordBytes(fleet, area);
  }

  of(batch: ReadingBatch, row: number): Buffer {
    const before = this.chunks.bytes;
    this.lines.append(batch, row, this.chunks);
    // A line is written whole into the open chunk (RecordBytes reserves its room first), so it ends at `offset`.
    const end = this.chunks.offset;
    const payload = this.chunks.buffer.subarray(end - (this.chunks.bytes - before), end - 1);
    // ByteChunks keeps every chunk it filled; a fresh one per chunk's worth lets the filled ones go.
    if (this.chunks.bytes >= CHUNK_BYTES) this.chunks = new ByteChunks(CHUNK_BYTES);
    return payload;
  }
}
