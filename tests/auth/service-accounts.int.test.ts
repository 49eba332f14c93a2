/**
 * Service accounts on both drivers: credentials shown once and stored hashed, verified to a
 * client-credentials principal, refused when wrong, unknown or disabled, rotated, listed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../fhir/index.ts';
import { createClient, disableClient, getClient, listClients, rotateSecret, verifyClient } from '../../auth/service-accounts.ts';
import { testDrivers } from '../support/database.ts';

for (const driver of testDrivers()) {
  describe(`service accounts on ${driver.name}`, () => {
    let db: Database;
    before(async () => {
      db = await driver.open();
    });
    after(() => db.close());

    it('creates a client whose secret is shown once and stored only as a salted scrypt hash', async () => {
      const a = await createClient(db, { description: 'ADT feed from the EHR', roles: ['feed'] });
      const b = await createClient(db, { description: 'second feed', roles: ['feed'] });
      assert.match(a.clientId, /^svc-[A-Za-z0-9_-]{12}$/);
      assert.match(a.clientSecret, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
      assert.notEqual(a.clientSecret, b.clientSecret);
      const rows = await db.query<{ secret_hash: string }>('SELECT secret_hash FROM auth_client WHERE client_id = ANY($1::text[]) ORDER BY created_at', [[a.clientId, b.clientId]]);
      for (const row of rows) {
        assert.match(row.secret_hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
        assert.ok(!row.secret_hash.includes(a.clientSecret) && !row.secret_hash.includes(b.clientSecret));
      }
      assert.notEqual(rows[0]?.secret_hash.split('$')[4], rows[1]?.secret_hash.split('$')[4], 'a salt per secret');
    });

    it('verifies the right secret to a client-credentials principal with the client\'s roles', async () => {
      const { clientId, clientSecret } = await createClient(db, { description: 'SAMU dispatch software', roles: ['samu-dispatch'], clientId: 'samu-75' });
      assert.equal(clientId, 'samu-75');
      assert.equal((await getClient(db, clientId))?.lastUsedAt, null);
      const principal = await verifyClient(db, clientId, clientSecret);
      assert.deepEqual(principal, { id: 'client:samu-75', name: 'samu-75', method: 'client-credentials', groups: [], roles: ['samu-dispatch'] });
      const used = await getClient(db, clientId);
      assert.ok(used?.lastUsedAt instanceof Date, 'the use is recorded');
      await verifyClient(db, clientId, clientSecret);
      assert.equal((await getClient(db, clientId))?.lastUsedAt?.getTime(), used.lastUsedAt.getTime(), 'at most once a minute');
    });

    it('refuses a wrong secret, an unknown client and an ill-formed id alike', async () => {
      const { clientId, clientSecret } = await createClient(db, { description: 'x', roles: ['feed'] });
      // One character changed (never to itself: a secret ending in A would otherwise pass).
      const wrong = `${clientSecret.slice(0, -1)}${clientSecret.endsWith('A') ? 'B' : 'A'}`;
      assert.equal(await verifyClient(db, clientId, wrong), undefined);
      assert.equal(await verifyClient(db, clientId, ''), undefined);
      assert.equal(await verifyClient(db, 'svc-unknown', clientSecret), undefined);
      assert.equal(await verifyClient(db, "x' OR '1'='1", clientSecret), undefined);
      assert.equal((await getClient(db, clientId))?.lastUsedAt, null, 'failures are not uses');
    });

    it('refuses a disabled client, and keeps it listed', async () => {
      const { clientId, clientSecret } = await createClient(db, { description: 'retired feed', roles: ['feed'] });
      assert.equal(await disableClient(db, clientId), true);
      assert.equal(await disableClient(db, clientId), false, 'already disabled');
      assert.equal(await disableClient(db, 'svc-unknown'), false);
      assert.equal(await verifyClient(db, clientId, clientSecret), undefined);
      const listed = (await listClients(db)).find((c) => c.clientId === clientId);
      assert.ok(listed?.disabledAt instanceof Date);
      assert.equal(listed.description, 'retired feed');
    });

    it('rotates a secret: the new one works, the old one stops at once', async () => {
      const first = await createClient(db, { description: 'rotating', roles: ['feed', 'samu-dispatch'] });
      const second = await rotateSecret(db, first.clientId);
      assert.ok(second);
      assert.equal(second.clientId, first.clientId);
      assert.notEqual(second.clientSecret, first.clientSecret);
      assert.equal(await verifyClient(db, first.clientId, first.clientSecret), undefined);
      assert.deepEqual((await verifyClient(db, first.clientId, second.clientSecret))?.roles, ['feed', 'samu-dispatch']);
      assert.ok((await getClient(db, first.clientId))?.rotatedAt instanceof Date);
      assert.equal(await rotateSecret(db, 'svc-unknown'), undefined);
    });

    it('lists clients oldest first without any secret or hash', async () => {
      const clients = await listClients(db);
      assert.ok(clients.length >= 5);
      for (const client of clients) {
        assert.deepEqual(Object.keys(client).sort(), ['clientId', 'createdAt', 'description', 'disabledAt', 'lastUsedAt', 'roles', 'rotatedAt']);
        assert.ok(client.createdAt instanceof Date);
        assert.ok(Array.isArray(client.roles));
      }
      const times = clients.map((c) => c.createdAt.getTime());
      assert.deepEqual(times, [...times].sort((x, y) => x - y));
    });

    it('refuses bad input', async () => {
      await assert.rejects(createClient(db, { description: 'x', roles: [] }), /at least one role/);
      await assert.rejects(createClient(db, { description: 'x', roles: ['bad role'] }), /not a role name/);
      await assert.rejects(createClient(db, { description: 'x', roles: ['feed'], clientId: 'a b' }), /client id is 3-64/);
      await createClient(db, { description: 'x', roles: ['feed'], clientId: 'dup-client' });
      await assert.rejects(createClient(db, { description: 'x', roles: ['feed'], clientId: 'dup-client' }), /already exists/);
    });
  });
}
