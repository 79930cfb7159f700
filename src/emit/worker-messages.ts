import type { GenerationDay } from '../generator/calendar.js';
import type { ReadingBatch } from '../generator/reading-batch.js';

export interface WorkerRequest {
  readonly sequence: number;
  readonly day: GenerationDay;
  readonly meterStart: number;
  readonly meterEnd: number;
}

export type WorkerReply =
  | { readonly sequence: number; readonly batch: ReadingBatch; readonly error?: undefined }
  | { readonly sequence: number; readonly error: string; readonly batch?: undefined };
