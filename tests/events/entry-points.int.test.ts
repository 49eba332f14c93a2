/**
 * Every entry point writes its changes to the feed, in the transaction that makes them: an HL7 v2
 * admission (Patient, Encounter, the bed, the ward's availability), a FHIR transaction Bundle, and
 * a DICOMweb store and delete (the ImagingStudy kept in step, and its Endpoint). On both drivers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Bundle } from '@medplum/fhirtypes';
import { currentPosition, readChanges, type FeedPosition } from '../../events/feed-position.ts';
import type { Change } from '../../events/change.ts';
import type { Database } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';
import { adt, ackOf, startHl7Bridge } from '../support/hl7.ts';
import { fixture, startDicomweb } from '../support/dicomweb.ts';
import { FHIR_JSON, testApp } from '../support/app.ts';

async function changesSince(db: Database, position: FeedPosition): Promise<string[]> {
  const all: Change[] = [];
  for (;;) {
    const { changes, next } = await readChanges(db, position, 100);
    all.push(...changes);
    if (changes.length < 100) break;
    position = next;
  }
  return all.map((c) => `${c.interaction} ${c.resourceType}`);
}

for (const driver of testDrivers()) {
  describe(`entry points write to the change feed (${driver.name})`, () => {
    it('an HL7 v2 admission: the Patient, the Encounter, the bed and the ward count', async () => {
      const bridge = await startHl7Bridge(driver);
      try {
        const ward = bridge.hospital.wards[0]?.id?.split('-').at(-1) as string;
        const start = await currentPosition(bridge.db);
        const result = await bridge.pipeline.receive(Buffer.from(adt({ event: 'A01', controlId: 'F1', mrn: 'FEED1', visit: 'FV1', ward, bed: '001', finess: bridge.finess })), 'test');
        assert.equal(ackOf(result.ack).code, 'AA');
        const seen = await changesSince(bridge.db, start);
        for (const expected of ['create Patient', 'create Encounter', 'update Location', 'update Observation']) assert.ok(seen.includes(expected), `${expected} in ${seen.join(', ')}`);
      } finally {
        await bridge.close();
      }
    });

    it('a FHIR transaction Bundle: one change per entry', async () => {
      const db = await driver.open();
      try {
        const start = await currentPosition(db);
        const bundle: Bundle = {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { fullUrl: 'urn:uuid:9d5a1c7e-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: 'Roux' }] }, request: { method: 'POST', url: 'Patient' } },
            { resource: { resourceType: 'Observation', status: 'final', code: { text: 'poids' }, subject: { reference: 'urn:uuid:9d5a1c7e-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
          ],
        };
        const res = await request(testApp(db)).post('/fhir').set('content-type', FHIR_JSON).send(JSON.stringify(bundle));
        assert.equal(res.status, 200);
        assert.deepEqual(await changesSince(db, start), ['create Patient', 'create Observation']);
      } finally {
        await db.close();
      }
    });

    it('a DICOMweb store and delete: the ImagingStudy created and deleted', async () => {
      const server = await startDicomweb(driver);
      try {
        const start = await currentPosition(server.db);
        await server.client.storeInstances({ datasets: [fixture('CT_ExplVRLE_CT_small.dcm')] });
        const studies = await server.client.searchForStudies();
        const study = (studies[0]?.['0020000D']?.Value as string[] | undefined)?.[0];
        assert.ok(study, 'the study was stored');
        const res = await fetch(`${server.base}/studies/${study}`, { method: 'DELETE' });
        assert.ok(res.status < 300, `DELETE answered ${res.status}`);
        // The first store also creates the Endpoint the ImagingStudy points to (the DICOMweb base).
        assert.deepEqual(await changesSince(server.db, start), ['create Endpoint', 'create ImagingStudy', 'delete ImagingStudy']);
      } finally {
        await server.close();
      }
    });
  });
}
