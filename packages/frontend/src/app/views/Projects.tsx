import {
  PROJECT_ROLES,
  type Project,
  type ProjectMember,
  type ProjectRole,
  type User,
} from '@frameproof/core';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../lib/api.js';
import { forgetProjects } from '../lib/projects.js';

type Message = { ok: boolean; text: string } | null;

/** Projects and their members with a role each (admins only); mirrors the Users page. */
export function Projects() {
  const [projects, setProjects] = useState<Project[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [message, setMessage] = useState<Message>(null);
  const fail = (e: unknown) => setMessage({ ok: false, text: errorText(e) });
  const load = () => {
    forgetProjects();
    void api.listProjects().then((r) => setProjects(r.items), fail);
  };
  useEffect(() => {
    load();
    void api.listUsers().then((r) => setUsers(r.items), fail);
  }, []);
  return (
    <div class="users projects">
      <h1>Projects</h1>
      {message && (
        <p class={message.ok ? 'notice' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      {projects.map((p) => (
        <ProjectMembers key={p.id} project={p} users={users} onMessage={setMessage} onRenamed={load} />
      ))}
      <h2>New project</h2>
      <form
        class="row"
        aria-label="New project"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget as HTMLFormElement;
          void api.createProject(String(new FormData(form).get('name'))).then((p) => {
            setMessage({ ok: true, text: `Created ${p.name}.` });
            form.reset();
            load();
          }, fail);
        }}
      >
        <label>
          Name
          <input name="name" required maxLength={200} autocomplete="off" />
        </label>
        <button type="submit" class="primary">
          Create
        </button>
      </form>
    </div>
  );
}

function ProjectMembers({
  project,
  users,
  onMessage,
  onRenamed,
}: {
  project: Project;
  users: User[];
  onMessage: (m: Message) => void;
  onRenamed: () => void;
}) {
  const [members, setMembers] = useState<ProjectMember[]>([]);
  const fail = (e: unknown) => onMessage({ ok: false, text: errorText(e) });
  const load = () => void api.listProjectMembers(project.id).then((r) => setMembers(r.items), fail);
  useEffect(load, [project.id]);
  const put = (userId: string, role: ProjectRole, done: string) =>
    void api.putProjectMember(project.id, userId, role).then(() => {
      onMessage({ ok: true, text: done });
      load();
    }, fail);
  // Admins hold every project and the service account reaches every asset: neither is a member.
  const candidates = users.filter(
    (u) => u.role !== 'admin' && u.role !== 'service' && !members.some((m) => m.userId === u.id),
  );
  return (
    <section aria-label={`Project ${project.name}`}>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const name = String(new FormData(e.currentTarget as HTMLFormElement).get('name'));
          void api.renameProject(project.id, name).then(() => {
            onMessage({ ok: true, text: `Renamed to ${name}.` });
            onRenamed();
          }, fail);
        }}
      >
        <h2>{project.name}</h2>
        <input name="name" aria-label={`New name for ${project.name}`} required maxLength={200} />
        <button type="submit">Rename</button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role in {project.name}</th>
            <th scope="col">Remove</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.userId}>
              <th scope="row">{m.displayName ?? m.username}</th>
              <td>
                <select
                  aria-label={`Role of ${m.username} in ${project.name}`}
                  value={m.role}
                  onChange={(e) => {
                    const role = (e.currentTarget as HTMLSelectElement).value as ProjectRole;
                    put(m.userId, role, `${m.username} is now ${role} in ${project.name}.`);
                  }}
                >
                  {PROJECT_ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <button
                  type="button"
                  onClick={() =>
                    void api.removeProjectMember(project.id, m.userId).then(() => {
                      onMessage({ ok: true, text: `${m.username} left ${project.name}.` });
                      load();
                    }, fail)
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {candidates.length > 0 && (
        <form
          class="row"
          aria-label={`Add a member to ${project.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            const d = new FormData(e.currentTarget as HTMLFormElement);
            const user = users.find((u) => u.id === d.get('user'));
            if (user) put(user.id, d.get('role') as ProjectRole, `${user.username} joined ${project.name}.`);
          }}
        >
          <select name="user" aria-label={`Person to add to ${project.name}`}>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
              </option>
            ))}
          </select>
          <select name="role" aria-label="Their role" defaultValue="reviewer">
            {PROJECT_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button type="submit">Add</button>
        </form>
      )}
    </section>
  );
}
