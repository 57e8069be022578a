import { type TokenResponse } from '@frameproof/core';
import { ApiError, FrameproofClient } from '@frameproof/client';
import { type Config, type Session } from './config.js';
import { CliError } from './errors.js';

/**
 * The typed client with the saved session: on a refused token it trades the refresh token
 * once for new ones and saves them, so long uploads and `jobs watch` outlive an access token.
 */
export class SessionClient extends FrameproofClient {
  private constructor(
    private session: Session,
    private readonly config: Config,
  ) {
    super(session.url, session.accessToken);
  }

  static async open(config: Config): Promise<SessionClient> {
    const session = await config.session();
    if (!session) throw new CliError('not signed in', 'sign in first: frameproof login URL --user NAME', 3);
    return new SessionClient(session, config);
  }

  get url(): string {
    return this.session.url;
  }
  get username(): string {
    return this.session.username;
  }

  /** The current access token; with `refresh`, a new one first (the last was refused). */
  async token({ refresh = false }: { refresh?: boolean } = {}): Promise<string> {
    if (refresh) await this.renew();
    return this.session.accessToken;
  }

  /**
   * Trades the saved refresh token in, and saves what comes back for the next command. Under the
   * session's lock, and only if no other command has done it meanwhile: then its tokens are
   * taken instead, since trading the same refresh token twice would end the session.
   */
  private async renew(): Promise<void> {
    const refused = this.session;
    this.session = await this.config.withSessionLock(async () => {
      const saved = await this.config.session();
      if (
        saved &&
        saved.url === refused.url &&
        saved.username === refused.username &&
        saved.refreshToken !== refused.refreshToken
      )
        return saved;
      const fresh = await new FrameproofClient(this.baseUrl)
        .request<TokenResponse>('POST', '/api/auth/refresh', {
          body: { refreshToken: refused.refreshToken },
        })
        .catch((err: unknown) => {
          throw err instanceof ApiError && err.status === 401
            ? new CliError('the session has expired or was signed out', 'sign in again: frameproof login', 3)
            : err;
        });
      const session = { ...refused, accessToken: fresh.accessToken, refreshToken: fresh.refreshToken };
      await this.config.saveSession(session);
      return session;
    });
    this.accessToken = this.session.accessToken;
  }

  override async request<T>(
    method: string,
    path: string,
    options: Parameters<FrameproofClient['request']>[2] = {},
  ): Promise<T> {
    try {
      return await super.request<T>(method, path, options);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
      await this.renew();
      return super.request<T>(method, path, options);
    }
  }
}
