import type { ComponentChildren } from 'preact';

/** A figure with its label. */
export function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="stat" data-testid={testId}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

/** A job's or a check's state as a coloured badge. */
export function Badge({ tone, children }: { tone: 'ok' | 'bad' | 'warn' | 'info' | 'muted'; children: ComponentChildren }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export const statusTone = (status: string): 'ok' | 'bad' | 'warn' | 'info' | 'muted' =>
  status === 'completed' ? 'ok' : status === 'failed' ? 'bad' : status === 'running' ? 'info' : status === 'interrupted' ? 'warn' : 'muted';

/** An API error, shown as text with its code. */
export function ErrorNote({ error }: { error: { code?: string; message: string } | null }) {
  if (!error) return null;
  return (
    <div class="error" role="alert" data-testid="error">
      {error.code ? <strong>{error.code}: </strong> : null}
      {error.message}
    </div>
  );
}
