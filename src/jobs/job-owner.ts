import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';

/** What kind of process owns a running job: a CLI command (`forge generate`, `forge stream`) or `forge serve`. */
export const OWNER_ROLES = ['cli', 'server'] as const;
export type OwnerRole = (typeof OWNER_ROLES)[number];

/**
 * The process that runs a job, as recorded with it. `instance` is random per process start, so a restarted server
 * (PID 1 again in a container) or an unrelated process that reuses the pid is never mistaken for the owner.
 */
export interface JobOwner {
  readonly instance: string;
  readonly pid: number;
  readonly host: string;
  readonly role: OwnerRole;
}

export const jobOwnerSchema = z.object({
  instance: z.string().min(1).max(64),
  pid: z.int().min(0),
  host: z.string().max(255),
  role: z.enum(OWNER_ROLES),
});

const INSTANCE = randomBytes(8).toString('hex');
let role: OwnerRole = 'cli';

/** Called once by the server: the jobs this process records from now on are owned by `forge serve`. */
export function setOwnerRole(value: OwnerRole): void {
  role = value;
}

/** This process as a job owner. */
export function thisOwner(): JobOwner {
  return { instance: INSTANCE, pid: process.pid, host: hostname(), role };
}

/** True when `owner` is this very process (same random instance id), not merely the same pid. */
export function isThisProcess(owner: JobOwner | undefined): boolean {
  return owner?.instance === INSTANCE;
}
