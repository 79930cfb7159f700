import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.js';

/** The value once it has stopped changing for `ms` (a fleet of 100,000 meters is not re-measured per keystroke). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: ApiError | null;
  readonly loading: boolean;
}

/**
 * Loads `load(signal)` whenever `key` changes (and `enabled` holds); a newer key aborts the request under way, so an
 * answer for an old configuration never replaces a newer one.
 */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>, enabled = true): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, loading: true });
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    latest.current(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, error: null, loading: false }),
      (error: ApiError) => !controller.signal.aborted && setState({ data: null, error, loading: false }),
    );
    return () => controller.abort();
  }, [key, enabled]);
  return state;
}

/** Calls `fn` now and every `ms` while mounted (and while `active`). */
export function usePoll(fn: () => void, ms: number, active = true): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (!active) return;
    latest.current();
    const timer = window.setInterval(() => latest.current(), ms);
    return () => window.clearInterval(timer);
  }, [ms, active]);
}
