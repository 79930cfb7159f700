/**
 * Connection URLs of the service sinks (Postgres, MQTT, NATS): a form check that never quotes the URL (it may hold
 * a password), and the form a URL may be shown in (errors, job summaries) with its password replaced by `***`.
 */

/** A problem with the URL's form, or undefined: it must parse, use one of `protocols` and, if asked, name a host. */
export function serviceUrlProblem(url: string, protocols: readonly string[], example: string, requireHost = true): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL (expected e.g. ${example})`;
  }
  if (!protocols.includes(parsed.protocol)) return `expected ${protocols.map((p) => `${p}//`).join(', ')}, not ${parsed.protocol}//`;
  if (requireHost && !parsed.hostname) return 'the URL names no host';
  return undefined;
}

/** The URL as it may be shown: redact-secrets.ts is the one place that decides (password, NATS token, query keys). */
export { redactUrl } from './redact-secrets.js';
