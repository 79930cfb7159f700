/**
 * One computation at a time per database file, the most urgent first. The Explore page asks for all its panels at
 * once; run side by side on a 2-core machine they share the cores and every chart arrives late (measured on the `se`
 * preset: the first after about 10 s, against about 0.1 s for a meter's week computed alone). In turn, the quick panels
 * go first and each chart appears as soon as its own queries are done.
 */
/** How long an idle lane gathers requests before it starts the most urgent (a panel takes 0.1 to 2 s). */
const GATHER_MS = 10;

export class ExploreGate {
  private readonly lanes = new Map<string, { busy: boolean; waiting: { priority: number; order: number; go: () => void }[] }>();
  private order = 0;

  /**
   * Runs `task` when nothing else runs for `key` and no waiting task has a lower `priority` (then first come first);
   * on an idle key, after GATHER_MS.
   */
  async run<T>(key: string, priority: number, task: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { busy: false, waiting: [] };
      this.lanes.set(key, lane);
    }
    const waiting = lane.waiting;
    const turn = new Promise<void>((go) => waiting.push({ priority, order: this.order++, go }));
    if (!lane.busy) {
      // An idle lane waits a moment before it starts: the page's requests arrive as a burst, and the most urgent of
      // the burst should go first, not the first to arrive.
      lane.busy = true;
      const idle = lane;
      setTimeout(() => this.next(key, idle), GATHER_MS);
    }
    await turn;
    try {
      return await task();
    } finally {
      this.next(key, lane);
    }
  }

  private next(key: string, lane: { busy: boolean; waiting: { priority: number; order: number; go: () => void }[] }): void {
    lane.waiting.sort((a, b) => a.priority - b.priority || a.order - b.order);
    const next = lane.waiting.shift();
    if (next === undefined) {
      lane.busy = false;
      this.lanes.delete(key);
    } else next.go();
  }
}
