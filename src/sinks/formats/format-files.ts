import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATE_DIR } from '../partition-files.js';
import type { ExchangeFormat, FormatReadContext, FormatReading } from './exchange-format.js';
import { CUSTOMER_PART_EXTENSION } from './format-sink.js';

const PART_NAME = /^part-\d{6,}-\d{6,}-/;

/**
 * The published files of an exchange-format output directory, in name order (dates, then parts, then meters):
 * `date=*\/part-*.<ext>`, or the files inside `date=*\/part-*.customers/` (of the date partitions `localDates` only, when
 * given). Temporaries ('.' names), claims and
 * anything else are skipped, as readers of partitioned data do.
 */
export async function formatFiles(dir: string, format: ExchangeFormat, localDates?: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const suffix = format.grouping === 'customer-day' ? `.${CUSTOMER_PART_EXTENSION}` : `.${format.extension}`;
  const wanted = localDates ? new Set(localDates.map((d) => `date=${d}`)) : null;
  for (const date of (await entries(dir)).filter((e) => e.isDirectory() && DATE_DIR.test(e.name) && (wanted?.has(e.name) ?? true)).map((e) => e.name).sort()) {
    for (const part of (await entries(join(dir, date))).map((e) => e.name).filter((n) => PART_NAME.test(n) && n.endsWith(suffix)).sort()) {
      const path = join(dir, date, part);
      if (format.grouping === 'date') files.push(path);
      else for (const name of (await entries(path)).map((e) => e.name).filter((n) => !n.startsWith('.') && n.endsWith(`.${format.extension}`)).sort()) files.push(join(path, name));
    }
  }
  return files;
}

/**
 * Every reading of an output directory (of the date partitions `localDates` only, when given), file by file: each file
 * is read whole, so memory holds one file (a part's or a meter-day's) at a time.
 */
export async function* readFormatDir(dir: string, format: ExchangeFormat, context: FormatReadContext, localDates?: readonly string[]): AsyncGenerator<FormatReading> {
  for (const path of await formatFiles(dir, format, localDates)) yield* format.read(await readFile(path, 'utf8'), context);
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}
