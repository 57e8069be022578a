import type { AuditPage, ListAuditQuery } from '@frameproof/core';
import type { Database, Queryable } from '../db/database.js';
import { type Actor, AuditRepository, type NewAuditEntry } from '../repositories/audit.js';
import type { Principal } from './auth.js';

export type { Actor, NewAuditEntry };

/**
 * The audit log. A service that changes something worth auditing calls `audit.record(tx, entry)`
 * with the transaction of the change, so that the entry is written if and only if the change is.
 * Routes never write it: writes go through their owner.
 */
export const audit = {
  record(tx: Queryable, entry: NewAuditEntry): Promise<void> {
    return new AuditRepository(tx).insert(entry);
  },
};

/** The caller as an audit entry names them. */
export const actorOf = (principal: Principal): Actor => ({ id: principal.userId, name: principal.username });

/** Reads the audit log (admins). */
export class AuditService {
  constructor(private readonly db: Database) {}

  list(query: ListAuditQuery): Promise<AuditPage> {
    return new AuditRepository(this.db).list(query);
  }
}
