import { createHash, randomBytes } from 'node:crypto';
import {
  type CreateUserBody,
  type Role,
  strongestRole,
  type TokenResponse,
  type User,
} from '@frameproof/core';
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { OidcConfig } from '../config.js';
import { conflict, forbidden, notFound, tooManyRequests, unauthorized, unavailable } from '@frameproof/core';
import { KeyRing } from './key-ring.js';
import { LoginThrottle } from './login-throttle.js';
import { LoginFailuresRepository } from '../repositories/login-failures.js';
import { publicUser, type UserRecord, UsersRepository } from '../repositories/users.js';
import type { SessionsRepository } from '../repositories/sessions.js';
import { AccessCache } from './access-cache.js';
import type { EventBus } from './event-bus.js';
import type { Database } from '../db/database.js';
import { type Actor, audit, type NewAuditEntry } from './audit.js';
import { hashPassword, PasswordHashingBusy, verifyPassword } from './passwords.js';

/** Who is calling: from a local access token or an OpenID Connect token. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  /** The session a local token was issued on (none for identity-provider tokens). */
  sessionId?: string;
  /** When the token runs out (ms since the epoch). */
  expiresAt?: number;
}

/** Why a session or token stopped working; a socket is closed with the code that says "sign in again". */
export type AccessEnd = 'expired' | 'revoked';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENDED = 'the session has ended: sign in again';

const LOCAL_ISSUER = 'frameproof';
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
/** Who the audit log says reset the admin's password from the deployment's setting. */
const RESET_BY_SETTING: NewAuditEntry['actor'] = { id: null, name: 'FRAMEPROOF_ADMIN_PASSWORD' };

/** Reads a dotted claim path such as `realm_access.roles`. */
export function claimAt(payload: JWTPayload, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      payload,
    );
}

/** How long an ended session's row is kept. */
export const ENDED_SESSION_DAYS = 30;

/** How long an event-bus ticket may wait to be used. */
export const TICKET_SECONDS = 30;
const TICKET = /^[A-Za-z0-9_-]{43}$/;
const NEW_TICKET = 'ask POST /api/eventbus/ticket for a new one';

export class AuthService {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private oidcIssuer: string | undefined;
  private readonly oidcUsers = new Map<string, { principal: Principal; until: number }>();
  private readonly access: AccessCache;
  private readonly watchers = new Map<string, Set<() => void>>();
  /** Failed sign-ins, counted in the database so that every instance sees them. */
  readonly throttle: LoginThrottle;

  constructor(
    private readonly db: Database,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly events: EventBus,
    private readonly signingKeys: KeyRing,
    private readonly options: {
      accessTokenSeconds: number;
      refreshTokenSeconds: number;
      oidc?: OidcConfig;
      /** False (AUTH_LOCAL=off): people sign in through the identity provider only. */
      authLocal?: boolean;
      /** How long a request's re-check may be remembered without news from the bus (ms). */
      accessCacheMs?: number;
    },
  ) {
    this.throttle = new LoginThrottle(new LoginFailuresRepository(db));
    this.access = new AccessCache((userId, sessionId) => this.sessions.state(userId, sessionId), {
      ttlMs: options.accessCacheMs ?? 10_000,
    });
    // Any instance's change reaches this one here (this one's own too).
    events.onAccessChanged(({ userId }) => {
      this.access.drop(userId);
      for (const recheck of this.watchers.get(userId) ?? []) recheck();
    });
  }

  /**
   * Something changed the user's standing or ended sessions: forget what this instance knew
   * at once (before the answer goes out), and tell every instance.
   */
  private changed(userId: string): void {
    this.access.drop(userId);
    this.events.accessChanged({ userId });
  }

  /** Ends every session of the user, so every token issued to them stops working now. */
  async endSessions(userId: string, reason: string): Promise<void> {
    await this.sessions.endAll(userId, reason);
    this.changed(userId);
  }

  /** A user as the API shows them (no password hash). */
  async user(id: string): Promise<User> {
    const user = await this.users.byId(id);
    if (!user) throw notFound('user');
    return publicUser(user);
  }

  async listUsers(): Promise<User[]> {
    return (await this.users.list()).map(publicUser);
  }

  /**
   * A person who signs in locally, audited (`user.create`) in the same transaction; a taken
   * username is refused and changes nothing.
   */
  async createUser(body: CreateUserBody, actor: Actor): Promise<User> {
    if (await this.users.byUsername(body.username))
      throw conflict(`the username "${body.username}" is taken`);
    const passwordHash = await hashPassword(body.password);
    const user = await this.db.transaction(async (tx) => {
      const created = await new UsersRepository(tx).create({
        username: body.username,
        role: body.role,
        displayName: body.displayName ?? null,
        passwordHash,
      });
      await audit.record(tx, {
        actor,
        action: 'user.create',
        subject: { type: 'user', id: created.id },
        detail: {
          after: { username: created.username, role: created.role, displayName: created.displayName },
        },
      });
      return created;
    });
    return publicUser(user);
  }

  /**
   * Deletes what no token can use any more: expired refresh tokens and event-bus tickets, and
   * sessions ended more than ENDED_SESSION_DAYS ago (kept that long to say who was signed in
   * when), and failed sign-in counts long quiet. Returns how many sessions went.
   */
  async purgeSessions(): Promise<number> {
    await this.throttle.purge();
    return this.sessions.purge(this.options.accessTokenSeconds, ENDED_SESSION_DAYS);
  }

  /**
   * Changes a user; disabling them, giving them another role or a new password ends all their
   * sessions (access and refresh tokens alike). Each kind of change is audited (`user.role`,
   * `user.disable`, `user.password`, `user.update`) in the transaction that makes it.
   */
  async updateUser(
    id: string,
    patch: { role?: Role; password?: string; displayName?: string | null; disabled?: boolean },
    actor: Actor,
  ): Promise<UserRecord | undefined> {
    const { password, ...rest } = patch;
    const passwordHash = password ? await hashPassword(password) : undefined;
    const changed = await this.db.transaction(async (tx) => {
      const users = new UsersRepository(tx);
      const before = await users.byId(id, { forUpdate: true });
      if (!before) return undefined;
      const user = await users.update(id, { ...rest, ...(passwordHash ? { passwordHash } : {}) });
      if (!user) return undefined;
      const entry = (action: NewAuditEntry['action'], field?: 'role' | 'disabled' | 'displayName') => ({
        actor,
        action,
        subject: { type: 'user', id },
        detail: field ? { before: { [field]: before[field] }, after: { [field]: user[field] } } : {},
      });
      const entries = [
        user.role !== before.role && entry('user.role', 'role'),
        user.disabled !== before.disabled && entry('user.disable', 'disabled'),
        passwordHash && entry('user.password'),
        user.displayName !== before.displayName && entry('user.update', 'displayName'),
      ];
      for (const e of entries) if (e) await audit.record(tx, e);
      return { before, user };
    });
    if (!changed) return undefined;
    const { before, user } = changed;
    const reasons = [
      patch.disabled === true && !before.disabled && 'disabled',
      patch.role !== undefined && patch.role !== before.role && 'role changed',
      password && 'password changed',
    ].filter(Boolean);
    if (reasons.length) await this.endSessions(id, reasons.join(', '));
    else if (patch.disabled === false && before.disabled) this.changed(id);
    return user;
  }

  /**
   * Calls `onEnd` when the principal's token stops being good: when it expires, or when its
   * session ends or its user is disabled or changed (on any instance). Returns a function that
   * stops watching. For long-lived connections (WebSockets) that checked the token only once;
   * `expiry: false` watches for revocation only.
   */
  watch(
    principal: Principal,
    onEnd: (why: AccessEnd) => void,
    options: { expiry?: boolean } = {},
  ): () => void {
    let done = false;
    const finish = (why: AccessEnd) => {
      if (done) return;
      stop();
      onEnd(why);
    };
    const recheck = () => {
      void this.stillGood(principal).then(
        (ok) => ok || finish('revoked'),
        () => undefined,
      );
    };
    let set = this.watchers.get(principal.userId);
    if (!set) this.watchers.set(principal.userId, (set = new Set()));
    set.add(recheck);
    const timer =
      principal.expiresAt === undefined || options.expiry === false
        ? undefined
        : setTimeout(() => finish('expired'), Math.max(0, principal.expiresAt - Date.now()));
    timer?.unref();
    const stop = () => {
      done = true;
      clearTimeout(timer);
      const watchers = this.watchers.get(principal.userId);
      watchers?.delete(recheck);
      if (watchers?.size === 0) this.watchers.delete(principal.userId);
    };
    return stop;
  }

  /**
   * A one-time ticket for the live-event WebSocket, for a verified principal: random, kept only
   * as a hash in the database (any adapter instance redeems it), valid TICKET_SECONDS, once.
   */
  async issueTicket(principal: Principal): Promise<{ ticket: string; expiresAt: string }> {
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = await this.sessions.saveTicket(
      sha256(ticket),
      {
        userId: principal.userId,
        role: principal.role,
        sessionId: principal.sessionId ?? null,
        tokenExpiresAt: principal.expiresAt === undefined ? null : new Date(principal.expiresAt),
      },
      TICKET_SECONDS,
    );
    return { ticket, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Uses a ticket up and answers the principal it stands for: the user, role and session of the
   * token it was issued on, and that token's expiry, so a socket opened with it is watched (and
   * closed) exactly as one opened with the token would be. Refused (401) when it is malformed,
   * unknown, used, expired, or its session or user no longer stands.
   */
  async redeemTicket(ticket: string): Promise<Principal> {
    if (!TICKET.test(ticket)) throw unauthorized(`the ticket is malformed: ${NEW_TICKET}`);
    const grant = await this.sessions.redeemTicket(sha256(ticket));
    if (typeof grant === 'string') {
      const why = { used: 'was used already', expired: 'has expired', unknown: 'is not known' }[grant];
      throw unauthorized(`the ticket ${why}: ${NEW_TICKET}`);
    }
    const principal: Principal = {
      userId: grant.userId,
      username: grant.username,
      role: grant.role,
      ...(grant.sessionId === null ? {} : { sessionId: grant.sessionId }),
      ...(grant.tokenExpiresAt === null ? {} : { expiresAt: grant.tokenExpiresAt.getTime() }),
    };
    if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now())
      throw unauthorized('the token the ticket was issued on has expired: refresh it, then ask for a ticket');
    if (!(await this.stillGood(principal))) throw unauthorized(ENDED);
    return principal;
  }

  /** Whether the user and session behind a verified principal still stand, as of now. */
  private async stillGood(principal: Principal): Promise<boolean> {
    const state = await this.access.get(principal.userId, principal.sessionId ?? null);
    if (!state || state.disabled) return false;
    if (principal.sessionId === undefined) return true; // an identity provider's token
    return state.sessionLive && state.role === principal.role;
  }

  async login(username: string, password: string, clientAddress = 'unknown'): Promise<TokenResponse> {
    const wait = await this.throttle.waitSeconds(username, clientAddress);
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
      await this.throttle.failed(username, clientAddress);
      throw unauthorized('wrong username or password');
    }
    await this.throttle.succeeded(username);
    return this.issue(user);
  }

  /**
   * Trades a refresh token for new tokens on the same session. A token that was traded in
   * before is being replayed (stolen, or a copy left behind): the whole session ends, its
   * newest refresh token and every access token issued on it included.
   */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const outcome = await this.sessions.trade(sha256(refreshToken));
    if (outcome.kind === 'reused') {
      this.changed(outcome.userId);
      throw unauthorized('this refresh token was used before: the session has ended, sign in again');
    }
    if (outcome.kind === 'invalid') throw unauthorized('refresh token is not valid');
    const user = await this.users.byId(outcome.userId);
    if (!user || user.disabled) throw unauthorized('refresh token is not valid');
    return this.issue(user, outcome.sessionId);
  }

  /** Signs out: ends the refresh token's session, and so every token issued on it. */
  async logout(refreshToken: string): Promise<void> {
    const session = await this.sessions.ofToken(sha256(refreshToken));
    if (!session) return;
    await this.sessions.end(session.sessionId, 'signed out');
    this.changed(session.userId);
  }

  private async issue(user: UserRecord, sessionId?: string): Promise<TokenResponse> {
    sessionId ??= await this.sessions.start(user.id);
    const accessToken = await new SignJWT({
      role: user.role,
      name: user.username,
      typ: 'access',
      sid: sessionId,
    })
      .setProtectedHeader({ alg: 'HS256', kid: KeyRing.id(this.signingKeys.current) })
      .setIssuer(LOCAL_ISSUER)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${this.options.accessTokenSeconds}s`)
      .sign(this.signingKeys.current);
    const refreshToken = randomBytes(32).toString('base64url');
    await this.sessions.saveRefreshToken(
      sha256(refreshToken),
      user.id,
      sessionId,
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
    let principal: Principal;
    try {
      const key = (header: { kid?: string }) => {
        const found = this.signingKeys.byId(header.kid);
        if (!found) throw new Error('signed with a key no longer in rotation');
        return found;
      };
      const { payload } = await jwtVerify(token, key, {
        issuer: LOCAL_ISSUER,
        algorithms: ['HS256'],
      });
      const role = strongestRole([String(payload.role)]);
      const sid = payload.sid;
      if (!payload.sub || !role || payload.typ !== 'access' || typeof sid !== 'string' || !UUID.test(sid))
        throw new Error('incomplete token');
      principal = {
        userId: payload.sub,
        username: String(payload.name),
        role,
        sessionId: sid,
        expiresAt: (payload.exp ?? 0) * 1000,
      };
    } catch {
      throw unauthorized('the token is not valid or has expired');
    }
    // A good signature is not enough: the session must still be live and the user unchanged.
    if (!(await this.stillGood(principal))) throw unauthorized(ENDED);
    return principal;
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
    const expiry = payload.exp ? { expiresAt: payload.exp * 1000 } : {};
    const known = this.oidcUsers.get(key);
    if (known && known.until > Date.now()) {
      // Disabling a person here must cut them off at once, whatever the provider says.
      if (!(await this.stillGood(known.principal))) throw unauthorized('this account is disabled');
      return { ...known.principal, ...expiry };
    }
    const user = await this.users.upsertExternal(
      `${payload.iss}|${payload.sub}`,
      `${username}@oidc`,
      role,
      name,
    );
    if (user.disabled) throw unauthorized('this account is disabled');
    const principal: Principal = { userId: user.id, username: user.username, role, ...expiry };
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
      // FRAMEPROOF_ADMIN_PASSWORD stays authoritative: setting it again is how a lost password is
      // reset, and a reset ends every session of the admin (whoever holds the old one is out).
      const passwordHash = await hashPassword(admin.password);
      await this.db.transaction(async (tx) => {
        await new UsersRepository(tx).update(existingAdmin.id, { passwordHash });
        await audit.record(tx, {
          actor: RESET_BY_SETTING,
          action: 'user.password',
          subject: { type: 'user', id: existingAdmin.id },
        });
      });
      await this.endSessions(existingAdmin.id, 'password reset');
    }
    if (runner) {
      const existing = await this.users.byUsername(runner.username);
      if (!existing)
        await this.users.create({
          username: runner.username,
          role: 'service',
          passwordHash: await hashPassword(runner.password),
          displayName: 'Jobs runner',
        });
      else if (
        existing.role !== 'service' ||
        !(await verifyPassword(runner.password, existing.passwordHash ?? ''))
      ) {
        // Only a real change ends the workers' sessions: every adapter start would otherwise.
        await this.users.update(existing.id, {
          passwordHash: await hashPassword(runner.password),
          role: 'service',
        });
        await this.endSessions(existing.id, 'service account changed');
      }
    }
    return { generatedAdminPassword };
  }
}

const DUMMY_HASH = hashPassword('not a password');
