// An asset has one shape of each type and track, except subtitles: one per file attached (several
// languages, or a language twice, e.g. with and without descriptions for the hard of hearing).
export default /* sql */ `
DROP INDEX shapes_asset_type_track_idx;
CREATE UNIQUE INDEX shapes_asset_type_track_idx ON shapes (asset_id, type, coalesce(track, 0)) WHERE type <> 'subtitle';
CREATE INDEX shapes_asset_idx ON shapes (asset_id, type);
`;
