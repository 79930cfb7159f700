import { withFleetFile } from '../warehouse/fleet-file.js';
import { confinedReadPath } from './output-policy.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An API scenario that names a fleet file, with the file confined to the server's data directory (as every path a
 * client names) and read: its meter count and hash filled in, its inventory remembered in this thread. Anything else
 * comes back as it was, for the schemas to judge.
 */
export async function withServerFleetFile(scenario: unknown, dataDir: string, field = 'scenario.fleetFile'): Promise<unknown> {
  if (!isObject(scenario) || typeof scenario.fleetFile !== 'string') return scenario;
  return withFleetFile({ ...scenario, fleetFile: confinedReadPath(scenario.fleetFile, field, dataDir) });
}

/** A job request body (POST /api/jobs) with its scenario's fleet file confined and read (withServerFleetFile). */
export async function withServerFleetFileInBody(body: unknown, dataDir: string): Promise<unknown> {
  if (!isObject(body) || !isObject(body.scenario) || typeof body.scenario.fleetFile !== 'string') return body;
  return { ...body, scenario: await withServerFleetFile(body.scenario, dataDir) };
}
