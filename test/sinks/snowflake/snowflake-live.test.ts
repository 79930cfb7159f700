import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runStreamJob } from '../../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../../src/scenario/scenario.js';
import { SnowpipeStreamingSink } from '../../../src/sinks/snowflake/snowpipe-streaming-sink.js';
import { resolveEmission } from '../../../src/stream/emission-settings.js';

/**
 * Against a real Snowflake account, only when one is configured: SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and
 * SNOWFLAKE_PRIVATE_KEY_PATH (the objects of `forge ddl --target snowflake` created first). There is no account on
 * the development machine or on CI, so this says why it skips there.
 */
const env = process.env;
const configured = Boolean(env.SNOWFLAKE_ACCOUNT && env.SNOWFLAKE_USER && env.SNOWFLAKE_PRIVATE_KEY_PATH);
if (!configured) console.warn('Snowflake live tests skipped: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PRIVATE_KEY_PATH to run them against an account');

describe.runIf(configured)('Snowpipe Streaming against the Snowflake account in SNOWFLAKE_ACCOUNT', () => {
  it('streams a small fleet and every batch commits', async () => {
    const scenario = resolveScenario({ start: '2026-06-01', days: 1, meters: 5, seed: 11 });
    const summary = await runStreamJob({
      scenario,
      window: { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) },
      speed: null,
      emission: resolveEmission('UNIFORM'),
      jobId: `job-live-${Date.now()}`,
      sinks: [
        new SnowpipeStreamingSink({
          account: env.SNOWFLAKE_ACCOUNT!,
          user: env.SNOWFLAKE_USER!,
          database: env.SNOWFLAKE_DATABASE ?? 'FORGE',
          schema: env.SNOWFLAKE_SCHEMA ?? 'AMI',
          pipe: 'AMI_STREAMING_PIPE',
          auth: { kind: 'keypair', privateKeyPem: readFileSync(env.SNOWFLAKE_PRIVATE_KEY_PATH!, 'utf8'), ...(env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE ? { passphrase: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE } : {}) },
        }),
      ],
    });
    expect(summary.status).toBe('completed');
    expect(summary.stats.sinks[0]).toMatchObject({ committed: 5 * 96 });
  }, 300_000);
});
