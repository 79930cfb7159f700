import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { FakeStageStore } from './fake-snowflake-stage.js';

export const STAGE_BUCKET = 'sfc-fake-stage';
export const STAGE_S3_CREDS = { AWS_KEY_ID: 'S3RVER', AWS_SECRET_KEY: 'S3RVER', AWS_TOKEN: 'temporary-stage-session-token' } as const;

/** An S3-compatible server that FakeSnowflakeStage's PUT answers point the driver at, and how to stop it. */
export interface LocalStageStore {
  readonly store: FakeStageStore;
  close(): Promise<void>;
}

/**
 * Starts s3rver with TLS on a self-signed certificate, for the driver to upload staged files to. The driver uploads a
 * PUT's file to `https://<stageInfo.endPoint>` (lib/file_transfer_agent/s3_util.js prefixes https:// itself, there is
 * no http:// form). Its S3 client is built inside the driver with a default HTTPS agent, which offers no way to add a
 * CA, and Node 20 has no runtime API for the default CA list; so certificate checks are switched off for the calling
 * test process only (vitest runs each test file in its own forked process, see vitest.config.ts). Every TLS peer
 * there is 127.0.0.1. The fake's own reads trust the certificate properly.
 *
 * The AWS SDK inside the driver sends a file stream as aws-chunked with a trailing CRC checksum by default, a framing
 * s3rver does not decode (it would store the chunk headers in the object); real S3 does. So checksums are sent only
 * when required, also for this process only.
 */
export async function startStageStore(): Promise<LocalStageStore> {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  process.env.AWS_REQUEST_CHECKSUM_CALCULATION = 'WHEN_REQUIRED';
  const dir = await mkdtemp(join(tmpdir(), 'forge-sf-stage-store-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const key = await readFile(join(dir, 'key.pem'));
  const cert = await readFile(join(dir, 'cert.pem'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), key, cert, configureBuckets: [{ name: STAGE_BUCKET, configs: [] }] });
  const { port } = await server.run();
  const s3 = new S3Client({
    endpoint: `https://127.0.0.1:${port}`, region: 'us-west-2', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestHandler: { httpsAgent: new Agent({ ca: cert }) },
  });
  const store: FakeStageStore = {
    endPoint: `127.0.0.1:${port}`, bucket: STAGE_BUCKET, prefix: 'stages/', region: 'us-west-2', creds: STAGE_S3_CREDS,
    getObject: async (k) => {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: STAGE_BUCKET, Key: k }));
        return Buffer.from(await out.Body!.transformToByteArray());
      } catch {
        return null;
      }
    },
  };
  return {
    store,
    async close() {
      s3.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
