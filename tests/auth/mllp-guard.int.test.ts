/**
 * MLLP client certificates mapped to service accounts, and the audit of messages received over
 * MLLP: on a real database, with accounts made as an admin would.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '@medplum/fhirtypes';
import { loadR4Definitions, parseSearch, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { MllpGuard } from '../../auth/mllp-guard.ts';
import { loadRoleMap } from '../../auth/roles.ts';
import { createClient, disableClient } from '../../auth/service-accounts.ts';
import { testDrivers } from '../support/database.ts';

for (const driver of testDrivers()) describe(`MLLP guard (${driver.name})`, () => {
  let db: Database;
  let repo: Repository;
  let guard: MllpGuard;
  before(async () => {
    loadR4Definitions();
    db = await driver.open();
    repo = new Repository(db, new ProfileRegistry([]));
    guard = new MllpGuard({ db, roleMap: loadRoleMap(), auditRepo: repo, source: {}, onError: (err) => assert.fail(String(err)) });
  });
  after(async () => {
    await db.close();
  });

  it('maps a certificate to an enabled service account allowed to send HL7, and no other', async () => {
    await createClient(db, { description: 'EHR feed', roles: ['feed'], clientId: 'ehr-feed' });
    await createClient(db, { description: 'Research', roles: ['research'], clientId: 'research-box' });
    await createClient(db, { description: 'Old feed', roles: ['feed'], clientId: 'old-feed' });
    await disableClient(db, 'old-feed');
    const principal = await guard.accountOf('ehr-feed');
    assert.deepEqual([principal?.id, principal?.method], ['client:ehr-feed', 'mtls']);
    assert.equal(await guard.accountOf('research-box'), undefined, 'no hl7:ingest');
    assert.equal(await guard.accountOf('old-feed'), undefined, 'disabled');
    assert.equal(await guard.accountOf('CN=unknown'), undefined);
  });

  it('records each message as an AuditEvent of the HL7 channel, without its content', async () => {
    guard.audit(await guard.accountOf('ehr-feed'), '10.1.2.3', 'success', 'applied');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [event] = (await repo.search(parseSearch('AuditEvent', new URLSearchParams()))).resources as AuditEvent[];
    assert.equal(event?.type.code, '110107', 'DICOM Import');
    assert.equal(event?.outcome, '0');
    assert.ok(event?.agent.some((a) => a.requestor && a.who?.identifier?.value === 'client:ehr-feed'));
    assert.ok(event?.agent.some((a) => a.network?.address === '10.1.2.3'));
  });
});
