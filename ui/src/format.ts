/** Number and time formatting shared by the pages (en-US grouping, SI-ish suffixes). */

export const int = (n: number | null | undefined): string => (n === null || n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));

export function compact(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}K`;
  return int(n);
}

export const fixed = (n: number | null | undefined, digits = 1): string => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' }) : '—');

/** Milliseconds a job ran (or has run so far). */
export const jobMs = (job: { createdAt: string; finishedAt: string | null; updatedAt: string; status: string }): number =>
  Date.parse(job.finishedAt ?? (job.status === 'running' ? new Date().toISOString() : job.updatedAt)) - Date.parse(job.createdAt);

/** A cell's text: objects as compact JSON, nothing as an empty string. Always text, never markup. */
export const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
