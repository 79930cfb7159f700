/**
 * The request a job starts with: what POST /api/jobs takes. In a module of its own, apart from api.ts (which uses the
 * browser's storage), so the request builders can be type-checked and tested on Node too.
 */
export interface JobRequest {
  readonly kind: 'batch' | 'stream';
  readonly scenario: Record<string, unknown>;
  readonly output: Record<string, unknown>;
  readonly stream?: Record<string, unknown>;
}
