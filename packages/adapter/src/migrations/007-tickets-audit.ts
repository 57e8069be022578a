// Event-bus tickets: a browser cannot set headers on a WebSocket, and a token in a URL ends up in
// proxy and load-balancer logs. It asks for a ticket instead (random, single use, ~30 s) and
// connects with it; only its hash is kept, in the database, so that any adapter instance can
// redeem it. The ticket carries the session and role of the token it was issued for, so that the
// socket is closed (4401) when that session ends or that token would have expired.
//
// The audit log: who changed QC status, markers, comments and users, written by the owning
// service in the transaction of the change. The actor's name is kept as it was then; assets are
// not referenced, so that an entry outlives a purged asset.
export default /* sql */ `
CREATE TABLE eventbus_tickets (
  ticket_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  session_id uuid REFERENCES sessions(id) ON DELETE CASCADE,
  role text NOT NULL,
  token_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX eventbus_tickets_expiry_idx ON eventbus_tickets (expires_at);
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  actor_id uuid REFERENCES users(id) ON DELETE SET NULL,
  actor_name text NOT NULL,
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  asset_id uuid,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_asset_idx ON audit_log (asset_id, id) WHERE asset_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
`;
