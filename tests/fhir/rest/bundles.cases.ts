/** batch and transaction Bundles. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FHIR_JSON, patient, type RestContext } from './context.ts';

const SYSTEM = 'urn:oid:1.2.250.1.213.1.4.8';

interface ResponseBundle {
  type: string;
  entry: { fullUrl?: string; resource?: Record<string, any>; response: { status: string; location?: string; etag?: string; outcome?: { issue: { details: { text: string } }[] } } }[];
}

export function bundleCases(ctx: RestContext): void {
  const post = (bundle: object) => ctx.http().post('/fhir').set('Content-Type', FHIR_JSON).send(bundle);
  const count = async (query: string): Promise<number> => (await ctx.http().get(`/fhir/${query}`)).body.entry.length;

  describe('transaction', () => {
    it('creates entries together and rewrites urn:uuid references to the assigned ids', async () => {
      const patientUrl = `urn:uuid:${randomUUID()}`;
      const encounterUrl = `urn:uuid:${randomUUID()}`;
      const res = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: encounterUrl, resource: { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: patientUrl } }, request: { method: 'POST', url: 'Encounter' } },
          { fullUrl: patientUrl, resource: patient({ text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${encounterUrl}">stay</a></div>` } }), request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'HR' }, subject: { reference: patientUrl }, encounter: { reference: encounterUrl } }, request: { method: 'POST', url: 'Observation' } },
        ],
      });
      assert.equal(res.status, 200);
      const bundle = res.body as ResponseBundle;
      assert.equal(bundle.type, 'transaction-response');
      assert.deepEqual(bundle.entry.map((e) => e.response.status), ['201 Created', '201 Created', '201 Created']);
      const [encounter, patientEntry, observation] = bundle.entry.map((e) => e.resource as Record<string, any>);
      assert.equal(encounter?.subject.reference, `Patient/${patientEntry?.id}`);
      assert.equal(observation?.subject.reference, `Patient/${patientEntry?.id}`);
      assert.equal(observation?.encounter.reference, `Encounter/${encounter?.id}`);
      assert.match(patientEntry?.text.div, new RegExp(`href="Encounter/${encounter?.id}"`));
      assert.match(bundle.entry[0]?.response.location ?? '', new RegExp(`Encounter/${encounter?.id}/_history/1$`));
      const stored = await ctx.http().get(`/fhir/Observation/${observation?.id}`);
      assert.equal(stored.body.subject.reference, `Patient/${patientEntry?.id}`);
    });

    it('is all or nothing: one invalid entry rolls back the others', async () => {
      const family = `Rollback-${randomUUID()}`;
      const res = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: patient({ name: [{ family }] }), request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'not-a-status', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(JSON.stringify(res.body), /Bundle\.entry\[1\]/);
      assert.equal(await count(`Patient?family=${family}`), 0);
    });

    it('rolls back earlier writes when a later update fails its If-Match', async () => {
      const existing = await ctx.create(patient());
      const family = `Rollback-${randomUUID()}`;
      const res = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: patient({ name: [{ family }] }), request: { method: 'POST', url: 'Patient' } },
          { resource: { ...existing, gender: 'male' }, request: { method: 'PUT', url: `Patient/${existing.id}`, ifMatch: 'W/"5"' } },
        ],
      });
      assert.equal(res.status, 412);
      assert.equal(await count(`Patient?family=${family}`), 0);
      assert.equal((await ctx.http().get(`/fhir/Patient/${existing.id}`)).body.meta.versionId, '1');
    });

    it('processes DELETE before POST, then PUT, then GET, answering in request order', async () => {
      const doomed = await ctx.create(patient());
      const kept = await ctx.create(patient());
      const res = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { request: { method: 'GET', url: `Patient/${doomed.id}` } },
          { resource: { ...kept, gender: 'other' }, request: { method: 'PUT', url: `Patient/${kept.id}` } },
          { resource: patient(), request: { method: 'POST', url: 'Patient' } },
          { request: { method: 'DELETE', url: `Patient/${doomed.id}` } },
        ],
      });
      // The GET runs last, after the DELETE: the read of a deleted resource fails the transaction.
      assert.equal(res.status, 410);
      assert.equal((await ctx.http().get(`/fhir/Patient/${kept.id}`)).body.gender, 'female', 'rolled back');
      const ok = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { request: { method: 'GET', url: `Patient/${kept.id}` } },
          { resource: { ...kept, gender: 'other' }, request: { method: 'PUT', url: `Patient/${kept.id}` } },
          { request: { method: 'DELETE', url: `Patient/${doomed.id}` } },
        ],
      });
      assert.equal(ok.status, 200);
      const bundle = ok.body as ResponseBundle;
      assert.deepEqual(bundle.entry.map((e) => e.response.status), ['200 OK', '200 OK', '204 No Content']);
      assert.equal(bundle.entry[0]?.resource?.gender, 'other', 'the GET sees the PUT of the same transaction');
    });

    it('resolves conditional creates, conditional updates and conditional references', async () => {
      const value = randomUUID();
      const existing = await ctx.create(patient({ identifier: [{ system: SYSTEM, value }] }));
      const newValue = randomUUID();
      const res = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: patient({ identifier: [{ system: SYSTEM, value }] }), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYSTEM}|${value}` } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'a' }, subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } }, request: { method: 'POST', url: 'Observation' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'b' }, subject: { reference: `Patient?identifier=${SYSTEM}|${value}` } }, request: { method: 'POST', url: 'Observation' } },
          { resource: patient({ identifier: [{ system: SYSTEM, value: newValue }] }), request: { method: 'PUT', url: `Patient?identifier=${SYSTEM}|${newValue}` } },
        ],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const bundle = res.body as ResponseBundle;
      assert.equal(bundle.entry[0]?.response.status, '200 OK', 'the conditional create found the existing patient');
      assert.equal(bundle.entry[0]?.resource?.id, existing.id);
      assert.equal(bundle.entry[1]?.resource?.subject.reference, `Patient/${existing.id}`);
      assert.equal(bundle.entry[2]?.resource?.subject.reference, `Patient/${existing.id}`);
      assert.equal(bundle.entry[3]?.response.status, '201 Created');
    });

    it('fails on a conditional reference that matches nothing, and on two entries changing one resource', async () => {
      const unmatched = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=${SYSTEM}|${randomUUID()}` } }, request: { method: 'POST', url: 'Observation' } }],
      });
      assert.equal(unmatched.status, 412);
      const existing = await ctx.create(patient());
      const twice = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { ...existing, gender: 'male' }, request: { method: 'PUT', url: `Patient/${existing.id}` } },
          { request: { method: 'DELETE', url: `Patient/${existing.id}` } },
        ],
      });
      assert.equal(twice.status, 400);
    });

    it('applies a JSON Patch carried as a Binary', async () => {
      const existing = await ctx.create(patient());
      const patch = Buffer.from(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }])).toString('base64');
      const res = await post({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: patch }, request: { method: 'PATCH', url: `Patient/${existing.id}` } }],
      });
      assert.equal(res.status, 200);
      assert.equal((await ctx.http().get(`/fhir/Patient/${existing.id}`)).body.gender, 'male');
    });

    it('rejects a Bundle that is not a batch or transaction, and entries without a request', async () => {
      assert.equal((await post({ resourceType: 'Bundle', type: 'collection', entry: [] })).status, 400);
      assert.equal((await post({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient() }] })).status, 400);
      assert.equal((await post(patient())).status, 400);
    });
  });

  describe('batch', () => {
    it('processes entries independently and reports each outcome', async () => {
      const existing = await ctx.create(patient());
      const family = `Batch-${randomUUID()}`;
      const res = await post({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: patient({ name: [{ family }] }), request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'bogus', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
          { request: { method: 'GET', url: `Patient/${existing.id}` } },
          { request: { method: 'GET', url: 'Patient/not-there' } },
          { request: { method: 'DELETE', url: `Patient/${existing.id}` } },
        ],
      });
      assert.equal(res.status, 200);
      const bundle = res.body as ResponseBundle;
      assert.equal(bundle.type, 'batch-response');
      assert.deepEqual(bundle.entry.map((e) => e.response.status.split(' ')[0]), ['201', '400', '200', '404', '204']);
      assert.ok(bundle.entry[1]?.response.outcome, 'a failed entry carries its OperationOutcome');
      assert.equal(await count(`Patient?family=${family}`), 1, 'the valid entry was kept');
    });
  });
}
