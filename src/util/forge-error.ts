/**
 * The one error registry (Fastify lib/errors.js style). Every error a user can meet has a stable code, a message
 * template and the HTTP status an API answers with; docs/ERRORS.md documents each code and a test keeps the two in step,
 * another that every code is raised somewhere in src/ (test/core/error-codes.test.ts).
 * CLI exit codes follow from the kind: 2 for bad input (usage), 1 for everything else. A job stopped by a signal is not
 * an error: it ends `stopped` and the CLI exits 130 without a code (src/cli/stop-on-signals.ts).
 */

export interface ErrorDefinition {
  readonly message: string;
  readonly status: number;
  readonly exitCode: number;
}

export const ERROR_CODES = {
  FORGE_ERR_INVALID_CONFIG: { message: 'Invalid configuration: %s', status: 400, exitCode: 2 },
  FORGE_ERR_CONFIG_FILE: { message: 'Cannot read config file %s: %s', status: 400, exitCode: 2 },
  FORGE_ERR_UNKNOWN_SINK: { message: '%s: unknown sink "%s" (known: %s)', status: 400, exitCode: 2 },
  FORGE_ERR_TABLE_EXISTS: {
    message: 'Table %s already holds %s rows in %s; to complete a killed job run forge generate --resume <job>, to add other data pass --append, or write to another table or file',
    status: 409,
    exitCode: 1,
  },
  FORGE_ERR_CONFLICTING_ROWS: {
    message: 'Table %s in %s already holds %s of these readings with different values (e.g. %s); nothing of the batch was written: pass --on-conflict skip to keep them or --on-conflict replace to overwrite them',
    status: 409,
    exitCode: 1,
  },
  FORGE_ERR_OUTPUT_EXISTS: { message: 'Output %s already exists; pass --append or choose another --out', status: 409, exitCode: 1 },
  FORGE_ERR_OUTPUT_NOT_FOUND: { message: 'No Flux Data Forge output at %s', status: 404, exitCode: 1 },
  FORGE_ERR_INVALID_IDENTIFIER: { message: 'Invalid identifier "%s": %s', status: 400, exitCode: 2 },
  FORGE_ERR_SINK_WRITE: { message: 'Sink %s failed: %s', status: 502, exitCode: 1 },
  FORGE_ERR_SINK_STATE: { message: 'Sink %s: %s', status: 500, exitCode: 1 },
  FORGE_ERR_SINK_CONNECT: { message: 'Sink %s cannot reach %s: %s', status: 503, exitCode: 1 },
  FORGE_ERR_STREAM_CONFLICT: { message: 'Sink %s cannot use %s: %s', status: 409, exitCode: 1 },
  FORGE_ERR_WORKER: { message: 'Generation worker failed: %s', status: 500, exitCode: 1 },
  FORGE_ERR_NOT_FOUND: { message: 'No route %s', status: 404, exitCode: 1 },
  FORGE_ERR_INTERNAL: { message: 'Internal server error; the server log has the details', status: 500, exitCode: 1 },
  FORGE_ERR_JOB_NOT_FOUND: { message: 'No job %s in %s', status: 404, exitCode: 1 },
  FORGE_ERR_JOB_STATE: { message: 'Job %s: %s', status: 409, exitCode: 1 },
  FORGE_ERR_JOB_RECORD_UNREADABLE: { message: 'Job record %s is unreadable: %s', status: 422, exitCode: 1 },
  FORGE_ERR_VERIFY_FAILED: { message: 'Verification of %s found problems: %s', status: 409, exitCode: 1 },
  FORGE_ERR_API_TOKEN_REQUIRED: {
    message: 'Serving on %s reaches beyond this machine; set FORGE_API_TOKEN to require a bearer token, or serve on 127.0.0.1',
    status: 400,
    exitCode: 2,
  },
  FORGE_ERR_UNAUTHORIZED: { message: 'Unauthorized: %s', status: 401, exitCode: 1 },
  FORGE_ERR_INVALID_PROFILE: { message: 'Invalid calibration profile %s: %s', status: 400, exitCode: 2 },
  FORGE_ERR_READINGS: { message: 'Cannot calibrate on %s: %s', status: 400, exitCode: 2 },
  FORGE_ERR_FLEET_IMPORT: { message: 'Cannot import the fleet from %s: %s', status: 400, exitCode: 2 },
  FORGE_ERR_FLEET_FILE: { message: 'Fleet file %s: %s', status: 400, exitCode: 2 },
  FORGE_ERR_FORMAT_FILE: { message: 'Cannot read %s file %s: %s', status: 422, exitCode: 1 },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ForgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: number;

  constructor(code: ErrorCode, args: readonly (string | number)[] = [], options?: { cause?: unknown }) {
    const def: ErrorDefinition = ERROR_CODES[code];
    let i = 0;
    super(def.message.replace(/%s/g, () => String(args[i++] ?? '')), options);
    this.name = 'ForgeError';
    this.code = code;
    this.status = def.status;
    this.exitCode = def.exitCode;
  }
}

export function isForgeError(e: unknown): e is ForgeError {
  return e instanceof ForgeError;
}
