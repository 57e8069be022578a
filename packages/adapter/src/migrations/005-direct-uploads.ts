// Uploads straight to S3: the multipart upload the adapter started for a client, the parts it
// signed and the ETags the client reported, so an interrupted upload resumes from this record
// (the S3-protocol servers we test on have no ListParts). Imports: objects already in the
// storage registered as assets without copying them; their files are `external`, which purge
// leaves in place.
export default /* sql */ `
CREATE TABLE direct_uploads (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  asset_id uuid NOT NULL UNIQUE,
  storage_upload_id text NOT NULL,
  key text NOT NULL,
  file_name text NOT NULL,
  title text,
  mime_type text NOT NULL,
  size bigint NOT NULL CHECK (size > 0),
  part_size bigint NOT NULL CHECK (part_size > 0),
  part_count integer NOT NULL CHECK (part_count > 0),
  assembled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  expires_at timestamptz NOT NULL
);
CREATE INDEX direct_uploads_expires_idx ON direct_uploads (expires_at);

CREATE TABLE direct_upload_parts (
  upload_id uuid NOT NULL REFERENCES direct_uploads(id) ON DELETE CASCADE,
  part_number integer NOT NULL CHECK (part_number > 0),
  etag text,
  signed_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  reported_at timestamptz,
  PRIMARY KEY (upload_id, part_number)
);

ALTER TABLE files ADD COLUMN external boolean NOT NULL DEFAULT false;
CREATE INDEX files_key_idx ON files (key);

CREATE TABLE imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  source text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  total integer,
  skipped integer NOT NULL DEFAULT 0,
  error text,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  finished_at timestamptz
);

CREATE TABLE import_items (
  import_id uuid NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
  position integer NOT NULL,
  key text NOT NULL,
  asset_id uuid REFERENCES assets(id) ON DELETE SET NULL,
  error text,
  PRIMARY KEY (import_id, position)
);
`;
