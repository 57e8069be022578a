import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgres, type Database } from '../src/db/database.js';
import { createTestDatabase } from './helpers.js';
import { until } from '@frameproof/tests/until';

const url = process.env.TEST_DATABASE_URL;
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(warning.message));

/**
 * pg 8 warns `client.query() when the client is already executing a query` (and pg 9 will
 * refuse) when one client gets a query while another is in flight: the adapter printed it at
 * start-up and on ingest, where a transaction enqueues its jobs with Promise.all.
 */
describe(
  'PostgreSQL clients run one query at a time',
  { skip: url ? false : 'TEST_DATABASE_URL is not set' },
  () => {
    let db: Database;
    after(() => db?.close());

    it('serialises overlapping queries in a transaction and on the LISTEN connection', async () => {
      db = await openPostgres(await createTestDatabase(url as string), 3);
      await db.exec('CREATE TABLE t (n int)');
      const rows = await db.transaction(async (tx) => {
        await Promise.all(Array.from({ length: 20 }, (_, n) => tx.query('INSERT INTO t VALUES ($1)', [n])));
        return tx.query<{ count: string }>('SELECT count(*) FROM t');
      });
      assert.equal(rows[0]?.count, '20');
      // A failing statement in the middle still fails its caller and rolls the whole back.
      await assert.rejects(
        db.transaction((tx) =>
          Promise.all([
            tx.query('INSERT INTO t VALUES (100)'),
            tx.query('SELECT nope'),
            tx.query('SELECT 1'),
          ]),
        ),
        /nope/,
      );
      assert.equal((await db.query<{ count: string }>('SELECT count(*) FROM t'))[0]?.count, '20');

      const heard: string[] = [];
      const stops = await Promise.all(
        ['a', 'b', 'c', 'd'].map((channel) => db.listen(`ch_${channel}`, (payload) => heard.push(payload))),
      );
      await Promise.all(['a', 'b', 'c', 'd'].map((channel) => db.notify(`ch_${channel}`, channel)));
      await until(() => heard.length >= 4, 'four notifications', { ms: 5000, everyMs: 50 });
      assert.deepEqual(heard.sort(), ['a', 'b', 'c', 'd']);
      await Promise.all(stops.map((stop) => stop()));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w.includes('already executing a query')),
        [],
      );
    });
  },
);
