// Deleting an asset is soft: the row stays, marked, and leaves every list and read until it is
// restored or purged by the sweep once ASSET_RETENTION_DAYS have passed.
export default /* sql */ `
ALTER TABLE assets ADD COLUMN deleted_at timestamptz;
ALTER TABLE assets ADD COLUMN deleted_by uuid REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX assets_deleted_idx ON assets (deleted_at, id) WHERE deleted_at IS NOT NULL;
`;
