import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForgeAsync } from '../../support/brokers.js';
import { withTempDir } from '../../support/fixtures.js';
import { FakeSnowflakeSql } from '../../support/snowflake/fake-snowflake-sql.js';
import { FakeSnowflake } from '../../support/snowflake/fake-snowflake.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('forge stream --sink snowflake (against the documented fake)', () => {
  let fake: FakeSnowflake;
  beforeAll(async () => {
    fake = await FakeSnowflake.start({ kind: 'keypair', publicKeyPem: keys.publicKey, account: 'MYORG-MYACCOUNT', user: 'FORGE_LOADER' });
  });
  afterAll(async () => fake?.close());

  it('streams every reading through Snowpipe Streaming with key-pair auth from a key file; no secret in the job record', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'key.pem'), keys.privateKey, { mode: 0o600 });
      const run = await runForgeAsync(
        ['stream', '--meters', '20', '--from', '2026-06-01T00:00:00Z', '--duration', '2h', '--speed', 'max', '--sink', 'snowflake',
          '--snowflake-account', 'myorg-myaccount', '--snowflake-user', 'forge_loader', '--snowflake-private-key', 'key.pem',
          '--snowflake-url', fake.accountUrl, '--state-dir', join(dir, 'jobs'), '--json'],
        dir,
      );
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.status).toBe('completed');
      // Rows appended (the completed job dropped its channel afterwards): the NDJSON lines of the accepted appends.
      const appends = fake.requests.filter((r) => r.method === 'POST' && r.rawPath.endsWith('/rows') && r.status === 200);
      const rows = appends.flatMap((r) => r.body.trim().split('\n')).map((line) => JSON.parse(line) as { METER_ID: string; READING_TS_UTC: string });
      expect(rows.length).toBe(20 * 8);
      expect(new Set(rows.map((r) => `${r.METER_ID} ${r.READING_TS_UTC}`)).size).toBe(20 * 8);
      expect(fake.violations).toEqual([]);
      const record = await import('node:fs/promises').then((fs) => fs.readFile(join(dir, 'jobs', `${summary.jobId}.json`), 'utf8'));
      expect(record).toContain('"snowflakeAccount": "myorg-myaccount"');
      expect(record).not.toContain('PRIVATE KEY');
    });
  }, 60_000);

  it('refuses to start without credentials, saying what to give, and writes nothing', async () => {
    await withTempDir(async (dir) => {
      const before = fake.requests.length;
      const run = await runForgeAsync(['stream', '--meters', '5', '--duration', '1h', '--speed', 'max', '--sink', 'snowflake', '--snowflake-account', 'myorg-myaccount',
        '--snowflake-url', fake.accountUrl, '--state-dir', join(dir, 'jobs')], dir, { SNOWFLAKE_OAUTH_TOKEN: '', SNOWFLAKE_PRIVATE_KEY_PATH: '' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/no credentials: give --snowflake-private-key/);
      expect(fake.requests.length).toBe(before);
      await expect(import('node:fs/promises').then((fs) => fs.readdir(join(dir, 'jobs')))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  }, 60_000);
});

describe('forge generate --sink snowflake-insert (against the driver fake)', () => {
  it('inserts every reading through snowflake-sdk with the password from $SNOWFLAKE_PASSWORD, never from a flag', async () => {
    const fake = await FakeSnowflakeSql.start({ account: 'myorg-myaccount', user: 'forge_loader', auth: { kind: 'password', password: 'pw-s3cret' } });
    try {
      await withTempDir(async (dir) => {
        const run = await runForgeAsync(
          ['generate', '--meters', '6', '--days', '1', '--start', '2026-06-01', '--sink', 'snowflake-insert', '--snowflake-account', 'myorg-myaccount',
            '--snowflake-user', 'forge_loader', '--snowflake-url', fake.url, '--state-dir', join(dir, 'jobs'), '--json'],
          dir,
          { SNOWFLAKE_PASSWORD: 'pw-s3cret', SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true', SF_TELEMETRY_DISABLE_CONNECTION_SHAPE: 'true', SNOWFLAKE_PRIVATE_KEY_PATH: '', SNOWFLAKE_OAUTH_TOKEN: '' },
        );
        expect(run.code, run.stderr).toBe(0);
        expect(fake.tables.get('FORGE.AMI.AMI_READINGS')!.length).toBe(6 * 96);
        expect(run.stdout + run.stderr).not.toContain('pw-s3cret');
      });
    } finally {
      await fake.close();
    }
  }, 60_000);
});
