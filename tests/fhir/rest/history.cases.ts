/** History at instance, type and system level, with _since and paging. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FHIR_JSON, patient, type RestContext } from './context.ts';

interface HistoryBundle {
  type: string;
  link: { relation: string; url: string }[];
  entry: { fullUrl: string; resource?: { meta: { versionId: string } }; request: { method: string; url: string }; response: { status: string; etag: string } }[];
}

export function historyCases(ctx: RestContext): void {
  describe('history', () => {
    it('lists an instance\'s versions newest first with request and response details', async () => {
      const created = await ctx.create(patient());
      await ctx.http().put(`/fhir/Patient/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, gender: 'male' }).expect(200);
      const res = await ctx.http().get(`/fhir/Patient/${created.id}/_history`);
      assert.equal(res.status, 200);
      const bundle = res.body as HistoryBundle;
      assert.equal(bundle.type, 'history');
      assert.deepEqual(bundle.entry.map((e) => e.resource?.meta.versionId), ['2', '1']);
      assert.deepEqual(bundle.entry.map((e) => e.request.method), ['PUT', 'POST']);
      assert.deepEqual(bundle.entry.map((e) => e.response.etag), ['W/"2"', 'W/"1"']);
      assert.equal(bundle.entry[1]?.response.status, '201 Created');
    });

    it('answers 404 for the history of an unknown resource', async () => {
      await ctx.http().get('/fhir/Patient/nobody/_history').expect(404);
    });

    it('pages with _count and next links that stay right while new versions are written', async () => {
      const created = await ctx.create({ resourceType: 'Device', status: 'active' });
      for (let i = 0; i < 4; i++) {
        await ctx.http().put(`/fhir/Device/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, serialNumber: `SN-${i}` }).expect(200);
      }
      const first = (await ctx.http().get(`/fhir/Device/${created.id}/_history?_count=2`)).body as HistoryBundle;
      assert.deepEqual(first.entry.map((e) => e.resource?.meta.versionId), ['5', '4']);
      const next = first.link.find((l) => l.relation === 'next');
      assert.ok(next);
      // A write between pages must not shift the next page.
      await ctx.http().put(`/fhir/Device/${created.id}`).set('Content-Type', FHIR_JSON).send({ ...created, serialNumber: 'SN-late' }).expect(200);
      const second = (await ctx.http().get(new URL(next.url).pathname + new URL(next.url).search)).body as HistoryBundle;
      assert.deepEqual(second.entry.map((e) => e.resource?.meta.versionId), ['3', '2']);
      const third = (await ctx.http().get(new URL(second.link.find((l) => l.relation === 'next')!.url).pathname + new URL(second.link.find((l) => l.relation === 'next')!.url).search)).body as HistoryBundle;
      assert.deepEqual(third.entry.map((e) => e.resource?.meta.versionId), ['1']);
      assert.equal(third.link.find((l) => l.relation === 'next'), undefined);
    });

    it('filters with _since and lists type and system history', async () => {
      const before = await ctx.create({ resourceType: 'Substance', code: { text: 'old' } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const since = new Date().toISOString();
      const after = await ctx.create({ resourceType: 'Substance', code: { text: 'new' } });
      const type = (await ctx.http().get(`/fhir/Substance/_history?_since=${since}`)).body as HistoryBundle;
      const ids = type.entry.map((e) => e.fullUrl.split('/').pop());
      assert.ok(ids.includes(after.id));
      assert.ok(!ids.includes(before.id));
      const system = (await ctx.http().get('/fhir/_history?_count=1')).body as HistoryBundle;
      assert.equal(system.entry.length, 1);
      assert.equal(system.type, 'history');
      await ctx.http().get('/fhir/_history?_since=yesterday').expect(400);
    });
  });
}
