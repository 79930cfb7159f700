import type { Sink } from '../../src/sinks/sink.js';

/**
 * `sink`, aborting `controller` after its `writes`-th write (as Ctrl-C would, mid-stream): for stop-and-resume tests.
 * Every other call (labels included) goes straight to the sink.
 */
export function stoppingAfter(sink: Sink, writes: number, controller: AbortController): Sink {
  let count = 0;
  return {
    name: sink.name,
    open: (c) => sink.open(c),
    write: async (b, i) => {
      await sink.write(b, i);
      if (++count === writes) controller.abort();
    },
    flush: () => sink.flush(),
    close: (o) => sink.close(o),
    abort: (r) => sink.abort(r),
    ...(sink.checkpoint ? { checkpoint: (j: string) => sink.checkpoint!(j) } : {}),
    ...(sink.writeLabels ? { writeLabels: (l: Parameters<NonNullable<Sink['writeLabels']>>[0], i: Parameters<NonNullable<Sink['writeLabels']>>[1]) => sink.writeLabels!(l, i) } : {}),
  };
}
