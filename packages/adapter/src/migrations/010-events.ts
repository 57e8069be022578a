// Live events, kept for a while (EVENT_RETENTION_SECONDS) in the transaction of the change they
// announce, so that an adapter whose LISTEN connection was down, or a socket that reconnected,
// reads what it missed instead of losing it. `seq` numbers them for the whole deployment;
// `event_id` is the id of what changed (asset, marker, comment or job).
export default /* sql */ `
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  type text NOT NULL,
  asset_id uuid,
  event_id text NOT NULL,
  data jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created_idx ON events (created_at);
`;
