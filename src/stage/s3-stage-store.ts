import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import type { StageFile, StageStore } from './stage-store.js';

/** S3 settings beyond the standard AWS ones (region, credentials and endpoint come from the AWS environment too). */
export interface S3StageOptions {
  /** An S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS, or $AWS_ENDPOINT_URL_S3 / $AWS_ENDPOINT_URL). */
  readonly endpoint?: string;
  readonly region?: string;
  /** Path-style addressing (bucket in the path), which most S3-compatible servers need. Default: true with an endpoint. */
  readonly forcePathStyle?: boolean;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Keys per listing page (S3's maximum and default: 1,000). */
  readonly pageSize?: number;
}

/**
 * A stage in an S3-compatible bucket, through the AWS SDK: a file is one PUT (visible whole or not at all), listings
 * page with continuation tokens. Credentials, region and endpoint follow the AWS SDK's standard chain
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3, profiles) unless given.
 */
export class S3StageStore implements StageStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly pageSize: number;
  /** Send PUTs with If-None-Match until the server says it does not implement it. */
  private conditional = true;

  constructor(
    private readonly bucket: string,
    private readonly prefix: string,
    options: S3StageOptions = {},
  ) {
    this.description = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    const config: S3ClientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      maxAttempts: 5,
    };
    // The SDK version pinned here supports Node 20; its notice about later versions needing Node 22 is not for users.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client(config);
    this.pageSize = options.pageSize ?? 1_000;
  }

  async prepare(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['stage', this.description, `bucket not reachable: ${errorText(e) || (e as { name?: string }).name}`], { cause: e });
    }
  }

  /**
   * One PUT, conditional (`If-None-Match: *`, S3's conditional write) so an object of the same key is never replaced:
   * keys are writer-unique anyway (stage-keys.ts), this makes a collision an error instead of a silent loss. A server
   * that does not implement conditional writes (501) gets plain PUTs from then on.
   */
  async put(key: string, body: Buffer): Promise<void> {
    const Key = this.keyOf(key);
    try {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ...(this.conditional ? { IfNoneMatch: '*' } : {}) }));
      } catch (e) {
        if (!this.conditional || !notImplemented(e)) throw e;
        this.conditional = false;
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body }));
      }
    } catch (e) {
      if (httpStatus(e) === 412 || (e as { name?: string }).name === 'PreconditionFailed') {
        throw new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [`${this.description}/${key} (an object of that key is there; nothing was replaced)`], { cause: e });
      }
      throw new ForgeError('FORGE_ERR_SINK_WRITE', ['stage', `${this.description}/${key}: ${errorText(e)}`], { cause: e });
    }
  }

  async list(prefix = ''): Promise<StageFile[]> {
    const files: StageFile[] = [];
    const root = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root + prefix, ContinuationToken: token, MaxKeys: this.pageSize }));
      for (const o of page.Contents ?? []) {
        if (o.Key) files.push({ key: o.Key.slice(root.length), size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0, ...(o.ETag ? { etag: o.ETag } : {}) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async get(key: string): Promise<Buffer> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  close(): void {
    this.client.destroy();
  }

  private keyOf(key: string): string {
    if (key.split('/').some((part) => part === '' || part === '..' || part === '.')) {
      throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [key, 'stage keys are relative paths of plain names']);
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}

const httpStatus = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const notImplemented = (e: unknown): boolean => httpStatus(e) === 501 || (e as { name?: string }).name === 'NotImplemented';
