import { ForgeError } from '../../util/forge-error.js';
import { redactUrl, serviceUrlProblem } from '../../util/service-url.js';

/**
 * The MQTT sink's broker URL, checked without loading the client library, so the option schema
 * (jobs/output-options.ts) can validate it at the boundary (invariant 5) and the sink can check it again.
 */

export const DEFAULT_MQTT_URL = 'mqtt://127.0.0.1:1883';
export const MQTT_URL_ENV = 'FORGE_MQTT_URL';
const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];

/** The URL a job uses when none is given: $FORGE_MQTT_URL, else the local broker. */
export const defaultMqttUrl = (env: NodeJS.ProcessEnv = process.env): string => env[MQTT_URL_ENV] || DEFAULT_MQTT_URL;

/** Checks a URL's form. Returns a problem (never quoting the URL, which may hold a password) or undefined. */
export const mqttUrlProblem = (url: string): string | undefined => serviceUrlProblem(url, MQTT_PROTOCOLS, DEFAULT_MQTT_URL);

/** Checks the URL (FORGE_ERR_INVALID_CONFIG) and returns it as it may be shown: the password replaced by `***`. */
export function checkMqttUrl(url: string): string {
  const problem = mqttUrlProblem(url);
  if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`mqtt url: ${problem}`]);
  return redactUrl(url).replace(/\/$/, '');
}
