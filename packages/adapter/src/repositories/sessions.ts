import type { Role } from '@frameproof/core';
import type { Queryable } from '../db/database.js';

/** What a request is checked against: the user as stored now, and the session its token names. */
export interface AccessState {
  role: Role;
  disabled: boolean;
  /** False when the token names no session, or one that has ended. */
  sessionLive: boolean;
}

/** How trading in a refresh token went. */
export type RefreshOutcome =
  | { kind: 'rotated'; userId: string; sessionId: string }
  /** The token had been traded in before: a replay. Its session is now ended. */
  | { kind: 'reused'; userId: string; sessionId: string }
  | { kind: 'invalid' };

/** What an event-bus ticket stands for: the token it was issued on. */
export interface TicketGrant {
  userId: string;
  username: string;
  role: Role;
  sessionId: string | null;
  /** When the token the ticket was issued on expires (none for some identity-provider tokens). */
  tokenExpiresAt: Date | null;
}

/** Why a ticket was refused. */
export type TicketRefusal = 'used' | 'expired' | 'unknown';

export class SessionsRepository {
  constructor(private readonly db: Queryable) {}

  async start(userId: string): Promise<string> {
    const [row] = await this.db.query<{ id: string }>(
      'INSERT INTO sessions (user_id) VALUES ($1) RETURNING id',
      [userId],
    );
    return (row as { id: string }).id;
  }

  async saveRefreshToken(tokenHash: string, userId: string, sessionId: string, expiresAt: Date) {
    await this.db.query(
      'INSERT INTO refresh_tokens (token_hash, user_id, session_id, expires_at) VALUES ($1, $2, $3, $4)',
      [tokenHash, userId, sessionId, expiresAt],
    );
  }

  /**
   * Marks a refresh token used, once. A token already used is a replay: the whole session
   * (every token of its family, the successor included) ends.
   */
  async trade(tokenHash: string): Promise<RefreshOutcome> {
    const [fresh] = await this.db.query<{ user_id: string; session_id: string }>(
      `UPDATE refresh_tokens t SET used_at = now()
       FROM sessions s
       WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > now()
         AND s.id = t.session_id AND s.ended_at IS NULL
       RETURNING t.user_id, t.session_id`,
      [tokenHash],
    );
    if (fresh) return { kind: 'rotated', userId: fresh.user_id, sessionId: fresh.session_id };
    const [used] = await this.db.query<{ user_id: string; session_id: string }>(
      'SELECT user_id, session_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL',
      [tokenHash],
    );
    if (!used) return { kind: 'invalid' };
    await this.end(used.session_id, 'refresh token reused');
    return { kind: 'reused', userId: used.user_id, sessionId: used.session_id };
  }

  /** The session a refresh token belongs to, used or not. */
  async ofToken(tokenHash: string): Promise<{ userId: string; sessionId: string } | undefined> {
    const [row] = await this.db.query<{ user_id: string; session_id: string }>(
      'SELECT user_id, session_id FROM refresh_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    return row && { userId: row.user_id, sessionId: row.session_id };
  }

  async end(sessionId: string, reason: string): Promise<void> {
    await this.db.query(
      'UPDATE sessions SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL',
      [sessionId, reason],
    );
  }

  /** Ends every session of a user (disabled, new role, new password). */
  async endAll(userId: string, reason: string): Promise<void> {
    await this.db.query(
      'UPDATE sessions SET ended_at = now(), end_reason = $2 WHERE user_id = $1 AND ended_at IS NULL',
      [userId, reason],
    );
  }

  /**
   * Housekeeping: deletes expired refresh tokens and event-bus tickets, ends sessions that can no longer mint a token
   * (no refresh token left, and the last access token expired), and deletes sessions ended more
   * than `keepEndedDays` ago. Returns how many sessions were deleted.
   */
  async purge(accessTokenSeconds: number, keepEndedDays: number): Promise<number> {
    await this.db.query('DELETE FROM refresh_tokens WHERE expires_at < now()');
    await this.db.query('DELETE FROM eventbus_tickets WHERE expires_at < now()');
    await this.db.query(
      `UPDATE sessions s SET ended_at = now(), end_reason = 'expired'
       WHERE s.ended_at IS NULL AND s.created_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id)`,
      [accessTokenSeconds],
    );
    const deleted = await this.db.query<{ id: string }>(
      `DELETE FROM sessions WHERE ended_at < now() - make_interval(days => $1) RETURNING id`,
      [keepEndedDays],
    );
    return deleted.length;
  }

  /** Stores an event-bus ticket's hash; returns when it expires (the database's clock, shared by every instance). */
  async saveTicket(ticketHash: string, grant: Omit<TicketGrant, 'username'>, seconds: number): Promise<Date> {
    const [row] = await this.db.query<{ expires_at: Date }>(
      `INSERT INTO eventbus_tickets (ticket_hash, user_id, session_id, role, token_expires_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at`,
      [ticketHash, grant.userId, grant.sessionId, grant.role, grant.tokenExpiresAt, seconds],
    );
    return (row as { expires_at: Date }).expires_at;
  }

  /**
   * Uses a ticket up, atomically: one statement marks it used only if it is unused and unexpired,
   * so of two instances redeeming the same ticket at once exactly one gets it.
   */
  async redeemTicket(ticketHash: string): Promise<TicketGrant | TicketRefusal> {
    const [row] = await this.db.query<{
      user_id: string;
      username: string;
      role: Role;
      session_id: string | null;
      token_expires_at: Date | null;
    }>(
      `UPDATE eventbus_tickets t SET used_at = now()
       FROM users u
       WHERE t.ticket_hash = $1 AND t.used_at IS NULL AND t.expires_at > now() AND u.id = t.user_id
       RETURNING t.user_id, u.username, t.role, t.session_id, t.token_expires_at`,
      [ticketHash],
    );
    if (row)
      return {
        userId: row.user_id,
        username: row.username,
        role: row.role,
        sessionId: row.session_id,
        tokenExpiresAt: row.token_expires_at,
      };
    const [refused] = await this.db.query<{ used: boolean }>(
      'SELECT used_at IS NOT NULL AS used FROM eventbus_tickets WHERE ticket_hash = $1',
      [ticketHash],
    );
    return !refused ? 'unknown' : refused.used ? 'used' : 'expired';
  }

  /** One indexed read: the user's role and state, and whether `sessionId` is live. */
  async state(userId: string, sessionId: string | null): Promise<AccessState | undefined> {
    const [row] = await this.db.query<{ role: Role; disabled: boolean; live: boolean }>(
      `SELECT u.role, u.disabled,
              EXISTS (SELECT 1 FROM sessions s WHERE s.id = $2 AND s.user_id = u.id AND s.ended_at IS NULL) AS live
       FROM users u WHERE u.id = $1`,
      [userId, sessionId],
    );
    return row && { role: row.role, disabled: row.disabled, sessionLive: row.live };
  }
}
