// How sure the engine that found a marker was (Rekognition Video reports 0-100), as a column
// instead of text in the description, so that it can be filtered, sorted and exported.
// Which video analyses an asset asked for when it was uploaded or imported (null: the
// deployment's VIDEO_ANALYSES), kept on a direct upload from its start to its completion.
// When an import last moved: an import whose adapter died stays `running`; the sweep fails it
// once it has not moved for a while.
export default /* sql */ `
ALTER TABLE markers ADD COLUMN confidence double precision CHECK (confidence >= 0 AND confidence <= 100);
ALTER TABLE imports ADD COLUMN progress_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp());
ALTER TABLE assets ADD COLUMN video_analyses text[];
ALTER TABLE direct_uploads ADD COLUMN video_analyses text[];
CREATE INDEX imports_running_idx ON imports (progress_at) WHERE status = 'running';
`;
