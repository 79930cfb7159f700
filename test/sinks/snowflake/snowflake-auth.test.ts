import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jwtAccount, JWT_LIFETIME_S, keyPairJwt, parsePrivateKey, SnowflakeAuth } from '../../../src/sinks/snowflake/snowflake-auth.js';
import { isForgeError } from '../../../src/util/forge-error.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

/** The fingerprint from the public key's PEM text alone: base64 DER SPKI -> SHA-256 -> base64. */
const fingerprintOf = (pem: string): string =>
  `SHA256:${createHash('sha256').update(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')).digest('base64')}`;

const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('key-pair JWT', () => {
  it('is RS256 with iss <ACCOUNT>.<USER>.SHA256:<fingerprint>, sub <ACCOUNT>.<USER>, a lifetime under an hour, and verifies with the public key', () => {
    const now = Date.UTC(2026, 10, 29, 7, 0, 0);
    const jwt = keyPairJwt({ account: 'myorg-myaccount', user: 'forge_loader', privateKey: parsePrivateKey(privateKey), nowMs: now });
    const [h, p, s] = jwt.split('.');
    expect(decode(h!)).toEqual({ alg: 'RS256', typ: 'JWT' });
    const payload = decode(p!);
    expect(payload).toEqual({
      iss: `MYORG-MYACCOUNT.FORGE_LOADER.${fingerprintOf(publicKey)}`,
      sub: 'MYORG-MYACCOUNT.FORGE_LOADER',
      iat: now / 1000,
      exp: now / 1000 + JWT_LIFETIME_S,
    });
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(3600);
    expect(verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey(publicKey), Buffer.from(s!, 'base64url'))).toBe(true);
    // A signature by another key does not verify: the check above can fail.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), other.publicKey, Buffer.from(s!, 'base64url'))).toBe(false);
  });

  it('uses the account without region for a locator, upper-cased, and hyphens for a .global identifier', () => {
    expect(jwtAccount('xy12345.us-east-1')).toBe('XY12345');
    expect(jwtAccount('xy12345')).toBe('XY12345');
    expect(jwtAccount('myorg-myaccount')).toBe('MYORG-MYACCOUNT');
    expect(jwtAccount('myorg-acct.global')).toBe('MYORG-ACCT-GLOBAL');
  });

  it('reads an encrypted PKCS#8 key with its passphrase and refuses bad keys without quoting them', () => {
    const encrypted = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass phrase' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(parsePrivateKey(encrypted.privateKey, 'pass phrase').asymmetricKeyType).toBe('rsa');
    const broken = privateKey.slice(0, 200);
    try {
      parsePrivateKey(broken);
      expect.unreachable();
    } catch (e) {
      expect(isForgeError(e) && e.code).toBe('FORGE_ERR_INVALID_CONFIG');
      expect((e as Error).message).not.toContain(broken.split('\n')[1]!.slice(0, 20));
    }
    expect(() => parsePrivateKey(encrypted.privateKey)).toThrow(/PEM private key/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(() => parsePrivateKey(ec.privateKey)).toThrow(/RSA key/);
  });

  it('renews the JWT when less than five minutes remain, and keeps it before', async () => {
    let now = Date.UTC(2026, 10, 29, 7, 0, 0);
    const auth = new SnowflakeAuth({ kind: 'keypair', privateKeyPem: privateKey }, 'acct', 'me', () => now);
    const first = await auth.credential();
    expect(first.tokenType).toBe('KEYPAIR_JWT');
    now += 50 * 60_000;
    expect((await auth.credential()).token).toBe(first.token);
    now += 5 * 60_000;
    const renewed = await auth.credential();
    expect(renewed.token).not.toBe(first.token);
    expect(decode(renewed.token.split('.')[1]!).iat).toBe(now / 1000);
    // scrub hides every token handed out.
    expect(auth.scrub(`a ${first.token} b ${renewed.token}`)).toBe('a *** b ***');
  });
});

describe('OAuth and SPCS tokens', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('sends an OAuth token as it is, typed OAUTH', async () => {
    expect(await new SnowflakeAuth({ kind: 'oauth', token: ' tok-123456789 ' }, 'acct', '').credential()).toEqual({ token: 'tok-123456789', tokenType: 'OAUTH' });
    expect(() => new SnowflakeAuth({ kind: 'oauth', token: ' ' }, 'acct', '')).toThrow(/empty/);
  });

  it('reads the SPCS token file for every credential (Snowflake rotates it), typed OAUTH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forge-spcs-'));
    dirs.push(dir);
    const file = join(dir, 'token');
    await writeFile(file, 'spcs-token-one\n');
    const auth = new SnowflakeAuth({ kind: 'spcs', tokenFile: file }, 'acct', '');
    expect(await auth.credential()).toEqual({ token: 'spcs-token-one', tokenType: 'OAUTH' });
    await writeFile(file, 'spcs-token-two');
    expect((await auth.credential()).token).toBe('spcs-token-two');
    const missing = new SnowflakeAuth({ kind: 'spcs', tokenFile: join(dir, 'absent') }, 'acct', '');
    await expect(missing.credential()).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_CONNECT' });
    // The default is the documented path.
    expect(new SnowflakeAuth({ kind: 'spcs' }, 'acct', '').tokenFile).toBe('/snowflake/session/token');
  });
});
