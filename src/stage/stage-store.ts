/** One file of a stage: its key (relative to the stage's root, '/'-separated), size and modification time. */
export interface StageFile {
  readonly key: string;
  readonly size: number;
  readonly modifiedMs: number;
  /** The object's ETag where the store has one (S3): how the loader tells a file rewritten in place. */
  readonly etag?: string;
}

/**
 * A stage's files, local or in an S3-compatible bucket. A file is visible only once complete: `put` writes a
 * temporary file and renames it (local) or sends one PUT (S3), and `list` never shows partial files.
 */
export interface StageStore {
  /** The stage, fit to print (no credentials). */
  readonly description: string;
  /** Checks the stage can be written (creates the directory; checks the bucket exists). */
  prepare(): Promise<void>;
  put(key: string, body: Buffer): Promise<void>;
  /** Every file under `prefix` (a key prefix, '' for all), in key order. Pages through large listings. */
  list(prefix?: string): Promise<StageFile[]>;
  get(key: string): Promise<Buffer>;
  /** Removes the temporaries of files being written whose keys `belongs` accepts (a resumed writer's leftovers); stores that write in one request have none. */
  removeTemporaries?(belongs: (key: string) => boolean): Promise<void>;
  close(): void;
}
