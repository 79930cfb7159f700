import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { ForgeError, isForgeError, type ErrorCode } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { redactText } from '../util/redact-secrets.js';

/** The body of every error the API answers with: a registry code and a message, never a stack trace. */
export interface ApiErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
}

/** An error as the API shows it: its HTTP status and `{ code, message }`. */
export function apiError(error: unknown): { status: number; body: ApiErrorBody } {
  if (isForgeError(error)) return { status: error.status, body: { code: error.code, message: redactText(error.message) } };
  if (error instanceof ZodError) {
    const e = new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(error.issues as never)]);
    return { status: e.status, body: { code: e.code, message: e.message } };
  }
  // Fastify's own request errors (malformed JSON, a body that is not an object, a too large body) are bad input.
  const fastifyError = error as Partial<FastifyError> | null;
  if (fastifyError && typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const detail = fastifyError.validation ? `body${fastifyError.validationContext === 'body' ? '' : ` ${fastifyError.validationContext ?? ''}`} ${fastifyError.message ?? ''}` : (fastifyError.message ?? 'bad request');
    const e = new ForgeError('FORGE_ERR_INVALID_CONFIG', [detail.trim()]);
    return { status: fastifyError.statusCode === 413 ? 413 : 400, body: { code: e.code, message: e.message } };
  }
  const internal = new ForgeError('FORGE_ERR_INTERNAL');
  return { status: internal.status, body: { code: internal.code, message: internal.message } };
}

/** Fastify error handler: known errors as `{ code, message }` with their status; unknown ones logged, answered 500. */
export function apiErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = apiError(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.status(status).send(body);
}
