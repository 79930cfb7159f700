import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { z } from 'zod';

/** A route's OpenAPI entry, its request and reply parts given as the zod schemas the route validates and answers with. */
export interface RouteDocs extends Omit<FastifySchema, 'body' | 'querystring' | 'response'> {
  readonly summary: string;
  readonly tags: string[];
  /** The body as the handler parses it (shown as what a client may send: before preprocessing, defaults optional). */
  readonly body?: z.ZodType;
  readonly querystring?: z.ZodType;
  /** Replies by status (shown as what the server sends). */
  readonly response?: Readonly<Record<number, z.ZodType>>;
}

/** Route options carrying docs to the OpenAPI document, with compilers that make the schemas documentation only. */
export interface DocumentedRouteOptions {
  readonly schema: FastifySchema;
  readonly validatorCompiler: FastifySchemaCompiler<unknown>;
  readonly serializerCompiler: FastifySerializerCompiler<unknown>;
}

/**
 * Route options whose schema, as @fastify/swagger shows it at /docs, is derived from the route's zod schemas, so the
 * document shows the real fields, enumerations, bounds and defaults and cannot drift from them.
 *
 * The JSON Schemas only document. Fastify neither validates a request by them nor serializes a reply by them: the
 * handler validates with the zod schema itself (its preprocessing, defaults, refinements and our FORGE_ERR_INVALID_CONFIG
 * messages naming the field), and Fastify's own validation would refuse what zod accepts (text for a number, `sink`
 * as "a,b"), fill in defaults, drop unknown keys zod must report, or answer with its own texts. Replies are sent as
 * they would be without a schema (JSON.stringify), never stripped to the schema's fields.
 */
export function documentedRoute(docs: RouteDocs): DocumentedRouteOptions {
  const { body, querystring, response, ...rest } = docs;
  const schema: FastifySchema = {
    ...rest,
    ...(body ? { body: jsonSchemaOf(body, 'input') } : {}),
    ...(querystring ? { querystring: jsonSchemaOf(querystring, 'input') } : {}),
    ...(response ? { response: Object.fromEntries(Object.entries(response).map(([status, reply]) => [status, jsonSchemaOf(reply, 'output')])) } : {}),
  };
  return { schema, validatorCompiler: () => () => true, serializerCompiler: () => (data: unknown) => JSON.stringify(data) };
}

/**
 * A zod schema as JSON Schema draft-07, the dialect of Fastify route schemas (@fastify/swagger turns it into OpenAPI).
 * A part JSON Schema cannot express (a custom check) is shown as any value rather than failing the server's start.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { target: 'draft-07', io, unrepresentable: 'any' });
  return json;
}
