/**
 * An error as one line for a user: its message with its code (a Postgres SQLSTATE, an errno) when the message does
 * not already say it; every error of an AggregateError (a connection tried on several addresses).
 */
export function errorText(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(errorText).join('; ');
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return e.message ? (typeof code === 'string' && !e.message.includes(code) ? `${e.message} (${code})` : e.message) : String(code ?? e.name);
  }
  return String(e);
}
