import { type Comment, type User } from '@frameproof/core';
import { ApiError, FrameproofClient } from '@frameproof/client';
import { session } from './session.js';
import { apiBase } from './settings.js';

type RequestOptions = Parameters<FrameproofClient['request']>[2];

/**
 * The typed API client with the session's access token; on a 401 it refreshes once and
 * retries, and when that fails the session has ended (the app asks to sign in again).
 */
class SessionClient extends FrameproofClient {
  override async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    this.accessToken = session.token ?? undefined;
    try {
      return await super.request<T>(method, path, options);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      if (await session.refresh()) {
        this.accessToken = session.token ?? undefined;
        return super.request<T>(method, path, options);
      }
      session.expire();
      throw err;
    }
  }

  /** A raw fetch with the token (file downloads, analyze), with the same refresh-once rule. */
  async fetchWithAuth(path: string, init: RequestInit = {}): Promise<Response> {
    const go = () =>
      fetch(new URL(path, apiBase), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${session.token}` },
      });
    let res = await go();
    if (res.status === 401 && (await session.refresh())) res = await go();
    if (res.status === 401) session.expire();
    return res;
  }

  listUsers = () => this.request<{ items: User[] }>('GET', '/api/users');
  createUser = (body: { username: string; password: string; role: string; displayName?: string }) =>
    this.request<User>('POST', '/api/users', { body });
  updateUser = (id: string, body: Record<string, unknown>) =>
    this.request<User>('PATCH', `/api/users/${id}`, { body });
  listComments = (assetId: string, markerId: string) =>
    this.request<{ items: Comment[] }>('GET', `/api/assets/${assetId}/markers/${markerId}/comments`);
}

export const api = new SessionClient(apiBase);

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
