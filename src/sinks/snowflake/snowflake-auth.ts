import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ForgeError } from '../../util/forge-error.js';

/**
 * Snowflake authentication for the REST APIs (docs: "Authenticating to the server", key-pair authentication, OAuth,
 * Snowpark Container Services). Every request carries `Authorization: Bearer <token>` and, where the kind of token is
 * known, `X-Snowflake-Authorization-Token-Type` (optional in the docs: without it Snowflake inspects the token).
 *
 * - keypair: a JWT signed RS256 with the user's private key (PKCS#8 PEM, optionally encrypted): iss
 *   `<ACCOUNT>.<USER>.SHA256:<base64 SHA-256 of the public key's DER SubjectPublicKeyInfo>`, sub `<ACCOUNT>.<USER>`,
 *   iat now, exp 59 minutes later (Snowflake accepts at most one hour); token type KEYPAIR_JWT. A new JWT is made
 *   when less than 5 minutes of the current one remain, so a long stream never sends an expired token.
 * - oauth: a token obtained elsewhere, sent as is; token type OAUTH. It cannot be renewed here.
 * - spcs: the OAuth token Snowpark Container Services keeps in `/snowflake/session/token`; Snowflake rotates the
 *   file, so it is read again for every credential (a cheap local read) rather than cached; token type OAUTH.
 *
 * No message built here quotes a key or a token.
 */

export type SnowflakeAuthOptions =
  | { readonly kind: 'keypair'; readonly privateKeyPem: string; readonly passphrase?: string }
  | { readonly kind: 'oauth'; readonly token: string }
  | { readonly kind: 'spcs'; readonly tokenFile?: string };

export const SNOWFLAKE_AUTH_KINDS = ['keypair', 'oauth', 'spcs'] as const;
export type SnowflakeAuthKind = (typeof SNOWFLAKE_AUTH_KINDS)[number];

export const SPCS_TOKEN_FILE = '/snowflake/session/token';
export const TOKEN_TYPE_HEADER = 'X-Snowflake-Authorization-Token-Type';
export type TokenType = 'KEYPAIR_JWT' | 'OAUTH';

/** One bearer token and its type. */
export interface Credential {
  readonly token: string;
  readonly tokenType: TokenType;
}

/** JWT lifetime: under Snowflake's one-hour cap, renewed when less than RENEW_BEFORE_S remain. */
export const JWT_LIFETIME_S = 59 * 60;
const RENEW_BEFORE_S = 5 * 60;

/**
 * The account part of the JWT's iss and sub: upper-case, and for an account locator with region information
 * (`xy12345.us-east-1`) only the part before the first period, as the docs' key-pair example does; an identifier
 * holding `.global` keeps its periods as hyphens (the docs: periods make the JWT invalid).
 */
export function jwtAccount(account: string): string {
  const upper = account.trim().toUpperCase();
  if (upper.includes('.GLOBAL')) return upper.replace(/\./g, '-');
  const dot = upper.indexOf('.');
  return dot > 0 ? upper.slice(0, dot) : upper;
}

/** `SHA256:` + base64 of the SHA-256 of the public key's DER SubjectPublicKeyInfo (Snowflake's RSA_PUBLIC_KEY_FP). */
export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** A key-pair JWT for `account` and `user`, issued at `nowMs`. */
export function keyPairJwt(options: { account: string; user: string; privateKey: KeyObject; nowMs: number; lifetimeS?: number }): string {
  const qualified = `${jwtAccount(options.account)}.${options.user.trim().toUpperCase()}`;
  const iat = Math.floor(options.nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT' };
  const payload = { iss: `${qualified}.${publicKeyFingerprint(options.privateKey)}`, sub: qualified, iat, exp: iat + (options.lifetimeS ?? JWT_LIFETIME_S) };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput), options.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

/** Parses an RSA private key (PKCS#8 or PKCS#1 PEM, encrypted when a passphrase is given); FORGE_ERR_INVALID_CONFIG otherwise. */
export function parsePrivateKey(pem: string, passphrase?: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    // The parser's message is not passed on: it could quote part of the key.
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['snowflake auth.privateKeyPem is not a readable PEM private key (PKCS#8; give auth.passphrase for an encrypted key)']);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflake auth.privateKeyPem must be an RSA key (key-pair authentication), not ${key.asymmetricKeyType ?? 'unknown'}`]);
  }
  return key;
}

/** Hands out the current credential of one Snowflake user and renews it when it can. */
export class SnowflakeAuth {
  readonly kind: SnowflakeAuthKind;
  private readonly privateKey: KeyObject | null = null;
  private jwt: { token: string; expS: number } | null = null;
  /** Every token handed out, so error texts can be scrubbed of them. */
  private readonly handedOut = new Set<string>();

  constructor(
    private readonly options: SnowflakeAuthOptions,
    private readonly account: string,
    private readonly user: string,
    private readonly now: () => number = Date.now,
  ) {
    this.kind = options.kind;
    if (options.kind === 'keypair') this.privateKey = parsePrivateKey(options.privateKeyPem, options.passphrase);
    if (options.kind === 'oauth' && options.token.trim() === '') throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['snowflake auth.token is empty']);
  }

  /** Where an SPCS token is read from (shown in errors; a path, not a secret). */
  get tokenFile(): string {
    return this.options.kind === 'spcs' ? (this.options.tokenFile ?? SPCS_TOKEN_FILE) : '';
  }

  /** The credential to send now. `fresh` drops a cached JWT (after a 401). */
  async credential(fresh = false): Promise<Credential> {
    const o = this.options;
    let credential: Credential;
    if (o.kind === 'keypair') {
      const nowS = Math.floor(this.now() / 1000);
      if (fresh || !this.jwt || this.jwt.expS - nowS < RENEW_BEFORE_S) {
        const token = keyPairJwt({ account: this.account, user: this.user, privateKey: this.privateKey!, nowMs: this.now() });
        this.jwt = { token, expS: nowS + JWT_LIFETIME_S };
      }
      credential = { token: this.jwt.token, tokenType: 'KEYPAIR_JWT' };
    } else if (o.kind === 'oauth') {
      credential = { token: o.token.trim(), tokenType: 'OAUTH' };
    } else {
      let text: string;
      try {
        text = await readFile(this.tokenFile, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['snowflake', this.tokenFile, `cannot read the Snowpark Container Services token file (${code}); spcs auth works only inside a service container`]);
      }
      if (text.trim() === '') throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['snowflake', this.tokenFile, 'the Snowpark Container Services token file is empty']);
      credential = { token: text.trim(), tokenType: 'OAUTH' };
    }
    this.handedOut.add(credential.token);
    return credential;
  }

  /** Records a further secret (e.g. a scoped token) to scrub from error texts. */
  remember(secret: string): void {
    if (secret) this.handedOut.add(secret);
  }

  /** `text` with every token handed out replaced by `***`. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.handedOut) if (secret.length >= 8) out = out.split(secret).join('***');
    return out;
  }
}
