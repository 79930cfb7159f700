import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * File names of a partitioned output directory: `<dir>/date=YYYY-MM-DD/part-00000.<ext>`, hive-style date partitions
 * (what Spark, DuckDB, Athena, Snowflake external tables and data teams expect; readers with hive partitioning get a
 * `date` column). Parts number from 0 within a date; a later job with append, or a
 * date split because it outgrew the staging limit, takes the next free number, so nothing is ever overwritten.
 *
 * Files are written under a temporary name beginning with '.' (which readers of partitioned data skip) and renamed
 * when complete, so a visible part file is always a whole one.
 */
export class PartitionFiles {
  private readonly dir: string;
  private readonly extension: string;
  private readonly nextPart = new Map<string, number>();

  constructor(dir: string, extension: string) {
    this.dir = dir;
    this.extension = extension;
  }

  /** The directory of a date's partition. `localDate` must already be validated as YYYY-MM-DD. */
  partitionDir(localDate: string): string {
    return join(this.dir, `date=${localDate}`);
  }

  /** Reserves the next free part file of a date; returns its final path and the temporary path to write first. */
  async reserve(localDate: string): Promise<{ path: string; temporary: string }> {
    let part = this.nextPart.get(localDate);
    if (part === undefined) part = await this.firstFreePart(localDate);
    this.nextPart.set(localDate, part + 1);
    const name = `part-${String(part).padStart(5, '0')}.${this.extension}`;
    const dir = this.partitionDir(localDate);
    return { path: join(dir, name), temporary: join(dir, `.${name}.${process.pid}.tmp`) };
  }

  private async firstFreePart(localDate: string): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.partitionDir(localDate));
    } catch {
      return 0;
    }
    const pattern = new RegExp(`^part-(\\d+)\\.${this.extension}$`);
    let max = -1;
    for (const n of names) {
      const m = pattern.exec(n);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }
}
