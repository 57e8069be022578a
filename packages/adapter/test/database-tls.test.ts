import assert from 'node:assert/strict';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, RDS_CA_BUNDLE, readConfig } from '../src/config.js';
import { openPostgres } from '../src/db/database.js';
import { ownCluster, run, serverBin, skipWithoutServer } from './pg-cluster.js';

// On AWS the adapter reaches RDS over the network: it must check that the server it talks to
// holds a certificate from RDS's CAs for the host it asked for, not merely encrypt.

/** Two certificate authorities, and a server certificate for 127.0.0.1 signed by the first. */
async function makePki(dir: string) {
  const openssl = (...args: string[]) => run('openssl', args);
  for (const ca of ['ca', 'other-ca'])
    await openssl(
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-keyout', join(dir, `${ca}.key`), '-out', join(dir, `${ca}.pem`), '-subj', `/CN=${ca}`],
    );
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl(
    ...['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1'],
    ...['-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr')],
  );
  await openssl(
    ...['x509', '-req', '-days', '1', '-in', join(dir, 'server.csr')],
    ...['-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial'],
    ...['-extfile', join(dir, 'san.ext'), '-out', join(dir, 'server.crt')],
  );
}

const bin = serverBin();

describe('TLS to PostgreSQL (DB_HOST)', () => {
  it('verifies the server by default, naming the RDS bundle the image ships', () => {
    assert.throws(
      () => readConfig({ DB_HOST: 'db.internal' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.startsWith(`DB_SSL_CA: no certificate bundle at ${RDS_CA_BUNDLE}`),
    );
    assert.match(
      readConfig({ DB_HOST: 'db.internal', DB_SSL_CA: '/dev/null' }).databaseUrl ?? '',
      /\?sslmode=verify-full&sslrootcert=%2Fdev%2Fnull$/,
    );
    assert.throws(() => readConfig({ DB_HOST: 'db.internal', DB_SSL: 'yes' }), /DB_SSL must be verify/);
  });

  it(
    'connects to a server whose certificate the CA signed, and refuses one it did not',
    {
      skip: skipWithoutServer(),
      timeout: 300_000,
    },
    async (t) => {
      assert.ok(bin, 'no PostgreSQL server programs under /usr/lib/postgresql');
      const pki = await mkdtemp(join(tmpdir(), 'frameproof-pki-'));
      t.after(() => rm(pki, { recursive: true, force: true }));
      await makePki(pki);
      const cluster = await ownCluster(bin, async (dir) => {
        await copyFile(join(pki, 'server.crt'), join(dir, 'server.crt'));
        await copyFile(join(pki, 'server.key'), join(dir, 'server.key'));
        await chmod(join(dir, 'server.key'), 0o600);
        return `-c ssl=on -c ssl_cert_file=${dir}/server.crt -c ssl_key_file=${dir}/server.key`;
      });
      t.after(() => cluster.remove());
      const env = { DB_HOST: '127.0.0.1', DB_PORT: String(cluster.port), DB_NAME: 'postgres' };

      const verified = await openPostgres(
        readConfig({ ...env, DB_SSL_CA: join(pki, 'ca.pem') }).databaseUrl ?? '',
        1,
      );
      t.after(() => verified.close());
      const [row] = await verified.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      assert.equal(row?.ssl, true, 'the connection is encrypted');

      // A server the CA did not sign: refused when connecting, before any query.
      await assert.rejects(
        openPostgres(readConfig({ ...env, DB_SSL_CA: join(pki, 'other-ca.pem') }).databaseUrl ?? '', 1),
        /unable to verify the first certificate/,
      );
    },
  );
});
