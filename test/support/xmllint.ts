import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Green Button schemas beside the repository: <repo>/../shared/reference-data/greenbutton/greenbutton.xsd. */
export const GREENBUTTON_XSD = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'reference-data', 'greenbutton', 'greenbutton.xsd');

export interface SchemaGate {
  readonly run: boolean;
  /** Why the suite is skipped (printed), or ''. */
  readonly note: string;
}

/**
 * Whether the Green Button validation suite can run: Debian's xmllint (libxml2-utils) on the PATH and the ESPI
 * schemas in ../shared/reference-data/greenbutton. Absent, the suite is skipped with the reason printed, except on CI
 * (env CI set), where it runs and fails (as brokers.ts does for services).
 */
export function xmllintGate(): SchemaGate {
  const problems: string[] = [];
  if (spawnSync('xmllint', ['--version'], { encoding: 'utf8' }).error) problems.push('xmllint is not installed (apt-get install -y libxml2-utils)');
  if (!existsSync(GREENBUTTON_XSD)) problems.push(`the schemas are not at ${GREENBUTTON_XSD}`);
  if (problems.length === 0 || process.env.CI) return { run: true, note: problems.length === 0 ? '' : ` (required on CI: ${problems.join('; ')})` };
  const note = ` (skipped: ${problems.join('; ')}; set CI to make absence a failure)`;
  console.warn(`Green Button schema validation${note}`);
  return { run: false, note };
}

/** Validates files against the Green Button schemas; returns xmllint's complaints (empty when every file validates). */
export function xmllintErrors(files: readonly string[]): string[] {
  const errors: string[] = [];
  // A few files per call: xmllint loads the schemas once per call.
  for (let i = 0; i < files.length; i += 20) {
    const batch = files.slice(i, i + 20);
    const run = spawnSync('xmllint', ['--noout', '--schema', GREENBUTTON_XSD, ...batch], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.error) throw run.error;
    for (const line of run.stderr.split('\n')) if (line !== '' && !line.endsWith(' validates')) errors.push(line);
    if (run.status !== 0 && errors.length === 0) errors.push(`xmllint exited ${run.status} on ${batch.map((f) => join(f)).join(', ')}`);
  }
  return errors;
}
