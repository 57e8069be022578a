// Timestamps are kept at millisecond precision so that they round-trip through JavaScript
// dates exactly (cursor pagination compares them).
export default /* sql */ `
CREATE TABLE settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL UNIQUE,
  display_name text,
  role text NOT NULL CHECK (role IN ('admin', 'editor', 'reviewer', 'viewer', 'service')),
  password_hash text,
  external_subject text UNIQUE,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);

CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);

CREATE TABLE assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title text NOT NULL,
  status text NOT NULL DEFAULT 'ingesting' CHECK (status IN ('ingesting', 'ready', 'failed')),
  error text,
  qc_status text NOT NULL DEFAULT 'pending' CHECK (qc_status IN ('pending', 'in_review', 'approved', 'rejected')),
  qc_by uuid REFERENCES users(id) ON DELETE SET NULL,
  qc_reason text,
  qc_at timestamptz,
  technical jsonb,
  frame_rate_num integer,
  frame_rate_den integer,
  duration_frames integer,
  start_timecode text,
  drop_frame boolean NOT NULL DEFAULT false,
  metadata jsonb NOT NULL DEFAULT '{}',
  analysis jsonb NOT NULL DEFAULT '{}',
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || metadata::text)) STORED
);
CREATE INDEX assets_created_idx ON assets (created_at, id);
CREATE INDEX assets_updated_idx ON assets (updated_at, id);
CREATE INDEX assets_title_idx ON assets (title, id);
CREATE INDEX assets_search_idx ON assets USING gin (search);

CREATE TABLE shapes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id uuid NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  type text NOT NULL,
  track integer,
  label text,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE UNIQUE INDEX shapes_asset_type_track_idx ON shapes (asset_id, type, coalesce(track, 0));

CREATE TABLE files (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  shape_id uuid NOT NULL REFERENCES shapes(id) ON DELETE CASCADE,
  storage text NOT NULL,
  key text NOT NULL,
  size bigint NOT NULL,
  checksum text,
  mime_type text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE INDEX files_shape_idx ON files (shape_id);

CREATE TABLE markers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id uuid NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  start_frame integer NOT NULL CHECK (start_frame >= 0),
  end_frame integer NOT NULL,
  title text NOT NULL,
  description text,
  group_name text NOT NULL,
  category text,
  severity text,
  color text,
  origin text,
  author_id uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  CHECK (end_frame >= start_frame)
);
CREATE INDEX markers_asset_start_idx ON markers (asset_id, start_frame);

CREATE TABLE comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  marker_id uuid NOT NULL REFERENCES markers(id) ON DELETE CASCADE,
  author_id uuid REFERENCES users(id) ON DELETE SET NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE INDEX comments_marker_idx ON comments (marker_id, created_at);

CREATE TABLE jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id uuid REFERENCES assets(id) ON DELETE CASCADE,
  type text NOT NULL,
  payload jsonb NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3,
  run_after timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  progress real NOT NULL DEFAULT 0,
  eta_seconds real,
  last_error text,
  lease_owner text,
  lease_token uuid,
  lease_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX jobs_queue_idx ON jobs (priority DESC, created_at) WHERE status = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_asset_idx ON jobs (asset_id, created_at);
`;
