// A session is one sign-in: the chain (family) of refresh tokens it rotates through, and every
// access token issued on it (they carry its id as `sid`). Ending a session cuts off both at once.
// Refresh tokens are marked used (not revoked) when traded in, so a replay of a used one is seen.
// Refresh tokens issued before this migration each become a session of their own.
export default /* sql */ `
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  ended_at timestamptz,
  end_reason text
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE ended_at IS NULL;
ALTER TABLE refresh_tokens RENAME COLUMN revoked_at TO used_at;
ALTER TABLE refresh_tokens ADD COLUMN session_id uuid;
UPDATE refresh_tokens SET session_id = gen_random_uuid();
INSERT INTO sessions (id, user_id, ended_at, end_reason)
  SELECT session_id, user_id, used_at, CASE WHEN used_at IS NULL THEN NULL ELSE 'upgrade' END FROM refresh_tokens;
ALTER TABLE refresh_tokens ALTER COLUMN session_id SET NOT NULL;
ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_session_fk FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE;
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
`;
