import { SingleBar } from 'cli-progress';
import type { BatchProgress } from '../jobs/batch-job.js';

const formatRate = (rowsPerSecond: number): string =>
  rowsPerSecond >= 1e6 ? `${(rowsPerSecond / 1e6).toFixed(2)}M` : rowsPerSecond >= 1e3 ? `${(rowsPerSecond / 1e3).toFixed(0)}K` : rowsPerSecond.toFixed(0);

/**
 * A progress bar on stderr (rows, rows/s, ETA), shown only when stderr is a terminal so that logs and pipes stay clean.
 * Returns the progress callback and a function to end the bar.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { update: (p: BatchProgress) => void; stop: () => void } {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream,
    format: ' {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
    hideCursor: true,
    etaBuffer: 50,
    fps: 5,
  });
  let started = false;
  return {
    update: (p) => {
      if (!started) {
        bar.start(p.expectedRows, 0, { rate: '0' });
        started = true;
      }
      bar.update(p.rows, { rate: formatRate(p.elapsedSeconds > 0 ? p.generatedRows / p.elapsedSeconds : 0) });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export { formatRate };
