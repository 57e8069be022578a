// Projects: every asset belongs to one, and people see and act on the assets of the projects they
// are members of, with the role they hold there (admins hold every project without being
// members). An upgraded deployment keeps working as before: one project, "Default", holds every
// existing asset, and every existing person but the admins is a member at their account's role.
export default /* sql */ `
CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(btrim(name)) > 0),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE UNIQUE INDEX projects_name_key ON projects (lower(name));

CREATE TABLE project_members (
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('editor', 'reviewer', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user_idx ON project_members (user_id);

INSERT INTO projects (name) VALUES ('Default');
INSERT INTO project_members (project_id, user_id, role)
  SELECT p.id, u.id, u.role FROM projects p CROSS JOIN users u
  WHERE p.name = 'Default' AND u.role IN ('editor', 'reviewer', 'viewer');

ALTER TABLE assets ADD COLUMN project_id uuid REFERENCES projects(id);
UPDATE assets SET project_id = (SELECT id FROM projects WHERE name = 'Default');
ALTER TABLE assets ALTER COLUMN project_id SET NOT NULL;
CREATE INDEX assets_project_idx ON assets (project_id, created_at);

ALTER TABLE direct_uploads ADD COLUMN project_id uuid REFERENCES projects(id) ON DELETE CASCADE;
UPDATE direct_uploads SET project_id = (SELECT id FROM projects WHERE name = 'Default');
ALTER TABLE direct_uploads ALTER COLUMN project_id SET NOT NULL;
`;
