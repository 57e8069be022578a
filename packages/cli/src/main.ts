import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Asset, type Job, type Project, type User } from '@frameproof/core';
import { ApiError, FrameproofClient } from '@frameproof/client';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Config } from './config.js';
import { CliError, explain } from './errors.js';
import { mib, Output, table } from './output.js';
import { SessionClient } from './session.js';
import { filesOf, fingerprintOf, followIngest, sendFile, sendFileDirect } from './upload.js';

const config = new Config();
const program = new Command('frameproof')
  .description(
    'Frameproof from the terminal: sign in, upload, follow ingest, manage assets, jobs, users and markers.',
  )
  .option('--json', 'print JSON (for scripts) instead of text')
  .showHelpAfterError();

const output = () => new Output({ json: Boolean(program.opts<{ json?: boolean }>().json) });
const session = () => SessionClient.open(config);
const ROLES = ['admin', 'editor', 'reviewer', 'viewer'];
const role = new Option('--role <role>', 'admin, editor, reviewer or viewer').choices(ROLES);

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new CliError('no terminal to ask for the password on', 'pipe it in: --password-stdin', 2);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write(question);
  muted._writeToOutput = () => undefined;
  const answer = await new Promise<string>((r) => rl.question('', r));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

async function passwordFrom(opts: { passwordStdin?: boolean }, question = 'Password: '): Promise<string> {
  const password = opts.passwordStdin ? await readStdin() : await prompt(question);
  if (!password) throw new CliError('the password is empty', undefined, 2);
  return password;
}

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number from 1');
  return n;
};

program
  .command('login')
  .description('sign in and keep the session in your config folder (mode 0600)')
  .argument('[url]', 'where Frameproof runs', 'http://127.0.0.1:8080')
  .requiredOption('-u, --user <name>', 'username')
  .option('--password-stdin', 'read the password from standard input')
  .action(async (url: string, opts: { user: string; passwordStdin?: boolean }) => {
    const base = new URL(url).origin;
    const password = await passwordFrom(opts);
    const client = new FrameproofClient(base);
    const tokens = await client.login(opts.user, password).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 401)
        throw new CliError(`wrong username or password for ${opts.user} at ${base}`, 'try again', 3);
      throw explain(err, base);
    });
    await config.saveSession({
      url: base,
      username: tokens.user.username,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
    });
    output().result({ url: base, user: tokens.user, config: config.sessionFile }, () =>
      [
        `Signed in to ${base} as ${tokens.user.username} (${tokens.user.role}).`,
        `Session: ${config.sessionFile}`,
      ].join('\n'),
    );
  });

program
  .command('logout')
  .description('sign out: revoke the session and forget it')
  .action(async () => {
    const saved = await config.session();
    if (saved) {
      await new FrameproofClient(saved.url)
        .request('POST', '/api/auth/logout', { body: { refreshToken: saved.refreshToken } })
        .catch(() => undefined); // forgetting it here is what matters
    }
    await config.clearSession();
    output().result({ signedOut: Boolean(saved) }, () =>
      saved ? `Signed out of ${saved.url}.` : 'Not signed in.',
    );
  });

program
  .command('upload')
  .description(
    'upload files (or the files in folders), resumably: straight to S3 where the server offers it, else with tus; then follow ingest',
  )
  .argument('<paths...>', 'files or folders')
  .option('--title <title>', 'the title (one file only; default: the file name)')
  .option(
    '--project <project>',
    'the project (name or id) the assets go to; needed when you belong to several',
  )
  .option('--no-wait', 'return once uploaded, without following ingest')
  .option('--again', 'upload files sent before as new assets instead of skipping them')
  .addOption(new Option('--chunk-size <mib>', 'MiB per tus request').argParser(positive).default(64))
  .action(
    async (
      paths: string[],
      opts: { title?: string; project?: string; wait: boolean; again?: boolean; chunkSize: number },
    ) => {
      const out = output();
      const files = await filesOf(paths);
      if (opts.title && files.length > 1)
        throw new CliError('--title names one file; give one file', undefined, 2);
      const client = await session();
      // Straight to the storage where the adapter offers it (S3), else tus.
      const direct = (await client.uploadOptions()).direct;
      const projectId = opts.project ? await findProject(client, opts.project) : undefined;
      const bars = out.bars();
      const total = files.reduce((n, f) => n + f.size, 0);
      const overall = files.length > 1 ? bars.add(total, `all ${files.length} files`) : undefined;
      const sent = new Map<string, number>();
      const results: { file: string; assetId: string; resumedAt: number | null; status?: string }[] = [];
      try {
        const done = await config.uploaded();
        for (const file of files) {
          const fingerprint = await fingerprintOf(file.path, client.url);
          const earlier = done[fingerprint];
          if (earlier && !opts.again) {
            results.push({ file: file.path, assetId: earlier, resumedAt: null });
            out.event(
              { event: 'skipped', file: file.path, assetId: earlier },
              `${file.path} was uploaded before as asset ${earlier}; skipping it (--again to upload it anew)`,
            );
            continue;
          }
          const bar = bars.add(file.size, file.path.split('/').pop() ?? file.path);
          let resumedAt: number | null = null;
          const send = direct
            ? sendFileDirect
            : (...[c, conf, f, o]: Parameters<typeof sendFileDirect>) =>
                sendFile(c, conf, f, { ...o, chunkSize: opts.chunkSize * 1024 * 1024 });
          const assetId = await send(client, config, file, {
            title: opts.title,
            projectId,
            onResume: (at) => {
              resumedAt = at;
              out.event(
                { event: 'resume', file: file.path, offset: at },
                `Resuming ${file.path} at ${mib(at)}`,
              );
            },
            onProgress: (bytes) => {
              sent.set(file.path, bytes);
              bar?.update(bytes);
              overall?.update([...sent.values()].reduce((a, b) => a + b, 0));
              if (out.json) out.event({ event: 'progress', file: file.path, bytes, total: file.size }, '');
            },
          });
          await config.markUploaded(fingerprint, assetId);
          bar?.update(file.size, { detail: `asset ${assetId}` });
          results.push({ file: file.path, assetId, resumedAt });
          out.event({ event: 'uploaded', file: file.path, assetId, via: direct ? 'direct' : 'tus' }, '');
        }
        if (opts.wait) {
          for (const result of results) {
            const seen = new Map<string, string>();
            const asset = await followIngest(client, result.assetId, (jobs) => {
              for (const job of jobs) {
                const state = `${job.status} ${Math.round((job.progress ?? 0) * 100)}%`;
                if (seen.get(job.id) === state) continue;
                seen.set(job.id, state);
                if (job.status === 'completed' || job.status === 'failed' || seen.size === 0 || out.json)
                  out.event(
                    {
                      event: 'job',
                      assetId: result.assetId,
                      type: job.type,
                      status: job.status,
                      progress: job.progress,
                    },
                    `${result.file.split('/').pop()}: ${job.type} ${job.status}${job.error ? ` (${job.error})` : ''}`,
                  );
              }
            });
            result.status = asset.status;
          }
        }
      } finally {
        bars.stop();
      }
      out.result({ items: results }, () =>
        results
          .map(
            (r) =>
              `${r.file}: asset ${r.assetId}${r.status ? `, ${r.status}` : ', uploaded (ingest continues)'}`,
          )
          .join('\n'),
      );
      if (results.some((r) => r.status === 'failed'))
        throw new CliError('ingest failed for some files', 'see: frameproof jobs list --asset ID', 5);
    },
  );

const assetRow = (a: Asset) => [a.id, a.status, a.qc.status, a.title];
const assets = program.command('assets').description('list, search and show assets');
assets
  .command('list')
  .description('the most recent assets')
  .addOption(new Option('--limit <n>', 'how many').argParser(positive).default(50))
  .option('--status <status>', 'ingesting, ready, failed...')
  .action(async (opts: { limit: number; status?: string }) => {
    const page = await (
      await session()
    ).listAssets({ limit: opts.limit, ...(opts.status ? { status: opts.status as Asset['status'] } : {}) });
    output().result(page, () => table([['ID', 'STATUS', 'QC', 'TITLE'], ...page.items.map(assetRow)]));
  });
assets
  .command('search')
  .description('assets whose title or metadata match words')
  .argument('<words...>')
  .action(async (words: string[]) => {
    const page = await (await session()).listAssets({ q: words.join(' ') });
    output().result(page, () =>
      page.items.length
        ? table([['ID', 'STATUS', 'QC', 'TITLE'], ...page.items.map(assetRow)])
        : 'No assets match.',
    );
  });
assets
  .command('show')
  .description('one asset: status, frame rate, duration and shapes')
  .argument('<id>')
  .action(async (id: string) => {
    const asset = await (await session()).getAsset(id);
    output().result(asset, () =>
      [
        `${asset.title} (${asset.id})`,
        `status: ${asset.status}${asset.error ? ` (${asset.error})` : ''}   QC: ${asset.qc.status}`,
        `frame rate: ${asset.frameRate ? `${asset.frameRate.num}/${asset.frameRate.den}` : 'not probed yet'}   frames: ${asset.durationFrames ?? '?'}`,
        `shapes: ${asset.shapes.map((s) => s.type + (s.track ?? '')).join(', ')}`,
      ].join('\n'),
    );
  });

const jobRow = (j: Job) => [
  j.id,
  j.type,
  j.status,
  `${Math.round((j.progress ?? 0) * 100)}%`,
  j.assetId ?? '',
  j.error ?? '',
];
const JOB_HEAD = ['ID', 'TYPE', 'STATUS', 'DONE', 'ASSET', 'ERROR'];
const jobs = program.command('jobs').description('list, watch, retry and cancel jobs');
jobs
  .command('list')
  .option('--asset <id>', "one asset's jobs")
  .option('--status <status>', 'queued, running, completed, failed, cancelled')
  .action(async (opts: { asset?: string; status?: string }) => {
    const list = await (
      await session()
    ).listJobs({
      ...(opts.asset ? { assetId: opts.asset } : {}),
      ...(opts.status ? { status: opts.status as Job['status'] } : {}),
    });
    output().result(list, () => table([JOB_HEAD, ...list.items.map(jobRow)]));
  });
jobs
  .command('watch')
  .description("follow an asset's jobs with progress bars until they are all done")
  .argument('<assetId>')
  .action(async (assetId: string) => {
    const out = output();
    const bars = out.bars();
    const shown = new Map<string, ReturnType<typeof bars.add>>();
    try {
      const asset = await followIngest(await session(), assetId, (list) => {
        for (const job of list) {
          if (!shown.has(job.id)) shown.set(job.id, bars.add(100, job.type));
          shown.get(job.id)?.update(Math.round((job.progress ?? 0) * 100), { detail: job.status });
          if (out.json) out.event({ event: 'job', ...job }, '');
        }
      });
      bars.stop();
      out.result({ assetId, status: asset.status }, () => `${asset.title}: ${asset.status}`);
    } finally {
      bars.stop();
    }
  });
for (const [name, verb] of [
  ['retry', 'retryJob'],
  ['cancel', 'cancelJob'],
] as const) {
  jobs
    .command(name)
    .argument('<jobId>')
    .action(async (id: string) => {
      const job = await (await session())[verb](id);
      output().result(job, () => `${job.type} ${job.id}: ${job.status}`);
    });
}

/** A project one belongs to, by id or by name (in any case). */
const findProject = async (client: SessionClient, given: string): Promise<string> => {
  const { items } = await client.request<{ items: Project[] }>('GET', '/api/projects');
  const project = items.find((p) => p.id === given || p.name.toLowerCase() === given.toLowerCase());
  if (!project)
    throw new CliError(
      `no project named ${given} that you belong to`,
      `yours: ${items.map((p) => p.name).join(', ') || 'none'}`,
      4,
    );
  return project.id;
};
const findUser = async (client: SessionClient, username: string): Promise<User> => {
  const { items } = await client.request<{ items: User[] }>('GET', '/api/users');
  const user = items.find((u) => u.username === username);
  if (!user) throw new CliError(`no user named ${username}`, 'see them all: frameproof users list', 4);
  return user;
};
const userLine = (u: User) =>
  `${u.username} (${u.role}${(u as { disabled?: boolean }).disabled ? ', disabled' : ''})`;
const users = program
  .command('users')
  .description('create users, set their role, disable them, reset passwords');
users.command('list').action(async () => {
  const list = await (await session()).request<{ items: User[] }>('GET', '/api/users');
  output().result(list, () => list.items.map(userLine).join('\n'));
});
users
  .command('create')
  .argument('<username>')
  .addOption(role.makeOptionMandatory())
  .option('--password-stdin', 'read the password from standard input')
  .action(async (username: string, opts: { role: string; passwordStdin?: boolean }) => {
    const password = await passwordFrom(opts, `Password for ${username}: `);
    const user = await (
      await session()
    ).request<User>('POST', '/api/users', { body: { username, password, role: opts.role } });
    output().result(user, () => `Created ${userLine(user)}.`);
  });
users
  .command('role')
  .argument('<username>')
  .argument('<role>', ROLES.join(', '))
  .action(async (username: string, newRole: string) => {
    if (!ROLES.includes(newRole))
      throw new CliError(`no role named ${newRole}`, `use one of ${ROLES.join(', ')}`, 2);
    const client = await session();
    const user = await client.request<User>('PATCH', `/api/users/${(await findUser(client, username)).id}`, {
      body: { role: newRole },
    });
    output().result(user, () => `${userLine(user)}.`);
  });
for (const [name, disabled] of [
  ['disable', true],
  ['enable', false],
] as const) {
  users
    .command(name)
    .argument('<username>')
    .action(async (username: string) => {
      const client = await session();
      const user = await client.request<User>(
        'PATCH',
        `/api/users/${(await findUser(client, username)).id}`,
        {
          body: { disabled },
        },
      );
      output().result(user, () => `${userLine(user)}.`);
    });
}
users
  .command('reset-password')
  .argument('<username>')
  .option('--password-stdin', 'read the new password from standard input')
  .action(async (username: string, opts: { passwordStdin?: boolean }) => {
    const client = await session();
    const id = (await findUser(client, username)).id;
    const password = await passwordFrom(opts, `New password for ${username}: `);
    const user = await client.request<User>('PATCH', `/api/users/${id}`, { body: { password } });
    output().result(user, () => `New password set for ${user.username}.`);
  });

const FORMATS = ['csv', 'json', 'edl', 'avid', 'fcpxml'];
const markers = program.command('markers').description("export and import an asset's markers");
markers
  .command('export')
  .argument('<assetId>')
  .addOption(new Option('--format <format>', 'file format').choices(FORMATS).makeOptionMandatory())
  .option('-o, --output <file>', 'write to a file instead of standard output')
  .action(async (assetId: string, opts: { format: string; output?: string }) => {
    const client = await session();
    const res = await fetch(
      new URL(`/api/assets/${assetId}/markers/export?format=${opts.format}`, client.url),
      { headers: { authorization: `Bearer ${await client.token()}` } },
    );
    if (!res.ok) {
      const body = (await res.json().catch(() => undefined)) as { message?: string } | undefined;
      throw explain(new ApiError(res.status, body as ApiError['body']), client.url);
    }
    const text = await res.text();
    if (opts.output) await writeFile(opts.output, text);
    else process.stdout.write(text);
  });
markers
  .command('import')
  .argument('<assetId>')
  .argument('<file>', 'markers as CSV or JSON (by the file name, or --format)')
  .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']))
  .action(async (assetId: string, file: string, opts: { format?: string }) => {
    const format = opts.format ?? (file.toLowerCase().endsWith('.json') ? 'json' : 'csv');
    const text = await readFile(file, 'utf8').catch(() => {
      throw new CliError(`no such file: ${file}`, 'check the path; nothing was imported', 2);
    });
    const result = await (
      await session()
    ).request<{ items: unknown[] }>('POST', `/api/assets/${assetId}/markers/import`, {
      body: { format, text },
    });
    output().result(result, () => `Imported ${result.items.length} markers.`);
  });

program.exitOverride();
try {
  await program.parseAsync();
} catch (err) {
  const code = (err as { code?: string }).code;
  if (code?.startsWith('commander.')) {
    // Commander has printed its message (or help); keep its exit code.
    process.exit((err as { exitCode?: number }).exitCode ?? 2);
  }
  const saved = await config.session().catch(() => undefined);
  const problem = explain(err, saved?.url);
  if (output().json)
    process.stdout.write(`${JSON.stringify({ error: problem.message, hint: problem.hint })}\n`);
  else process.stderr.write(`frameproof: ${problem.message}\n${problem.hint ? `  ${problem.hint}\n` : ''}`);
  process.exit(problem.exitCode);
}
// Open handles (keep-alive sockets) must not hold a finished command.
await sleep(0);
process.exit(0);
