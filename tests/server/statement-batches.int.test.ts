/**
 * Statements a transaction issues together, without awaiting each other (pipelined by the
 * PostgreSQL driver): they run in the order issued, and one that fails fails the whole
 * transaction with its own error, leaving nothing written and the connection fit for the next.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';

for (const driver of testDrivers()) {
  describe(`statements issued together in a transaction (${driver.name})`, () => {
    let db: Database;
    before(async () => {
      db = await driver.open();
      await db.exec('CREATE TABLE batch_probe (n int PRIMARY KEY)');
    });
    after(() => db.close());

    const count = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM batch_probe'))[0]?.n);

    it('runs them in the order issued: a read sees the writes issued before it', async () => {
      const seen = await db.transaction(async (tx) => {
        const [, , rows] = await Promise.all([
          tx.query('INSERT INTO batch_probe VALUES (1)'),
          tx.query('INSERT INTO batch_probe VALUES (2)'),
          tx.query<{ n: string }>('SELECT count(*) AS n FROM batch_probe'),
        ]);
        return Number(rows[0]?.n);
      });
      assert.equal(seen, 2);
      assert.equal(await count(), 2);
    });

    it('fails the transaction with the failing statement’s own error, and keeps none of its writes', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await Promise.all([
            tx.query('INSERT INTO batch_probe VALUES (3)'),
            tx.query('INSERT INTO batch_probe VALUES (1)'),
            tx.query('INSERT INTO batch_probe VALUES (4)'),
          ]);
        }),
        (err: { code?: string }) => err.code === '23505',
      );
      assert.equal(await count(), 2);
      await db.transaction((tx) => tx.query('INSERT INTO batch_probe VALUES (5)'));
      assert.equal(await count(), 3, 'the next transaction runs and commits');
    });
  });
}
