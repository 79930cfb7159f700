import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseCalibrationProfile, type CalibrationProfile } from '../scenario/calibration-profile.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';

const isYaml = (path: string): boolean => ['.yaml', '.yml'].includes(extname(path).toLowerCase());

/** Reads and validates a profile file (YAML by extension .yaml/.yml, else JSON); FORGE_ERR_INVALID_PROFILE naming it. */
export async function readCalibrationProfileFile(path: string): Promise<CalibrationProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ForgeError('FORGE_ERR_INVALID_PROFILE', [path, errorText(error)]);
  }
  let value: unknown;
  try {
    value = isYaml(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ForgeError('FORGE_ERR_INVALID_PROFILE', [path, `not ${isYaml(path) ? 'YAML' : 'JSON'}: ${errorText(error).split('\n')[0]}`]);
  }
  return parseCalibrationProfile(value, path);
}

/** The profile as file text: YAML for .yaml/.yml, else JSON; numbers rounded to 6 significant digits (aggregates only). */
export function calibrationProfileText(profile: CalibrationProfile, path: string): string {
  const rounded = JSON.parse(JSON.stringify(profile, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v))) as unknown;
  return isYaml(path) ? stringifyYaml(rounded) : `${JSON.stringify(rounded, null, 2)}\n`;
}

/** Writes the profile (replacing a file there), after validating it as any reader will. */
export async function writeCalibrationProfileFile(profile: CalibrationProfile, path: string): Promise<void> {
  parseCalibrationProfile(profile, path);
  await writeFile(path, calibrationProfileText(profile, path));
}
