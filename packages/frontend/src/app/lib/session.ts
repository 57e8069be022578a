import {
  can as canRole,
  isProjectPermission,
  type Permission,
  type Role,
  type SessionResponse,
  type User,
} from '@frameproof/core';
import type { UserManager } from 'oidc-client-ts';
import { apiBase, oidcSettings } from './settings.js';

type Listener = () => void;

/**
 * Who is signed in. The access token lives in this object only (never in storage); the refresh
 * token is an HttpOnly cookie the adapter sets on `/api/auth/session`, or, with OpenID Connect,
 * held in memory by oidc-client-ts. A refresh that fails means the session has ended: the app
 * then asks the person to sign in again and returns them to where they were.
 */
class Session {
  user: User | null = null;
  /** The person's role in each project they belong to (admins hold every project as admins). */
  projectRoles = new Map<string, Role>();
  token: string | null = null;
  expired = false;
  oidc: UserManager | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<Listener>();

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private emit() {
    for (const fn of this.listeners) fn();
  }

  /**
   * What the person may do. Permissions on assets follow their role in the asset's project
   * (`projectId`), or, without one, in any of their projects (the upload form, the trash);
   * admins and the service account keep their own role everywhere. The server decides; this
   * only hides what it would refuse.
   */
  can(permission: Permission, projectId?: string): boolean {
    const user = this.user;
    if (!user) return false;
    if (user.role === 'admin' || user.role === 'service' || !isProjectPermission(permission))
      return canRole(user.role, permission);
    const roles =
      projectId === undefined ? [...this.projectRoles.values()] : [this.projectRoles.get(projectId)];
    return roles.some((role) => role !== undefined && canRole(role, permission));
  }

  /** At start: OpenID Connect when settings name an issuer, else a refresh from the cookie. */
  async start(): Promise<void> {
    const oidc = await oidcSettings();
    if (oidc) {
      const { UserManager, WebStorageStateStore, InMemoryWebStorage } = await import('oidc-client-ts');
      this.oidc = new UserManager({
        authority: oidc.issuer,
        client_id: oidc.clientId,
        redirect_uri: `${location.origin}/signin/callback`,
        post_logout_redirect_uri: `${location.origin}/signin`,
        response_type: 'code',
        scope: oidc.scope ?? 'openid profile',
        // Tokens in memory only; the PKCE verifier survives the redirect in sessionStorage.
        userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
        automaticSilentRenew: true,
      });
      this.oidc.events.addUserLoaded((u) => {
        this.token = u.access_token;
        this.emit();
      });
      this.oidc.events.addSilentRenewError(() => this.expire());
      if (location.pathname === '/signin/callback') {
        const u = await this.oidc.signinRedirectCallback();
        this.token = u.access_token;
        await this.loadMe();
        const next = (u.state as { next?: string } | undefined)?.next ?? '/';
        history.replaceState(null, '', safeNext(next));
      }
      return;
    }
    await this.refresh();
  }

  async signIn(username: string, password: string): Promise<void> {
    const res = await fetch(`${apiBase}/api/auth/session`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = (await res.json().catch(() => ({}))) as SessionResponse & { message?: string };
    if (!res.ok) throw new Error(body.message ?? `sign-in failed (HTTP ${res.status})`);
    await this.accept(body);
  }

  /** OpenID Connect: off to the identity provider, back at `next` afterwards. */
  async signInWithProvider(next: string): Promise<void> {
    await this.oidc?.signinRedirect({ state: { next } });
  }

  /** Trades the cookie for a new access token; one at a time. False when the session is over. */
  refresh(): Promise<boolean> {
    if (this.oidc) {
      return this.oidc.signinSilent().then(
        (u) => {
          this.token = u?.access_token ?? null;
          return !!this.token;
        },
        () => false,
      );
    }
    const trade = async () => {
      const res = await fetch(`${apiBase}/api/auth/session/refresh`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (!res.ok) return false;
      await this.accept((await res.json()) as SessionResponse);
      return true;
    };
    this.refreshing ??= (async () => {
      try {
        // Tabs share the cookie: two trading the same refresh token at once would look like a
        // replay, which ends the session. Across tabs, one refresh at a time (Web Locks).
        const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
        return await (locks ? locks.request('frameproof-session-refresh', trade) : trade());
      } catch {
        return false;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** A new access token; the project roles are read again with it (memberships may have changed). */
  private async accept(body: SessionResponse) {
    this.token = body.accessToken;
    this.user = body.user;
    await this.loadProjectRoles();
    this.expired = false;
    clearTimeout(this.timer);
    // Refresh a minute before the access token runs out (or at 80 % of a short lifetime).
    const ms = Math.max(5_000, Math.min(body.expiresIn * 800, (body.expiresIn - 60) * 1000));
    this.timer = setTimeout(() => void this.refresh().then((ok) => ok || this.expire()), ms);
    this.emit();
  }

  private async loadMe() {
    const res = await fetch(`${apiBase}/api/auth/me`, { headers: { authorization: `Bearer ${this.token}` } });
    if (res.ok) this.user = (await res.json()) as User;
    await this.loadProjectRoles();
    this.expired = false;
    this.emit();
  }

  private async loadProjectRoles() {
    const res = await fetch(`${apiBase}/api/projects`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!res.ok) return;
    const { items } = (await res.json()) as { items: { id: string; role: Role | null }[] };
    this.projectRoles = new Map(items.flatMap((p) => (p.role ? [[p.id, p.role] as const] : [])));
  }

  /** The session ended on its own (refresh refused): remember, so sign-in returns here. */
  expire() {
    if (!this.user) return;
    this.token = null;
    this.expired = true;
    this.emit();
  }

  async signOut(): Promise<void> {
    clearTimeout(this.timer);
    const wasOidc = this.oidc;
    this.token = null;
    this.user = null;
    this.expired = false;
    if (wasOidc) {
      await wasOidc.removeUser();
      this.emit();
      await wasOidc.signoutRedirect().catch(() => undefined);
      return;
    }
    await fetch(`${apiBase}/api/auth/session/logout`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).catch(() => undefined);
    this.emit();
  }
}

/** Only paths on this site: `next` never leads elsewhere. */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/';
}

export const session = new Session();
