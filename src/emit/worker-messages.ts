import type { GenerationDay } from '../generator/calendar.js';
import type { ReadingBatch } from '../generator/reading-batch.js';

export interface WorkerRequest {
  readonly sequence: number;
  readonly day: GenerationDay;
  readonly meterStart: number;
  readonly meterEnd: number;
  /** A batch of the unit's size to overwrite, its buffers transferred; absent, the worker allocates one. */
  readonly recycled?: ReadingBatch | undefined;
}

export type WorkerReply =
  | { readonly sequence: number; readonly batch: ReadingBatch; readonly error?: undefined }
  | { readonly sequence: number; readonly error: string; readonly batch?: undefined };
