import { PERSON_ROLES, type User } from '@frameproof/core';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../lib/api.js';
import { session } from '../lib/session.js';

/** Local accounts: create, change role, disable, reset password (admins only). */
export function Users() {
  const [users, setUsers] = useState<User[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const load = () =>
    api.listUsers().then(
      (r) => setUsers(r.items),
      (e: unknown) => setMessage({ ok: false, text: errorText(e) }),
    );
  useEffect(() => {
    void load();
  }, []);
  const update = (u: User, body: Record<string, unknown>, done: string) =>
    void api.updateUser(u.id, body).then(
      () => {
        setMessage({ ok: true, text: done });
        void load();
      },
      (e: unknown) => setMessage({ ok: false, text: errorText(e) }),
    );
  return (
    <div class="users">
      <h1>Users</h1>
      {message && (
        <p class={message.ok ? 'notice' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">State</th>
            <th scope="col">Reset password</th>
          </tr>
        </thead>
        <tbody>
          {users
            .filter((u) => u.role !== 'service')
            .map((u) => (
              <tr key={u.id}>
                <th scope="row">{u.username}</th>
                <td>{u.displayName ?? ''}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.username}`}
                    value={u.role}
                    disabled={u.id === session.user?.id}
                    onChange={(e) =>
                      update(
                        u,
                        { role: (e.currentTarget as HTMLSelectElement).value },
                        `${u.username} is now ${(e.currentTarget as HTMLSelectElement).value}.`,
                      )
                    }
                  >
                    {PERSON_ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <button
                    type="button"
                    disabled={u.id === session.user?.id}
                    onClick={() =>
                      update(
                        u,
                        { disabled: !u.disabled },
                        `${u.username} is ${u.disabled ? 'enabled' : 'disabled'}.`,
                      )
                    }
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                  </button>{' '}
                  {u.disabled ? 'disabled' : 'active'}
                </td>
                <td>
                  <form
                    class="row"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const form = e.currentTarget as HTMLFormElement;
                      const password = String(new FormData(form).get('password') ?? '');
                      update(u, { password }, `${u.username}'s password was reset.`);
                      form.reset();
                    }}
                  >
                    <input
                      name="password"
                      type="password"
                      minLength={8}
                      required
                      aria-label={`New password for ${u.username}`}
                      autocomplete="new-password"
                    />
                    <button type="submit">Reset</button>
                  </form>
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      <h2>New user</h2>
      <form
        class="row"
        aria-label="New user"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget as HTMLFormElement;
          const d = new FormData(form);
          void api
            .createUser({
              username: String(d.get('username')),
              password: String(d.get('password')),
              role: String(d.get('role')),
              ...(d.get('displayName') ? { displayName: String(d.get('displayName')) } : {}),
            })
            .then(
              (u) => {
                setMessage({ ok: true, text: `Created ${u.username}.` });
                form.reset();
                void load();
              },
              (err: unknown) => setMessage({ ok: false, text: errorText(err) }),
            );
        }}
      >
        <label>
          Username
          <input name="username" required pattern="[A-Za-z0-9._@-]+" autocomplete="off" />
        </label>
        <label>
          Name
          <input name="displayName" />
        </label>
        <label>
          Password
          <input name="password" type="password" minLength={8} required autocomplete="new-password" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="reviewer">
            {PERSON_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create
        </button>
      </form>
    </div>
  );
}
