import { createHash, randomBytes } from 'node:crypto';
import { type Role, strongestRole, type TokenResponse } from '@frameproof/core';
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { OidcConfig } from '../config.js';
import { forbidden, tooManyRequests, unauthorized, unavailable } from '@frameproof/core';
import { LoginThrottle } from './login-throttle.js';
import { publicUser, type UserRecord, type UsersRepository } from '../repositories/users.js';
import { hashPassword, PasswordHashingBusy, verifyPassword } from './passwords.js';

/** Who is calling: from a local access token or an OpenID Connect token. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
}

const LOCAL_ISSUER = 'frameproof';
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** Reads a dotted claim path such as `realm_access.roles`. */
export function claimAt(payload: JWTPayload, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      payload,
    );
}

export class AuthService {
  private readonly secret: Uint8Array;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private oidcIssuer: string | undefined;
  private readonly oidcUsers = new Map<string, { principal: Principal; until: number }>();
  readonly throttle = new LoginThrottle();

  constructor(
    private readonly users: UsersRepository,
    signingSecret: string,
    private readonly options: {
      accessTokenSeconds: number;
      refreshTokenSeconds: number;
      oidc?: OidcConfig;
      /** False (AUTH_LOCAL=off): people sign in through the identity provider only. */
      authLocal?: boolean;
    },
  ) {
    this.secret = Buffer.from(signingSecret, 'base64url');
  }

  async login(username: string, password: string, clientAddress = 'unknown'): Promise<TokenResponse> {
    const wait = this.throttle.waitSeconds(username, clientAddress);
    if (wait > 0) throw tooManyRequests(`too many failed sign-ins; try again in ${wait} s`, wait);
    const user = await this.users.byUsername(username);
    if (this.options.authLocal === false && user?.role !== 'service')
      throw forbidden('local sign-in is turned off (AUTH_LOCAL=off): sign in through the identity provider');
    // Hash even for unknown users, so the answer takes as long either way.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH)).catch(
      (err: unknown) => {
        if (err instanceof PasswordHashingBusy) throw unavailable(err.message, 1);
        throw err;
      },
    );
    if (!user || !user.passwordHash || !ok || user.disabled) {
      this.throttle.failed(username, clientAddress);
      throw unauthorized('wrong username or password');
    }
    this.throttle.succeeded(username);
    return this.issue(user);
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    const userId = await this.users.consumeRefreshToken(sha256(refreshToken));
    const user = userId ? await this.users.byId(userId) : undefined;
    if (!user || user.disabled) throw unauthorized('refresh token is not valid');
    return this.issue(user);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.users.consumeRefreshToken(sha256(refreshToken));
  }

  private async issue(user: UserRecord): Promise<TokenResponse> {
    const accessToken = await new SignJWT({ role: user.role, name: user.username, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(LOCAL_ISSUER)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${this.options.accessTokenSeconds}s`)
      .sign(this.secret);
    const refreshToken = randomBytes(32).toString('base64url');
    await this.users.saveRefreshToken(
      sha256(refreshToken),
      user.id,
      new Date(Date.now() + this.options.refreshTokenSeconds * 1000),
    );
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.options.accessTokenSeconds,
      user: publicUser(user),
    };
  }

  /** Verifies a bearer token: ours (HS256) or, in OpenID Connect mode, the provider's. */
  async verify(token: string): Promise<Principal> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthorized('the token is not a JWT');
    }
    if (issuer === LOCAL_ISSUER) return this.verifyLocal(token);
    if (this.options.oidc) return this.verifyOidc(token, this.options.oidc);
    throw unauthorized('the token was not issued by Frameproof');
  }

  private async verifyLocal(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        issuer: LOCAL_ISSUER,
        algorithms: ['HS256'],
      });
      const role = strongestRole([String(payload.role)]);
      if (!payload.sub || !role || payload.typ !== 'access') throw new Error('incomplete token');
      return { userId: payload.sub, username: String(payload.name), role };
    } catch {
      throw unauthorized('the token is not valid or has expired');
    }
  }

  private async verifyOidc(token: string, oidc: OidcConfig): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const jwks = await this.remoteKeys(oidc);
      ({ payload } = await jwtVerify(token, jwks, { issuer: this.oidcIssuer, audience: oidc.audience }));
    } catch {
      throw unauthorized('the token is not valid or has expired');
    }
    const party = payload.azp ?? payload.client_id;
    if (oidc.clientIds && !(typeof party === 'string' && oidc.clientIds.includes(party))) {
      throw unauthorized('the token was issued to a client this API does not serve');
    }
    const claimed = claimAt(payload, oidc.rolesClaim);
    const role = strongestRole(Array.isArray(claimed) ? claimed.map(String) : []);
    if (!role || role === 'service' || !payload.sub) {
      throw unauthorized(`the token carries no Frameproof role in "${oidc.rolesClaim}"`);
    }
    const username = String(payload.preferred_username ?? payload.email ?? payload.sub);
    const name = typeof payload.name === 'string' ? payload.name : null;
    // The person's row is written when they first appear or their role or name changes, and at
    // most once a minute otherwise: not on every request.
    const key = [payload.iss, payload.sub, username, role, name].join('\n');
    const known = this.oidcUsers.get(key);
    if (known && known.until > Date.now()) return known.principal;
    const user = await this.users.upsertExternal(
      `${payload.iss}|${payload.sub}`,
      `${username}@oidc`,
      role,
      name,
    );
    if (user.disabled) throw unauthorized('this account is disabled');
    const principal = { userId: user.id, username: user.username, role };
    if (this.oidcUsers.size >= 10_000) this.oidcUsers.clear();
    this.oidcUsers.set(key, { principal, until: Date.now() + 60_000 });
    return principal;
  }

  /** Discovery and keys, fetched once; jose refreshes the key set when a new key id appears. */
  private async remoteKeys(oidc: OidcConfig) {
    if (!this.jwks) {
      const url = `${oidc.issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`OpenID discovery failed: ${url} answered ${res.status}`);
      const doc = (await res.json()) as { issuer: string; jwks_uri: string };
      // The document must speak for the issuer we were configured with, not another one.
      if (doc.issuer.replace(/\/$/, '') !== oidc.issuerUrl.replace(/\/$/, ''))
        throw new Error(`OpenID discovery at ${url} names another issuer: ${doc.issuer}`);
      this.oidcIssuer = doc.issuer;
      this.jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
    }
    return this.jwks;
  }

  /**
   * Creates the accounts the stack needs on first start: `admin` (returns the generated password
   * to print once, if none was given) and the workers' service account.
   */
  async ensureAccounts(
    admin: { password?: string; generate: () => string },
    runner?: { username: string; password: string },
  ) {
    let generatedAdminPassword: string | undefined;
    // With local sign-in off there is no local admin to create (nor to reset).
    const existingAdmin = this.options.authLocal === false ? null : await this.users.byUsername('admin');
    if (existingAdmin === undefined) {
      const password = admin.password ?? (generatedAdminPassword = admin.generate());
      await this.users.create({
        username: 'admin',
        role: 'admin',
        passwordHash: await hashPassword(password),
        displayName: 'Administrator',
      });
    } else if (
      existingAdmin &&
      admin.password &&
      !(await verifyPassword(admin.password, existingAdmin.passwordHash ?? ''))
    ) {
      // FRAMEPROOF_ADMIN_PASSWORD stays authoritative: setting it again is how a lost password is reset.
      await this.users.update(existingAdmin.id, { passwordHash: await hashPassword(admin.password) });
    }
    if (runner) {
      const existing = await this.users.byUsername(runner.username);
      const passwordHash = await hashPassword(runner.password);
      if (!existing)
        await this.users.create({
          username: runner.username,
          role: 'service',
          passwordHash,
          displayName: 'Jobs runner',
        });
      else await this.users.update(existing.id, { passwordHash, role: 'service' });
    }
    return { generatedAdminPassword };
  }
}

const DUMMY_HASH = hashPassword('not a password');
