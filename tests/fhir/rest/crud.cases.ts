/** create, read, vread, update, patch, delete: the instance interactions. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FHIR_JSON, patient, type RestContext } from './context.ts';

export function crudCases(ctx: RestContext): void {
  describe('create', () => {
    it('assigns an id and version 1, and answers 201 with Location, ETag and Last-Modified', async () => {
      const res = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(patient({ id: 'client-chosen' }));
      assert.equal(res.status, 201);
      assert.match(res.headers['content-type'] ?? '', /^application\/fhir\+json/);
      const body = res.body;
      assert.notEqual(body.id, 'client-chosen', 'POST ignores the id in the body');
      assert.match(body.id, /^[0-9a-f-]{36}$/);
      assert.equal(body.meta.versionId, '1');
      assert.ok(!Number.isNaN(Date.parse(body.meta.lastUpdated)));
      assert.equal(res.headers.etag, 'W/"1"');
      assert.match(res.headers.location ?? '', new RegExp(`/fhir/Patient/${body.id}/_history/1$`));
      assert.equal(res.headers['last-modified'], new Date(body.meta.lastUpdated).toUTCString());
      assert.equal(body.name[0].given[0], 'Hélène');
    });

    it('accepts application/json as well as application/fhir+json', async () => {
      const res = await ctx.http().post('/fhir/Patient').set('Content-Type', 'application/json; charset=utf-8').send(patient());
      assert.equal(res.status, 201);
    });

    it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
      const minimal = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=minimal').send(patient());
      assert.equal(minimal.status, 201);
      assert.equal(minimal.text, '');
      assert.ok(minimal.headers.location);
      const outcome = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send(patient());
      assert.equal(outcome.status, 201);
      assert.equal(outcome.body.resourceType, 'OperationOutcome');
      assert.equal(outcome.body.issue[0].severity, 'information');
    });

    it('accepts every R4 resource type, not only those Passerelle maps', async () => {
      const res = await ctx.http().post('/fhir/ResearchStudy').set('Content-Type', FHIR_JSON).send({ resourceType: 'ResearchStudy', status: 'active' });
      assert.equal(res.status, 201);
    });
  });

  describe('read and vread', () => {
    it('reads the current version with its ETag, and answers 304 to a matching If-None-Match', async () => {
      const created = await ctx.create(patient());
      const res = await ctx.http().get(`/fhir/Patient/${created.id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, created);
      assert.equal(res.headers.etag, 'W/"1"');
      const notModified = await ctx.http().get(`/fhir/Patient/${created.id}`).set('If-None-Match', 'W/"1"');
      assert.equal(notModified.status, 304);
    });

    it('answers 404 with an OperationOutcome for an unknown id, type or version', async () => {
      for (const path of ['/fhir/Patient/does-not-exist', '/fhir/NotAType/1', '/fhir/Patient/x/_history/1']) {
        const res = await ctx.http().get(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.resourceType, 'OperationOutcome');
        assert.equal(res.body.issue[0].code, 'not-found');
      }
      const created = await ctx.create(patient());
      const res = await ctx.http().get(`/fhir/Patient/${created.id}/_history/7`);
      assert.equal(res.status, 404);
    });

    it('answers 400 for an id that is not a FHIR id', async () => {
      const res = await ctx.http().get(`/fhir/Patient/${'x'.repeat(65)}`);
      assert.equal(res.status, 400);
    });

    it('reads any earlier version with vread', async () => {
      const created = await ctx.create(patient());
      await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, gender: 'other' }).expect(200);
      const v1 = await ctx.http().get(`/fhir/Patient/${created.id}/_history/1`);
      assert.equal(v1.status, 200);
      assert.equal(v1.body.gender, 'female');
      assert.equal(v1.body.meta.versionId, '1');
      const v2 = await ctx.http().get(`/fhir/Patient/${created.id}/_history/2`);
      assert.equal(v2.body.gender, 'other');
    });
  });

  describe('update', () => {
    it('writes a new version and keeps the old one', async () => {
      const created = await ctx.create(patient());
      const res = await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, gender: 'male' });
      assert.equal(res.status, 200);
      assert.equal(res.body.meta.versionId, '2');
      assert.equal(res.headers.etag, 'W/"2"');
      assert.equal(res.body.gender, 'male');
    });

    it('creates the resource with the client id when it does not exist (update as create)', async () => {
      const res = await ctx.http().put('/fhir/Patient/chosen-by-client').set('Content-Type', FHIR_JSON).send(patient({ id: 'chosen-by-client' }));
      assert.equal(res.status, 201);
      assert.equal(res.body.id, 'chosen-by-client');
      assert.equal(res.body.meta.versionId, '1');
    });

    it('writes no new version when nothing changed', async () => {
      const created = await ctx.create(patient());
      const res = await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send(created);
      assert.equal(res.status, 200);
      assert.equal(res.body.meta.versionId, '1');
    });

    it('rejects a body whose id differs from the URL, or that has none', async () => {
      const created = await ctx.create(patient());
      const other = await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, id: 'other' });
      assert.equal(other.status, 400);
      const none = await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send(patient());
      assert.equal(none.status, 400);
      const wrongType = await ctx.http().put(`/fhir/Observation/${created.id}`).set('Content-Type', FHIR_JSON).send(created);
      assert.equal(wrongType.status, 400);
    });

    it('checks If-Match: the current version passes, a stale one answers 412', async () => {
      const created = await ctx.create(patient());
      const ok = await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"1"').send({ ...created, gender: 'male' });
      assert.equal(ok.status, 200);
      const stale = await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"1"').send({ ...created, gender: 'other' });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.resourceType, 'OperationOutcome');
      const current = await ctx.http().get(`/fhir/Patient/${created.id}`);
      assert.equal(current.body.gender, 'male', 'the stale update changed nothing');
    });

    it('gives every one of many concurrent updates its own version', async () => {
      const created = await ctx.create(patient());
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, birthDate: `1961-04-${String(i + 10)}` }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status), Array(12).fill(200));
      const versions = results.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: 12 }, (_, i) => i + 2));
    });
  });

  describe('patch (JSON Patch)', () => {
    it('applies the operations as a new version', async () => {
      const created = await ctx.create(patient());
      const res = await ctx.http().patch(`/fhir/Patient/${created.id}`).set('Content-Type', 'application/json-patch+json')
        .send([{ op: 'replace', path: '/gender', value: 'male' }, { op: 'add', path: '/active', value: true }]);
      assert.equal(res.status, 200);
      assert.equal(res.body.gender, 'male');
      assert.equal(res.body.active, true);
      assert.equal(res.body.meta.versionId, '2');
    });

    it('answers 412 when a test operation fails, 400 when the result is invalid, and changes nothing', async () => {
      const created = await ctx.create(patient());
      const failedTest = await ctx.http().patch(`/fhir/Patient/${created.id}`).set('Content-Type', 'application/json-patch+json')
        .send([{ op: 'test', path: '/gender', value: 'male' }, { op: 'replace', path: '/gender', value: 'other' }]);
      assert.equal(failedTest.status, 412);
      const invalid = await ctx.http().patch(`/fhir/Patient/${created.id}`).set('Content-Type', 'application/json-patch+json')
        .send([{ op: 'replace', path: '/gender', value: 'robot' }]);
      assert.equal(invalid.status, 400);
      const changeId = await ctx.http().patch(`/fhir/Patient/${created.id}`).set('Content-Type', 'application/json-patch+json')
        .send([{ op: 'replace', path: '/id', value: 'stolen' }]);
      assert.equal(changeId.status, 400);
      const current = await ctx.http().get(`/fhir/Patient/${created.id}`);
      assert.equal(current.body.meta.versionId, '1');
    });

    it('rejects a body that is not a JSON Patch', async () => {
      const created = await ctx.create(patient());
      const res = await ctx.http().patch(`/fhir/Patient/${created.id}`).set('Content-Type', 'application/json-patch+json').send({ op: 'replace' });
      assert.equal(res.status, 400);
      const wrongType = await ctx.http().patch(`/fhir/Patient/${created.id}`).set('Content-Type', 'text/plain').send('[]');
      assert.equal(wrongType.status, 415);
    });
  });

  describe('delete', () => {
    it('deletes, then read answers 410, and history keeps every version', async () => {
      const created = await ctx.create(patient());
      const res = await ctx.http().delete(`/fhir/Patient/${created.id}`);
      assert.equal(res.status, 204);
      const read = await ctx.http().get(`/fhir/Patient/${created.id}`);
      assert.equal(read.status, 410);
      assert.equal(read.body.issue[0].code, 'deleted');
      const v1 = await ctx.http().get(`/fhir/Patient/${created.id}/_history/1`);
      assert.equal(v1.status, 200);
      const v2 = await ctx.http().get(`/fhir/Patient/${created.id}/_history/2`);
      assert.equal(v2.status, 410);
      const history = await ctx.http().get(`/fhir/Patient/${created.id}/_history`);
      assert.deepEqual(history.body.entry.map((e: { request: { method: string } }) => e.request.method), ['DELETE', 'POST']);
    });

    it('is idempotent: deleting again or deleting the unknown writes nothing', async () => {
      const created = await ctx.create(patient());
      await ctx.http().delete(`/fhir/Patient/${created.id}`).expect(204);
      await ctx.http().delete(`/fhir/Patient/${created.id}`).expect(204);
      const history = await ctx.http().get(`/fhir/Patient/${created.id}/_history`);
      assert.equal(history.body.entry.length, 2);
      const unknown = await ctx.http().delete('/fhir/Patient/never-existed').set('Prefer', 'return=OperationOutcome');
      assert.equal(unknown.status, 200);
      assert.equal(unknown.body.resourceType, 'OperationOutcome');
    });

    it('re-creates a deleted resource with update, continuing its versions', async () => {
      const created = await ctx.create(patient());
      await ctx.http().delete(`/fhir/Patient/${created.id}`).expect(204);
      const res = await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, meta: undefined });
      assert.equal(res.status, 201);
      assert.equal(res.body.meta.versionId, '3');
    });

    it('checks If-Match on delete', async () => {
      const created = await ctx.create(patient());
      const res = await ctx.http().delete(`/fhir/Patient/${created.id}`).set('If-Match', 'W/"9"');
      assert.equal(res.status, 412);
      await ctx.http().get(`/fhir/Patient/${created.id}`).expect(200);
    });
  });
}
