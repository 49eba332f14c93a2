/** Conditional create, update, patch and delete, which find their target by search. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FHIR_JSON, patient, type RestContext } from './context.ts';

const SYSTEM = 'urn:oid:1.2.250.1.213.1.4.8'; // French INS-NIR
const withIdentifier = (value: string): ReturnType<typeof patient> => patient({ identifier: [{ system: SYSTEM, value }] });

export function conditionalCases(ctx: RestContext): void {
  describe('conditional create (If-None-Exist)', () => {
    it('creates when nothing matches, returns the match otherwise, 412 when several match', async () => {
      const value = randomUUID();
      const first = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', `identifier=${SYSTEM}|${value}`).send(withIdentifier(value));
      assert.equal(first.status, 201);
      const again = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', `identifier=${SYSTEM}|${value}`).send(withIdentifier(value));
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      await ctx.create(withIdentifier(value));
      const several = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', `identifier=${SYSTEM}|${value}`).send(withIdentifier(value));
      assert.equal(several.status, 412);
    });

    it('creates only one resource when the same conditional create arrives many times at once', async () => {
      const value = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', `identifier=${SYSTEM}|${value}`).send(withIdentifier(value)),
        ),
      );
      assert.equal(results.filter((r) => r.status === 201).length, 1);
      assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    });

    it('rejects criteria naming an unknown search parameter', async () => {
      const res = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'shoe-size=42').send(patient());
      assert.equal(res.status, 400);
      assert.match(res.body.issue[0].details.text, /shoe-size/);
    });
  });

  describe('conditional update', () => {
    it('creates when nothing matches, updates the single match, 412 when several match', async () => {
      const value = randomUUID();
      const url = `/fhir/Patient?identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}`;
      const created = await ctx.http().put(url).set('Content-Type', FHIR_JSON).send(withIdentifier(value));
      assert.equal(created.status, 201);
      const updated = await ctx.http().put(url).set('Content-Type', FHIR_JSON).send({ ...withIdentifier(value), gender: 'male' });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.id, created.body.id);
      assert.equal(updated.body.meta.versionId, '2');
      await ctx.create(withIdentifier(value));
      const several = await ctx.http().put(url).set('Content-Type', FHIR_JSON).send(withIdentifier(value));
      assert.equal(several.status, 412);
    });

    it('creates only one resource when the same conditional update arrives many times at once', async () => {
      const value = randomUUID();
      const url = `/fhir/Patient?identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}`;
      const results = await Promise.all(Array.from({ length: 8 }, () => ctx.http().put(url).set('Content-Type', FHIR_JSON).send(withIdentifier(value))));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
      assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
      const all = await ctx.http().get(`/fhir/Patient?identifier=${SYSTEM}|${value}`);
      assert.equal(all.body.entry.length, 1);
    });

    it('rejects a body id that differs from the match', async () => {
      const value = randomUUID();
      await ctx.create(withIdentifier(value));
      const res = await ctx.http().put(`/fhir/Patient?identifier=${SYSTEM}|${value}`).set('Content-Type', FHIR_JSON).send({ ...withIdentifier(value), id: 'someone-else' });
      assert.equal(res.status, 400);
    });
  });

  describe('conditional patch and delete', () => {
    it('patches the single match', async () => {
      const value = randomUUID();
      const created = await ctx.create(withIdentifier(value));
      const res = await ctx.http().patch(`/fhir/Patient?identifier=${SYSTEM}|${value}`).set('Content-Type', 'application/json-patch+json').send([{ op: 'replace', path: '/gender', value: 'other' }]);
      assert.equal(res.status, 200);
      assert.equal(res.body.id, created.id);
      assert.equal(res.body.gender, 'other');
    });

    it('deletes the single match, does nothing when none matches, and refuses several', async () => {
      const value = randomUUID();
      const created = await ctx.create(withIdentifier(value));
      await ctx.http().delete(`/fhir/Patient?identifier=${SYSTEM}|${value}`).expect(204);
      await ctx.http().get(`/fhir/Patient/${created.id}`).expect(410);
      await ctx.http().delete(`/fhir/Patient?identifier=${SYSTEM}|${value}`).expect(204);
      const other = randomUUID();
      await ctx.create(withIdentifier(other));
      await ctx.create(withIdentifier(other));
      await ctx.http().delete(`/fhir/Patient?identifier=${SYSTEM}|${other}`).expect(412);
    });

    it('refuses a conditional delete with no criteria', async () => {
      await ctx.http().delete('/fhir/Patient').expect(400);
    });
  });

  describe('search (as conditionals use it)', () => {
    it('finds by token, by accent-insensitive string prefix, by date and by reference', async () => {
      const value = randomUUID();
      const org = await ctx.create({ resourceType: 'Organization', name: 'CHU de Bordeaux' });
      const created = await ctx.create({ ...withIdentifier(value), managingOrganization: { reference: `Organization/${org.id}` } });
      const ids = async (query: string): Promise<string[]> => {
        const res = await ctx.http().get(`/fhir/Patient?${query}`);
        assert.equal(res.status, 200, query);
        assert.equal(res.body.type, 'searchset');
        return res.body.entry.map((e: { resource: { id: string } }) => e.resource.id);
      };
      assert.deepEqual(await ids(`identifier=${SYSTEM}|${value}`), [created.id]);
      assert.deepEqual(await ids(`identifier=${value}`), [created.id]);
      assert.ok((await ids(`identifier=${value}&family=lefevre`)).includes(created.id), 'accents and case are ignored');
      assert.deepEqual(await ids(`identifier=${value}&family=Dupont`), []);
      assert.deepEqual(await ids(`identifier=${value}&birthdate=1961-04`), [created.id]);
      assert.deepEqual(await ids(`identifier=${value}&birthdate=gt1961-04-12`), []);
      assert.deepEqual(await ids(`identifier=${value}&organization=Organization/${org.id}`), [created.id]);
      assert.deepEqual(await ids(`_id=${created.id}`), [created.id]);
    });
  });
}
