import { LocalStageStore } from './local-stage-store.js';
import { S3StageStore, type S3StageOptions } from './s3-stage-store.js';
import type { StageLocation } from './stage-location.js';
import type { StageStore } from './stage-store.js';

/** The store of a stage location (the only place that picks local or S3). */
export function openStageStore(location: StageLocation, s3: S3StageOptions = {}): StageStore {
  return location.kind === 'file' ? new LocalStageStore(location.dir) : new S3StageStore(location.bucket, location.prefix, s3);
}
