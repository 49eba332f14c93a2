/** Validation, protocol errors, the CapabilityStatement, $validate, health and metrics. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FHIR_JSON, MAX_BODY_BYTES, patient, TEST_PROFILE, type RestContext } from './context.ts';

export function errorCases(ctx: RestContext): void {
  describe('validation on write', () => {
    it('answers 400 naming each problem and its path', async () => {
      const res = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON)
        .send({ resourceType: 'Patient', gender: 'robot', birthDate: '12/04/1961', shoeSize: 42 });
      assert.equal(res.status, 400);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      const paths = res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
      for (const path of ['Patient.gender', 'Patient.birthDate', 'Patient.shoeSize']) assert.ok(paths.includes(path), `${path} in ${paths}`);
    });

    it('checks missing required elements of the base definition', async () => {
      const res = await ctx.http().post('/fhir/Observation').set('Content-Type', FHIR_JSON).send({ resourceType: 'Observation' });
      assert.equal(res.status, 400);
      const paths = res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
      assert.ok(paths.includes('Observation.status') && paths.includes('Observation.code'));
    });

    it('enforces a known profile declared in meta.profile, and ignores unknown ones', async () => {
      const meta = { profile: [TEST_PROFILE.url] };
      const missing = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', meta, birthDate: '1990-01-01' });
      assert.equal(missing.status, 400);
      assert.match(JSON.stringify(missing.body), /Patient\.identifier/);
      const valid = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', meta, birthDate: '1990-01-01', identifier: [{ value: '1' }] });
      assert.equal(valid.status, 201);
      const unknown = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', meta: { profile: ['https://elsewhere.example/SD/x'] } });
      assert.equal(unknown.status, 201);
    });

    it('rejects a body whose type differs from the URL, or that is not a resource', async () => {
      assert.equal((await ctx.http().post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(patient())).status, 400);
      assert.equal((await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send([1, 2])).status, 400);
      assert.equal((await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Alien' })).status, 400);
    });
  });

  describe('protocol errors are OperationOutcomes with the right status', () => {
    const expectOutcome = (res: { status: number; body: { resourceType?: string }; headers: Record<string, string> }, status: number): void => {
      assert.equal(res.status, status);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(res.headers['content-type'] ?? '', /application\/fhir\+json/);
    };

    it('malformed JSON: 400', async () => {
      expectOutcome(await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('{"resourceType": "Patient",'), 400);
    });
    it('wrong content type: 415', async () => {
      expectOutcome(await ctx.http().post('/fhir/Patient').set('Content-Type', 'application/xml').send('<Patient/>'), 415);
    });
    it('body over the configured limit: 413', async () => {
      const big = patient({ text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(MAX_BODY_BYTES)}</div>` } });
      expectOutcome(await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(big), 413);
    });
    it('unknown type: 404; method not allowed: 405', async () => {
      expectOutcome(await ctx.http().get('/fhir/Bogus'), 404);
      expectOutcome(await ctx.http().delete('/fhir/metadata'), 405);
      expectOutcome(await ctx.http().post('/fhir/Patient/123/_history'), 405);
    });
    it('a client that accepts only XML: 406', async () => {
      expectOutcome(await ctx.http().get('/fhir/metadata').set('Accept', 'application/fhir+xml'), 406);
      expectOutcome(await ctx.http().get('/fhir/metadata?_format=xml'), 406);
    });
    it('malformed percent-encoding in the path: 400', async () => {
      expectOutcome(await ctx.http().get('/fhir/Patient/%ZZ'), 400);
    });
    it('never shows a stack trace', async () => {
      const res = await ctx.http().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('{bad');
      assert.doesNotMatch(res.text, /at .*\.ts:\d+/);
    });
  });

  describe('CapabilityStatement', () => {
    it('describes what the server supports', async () => {
      const res = await ctx.http().get('/fhir/metadata');
      assert.equal(res.status, 200);
      const cs = res.body;
      assert.equal(cs.resourceType, 'CapabilityStatement');
      assert.equal(cs.fhirVersion, '4.0.1');
      const rest = cs.rest[0];
      assert.deepEqual(rest.interaction.map((i: { code: string }) => i.code).sort(), ['batch', 'history-system', 'transaction']);
      assert.ok(rest.resource.length >= 140, 'every R4 resource type');
      const p = rest.resource.find((r: { type: string }) => r.type === 'Patient');
      assert.ok(p.interaction.some((i: { code: string }) => i.code === 'patch'));
      assert.deepEqual(p.supportedProfile, [TEST_PROFILE.url]);
      assert.ok(p.searchParam.some((s: { name: string }) => s.name === 'identifier'));
      const location = rest.resource.find((r: { type: string }) => r.type === 'Location');
      assert.ok(location.searchParam.some((s: { name: string; type: string }) => s.name === 'near' && s.type === 'special'));
      const observation = rest.resource.find((r: { type: string }) => r.type === 'Observation');
      assert.ok(observation.searchParam.some((s: { name: string; type: string }) => s.name === 'code-value-quantity' && s.type === 'composite'));
      assert.ok(!p.searchParam.some((s: { name: string }) => s.name === '_project' || s.name === '_compartment'), 'no Medplum-only parameters');
      assert.ok(p.operation.some((o: { name: string }) => o.name === 'validate'));
    });
  });

  describe('$validate', () => {
    it('reports problems without storing anything', async () => {
      const bad = await ctx.http().post('/fhir/Patient/$validate').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', gender: 'x' });
      assert.equal(bad.status, 200);
      assert.equal(bad.body.issue[0].severity, 'error');
      const good = await ctx.http().post('/fhir/Patient/$validate').set('Content-Type', FHIR_JSON)
        .send({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: patient() }] });
      assert.equal(good.body.issue[0].severity, 'information');
      await ctx.http().post('/fhir/Patient/$unknown-op').set('Content-Type', FHIR_JSON).send(patient()).expect(404);
    });
  });

  describe('health, readiness, metrics', () => {
    it('answers /healthz, /readyz and /metrics', async () => {
      assert.equal((await ctx.http().get('/healthz')).status, 200);
      const ready = await ctx.http().get('/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.database, ctx.db.kind);
      const metrics = await ctx.http().get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.text, /passerelle_http_requests_total\{method="GET",route="GET \/fhir\/metadata",status="200"\} \d+/);
      assert.match(metrics.text, /passerelle_http_request_duration_seconds_bucket/);
      assert.doesNotMatch(metrics.text, /Patient\/[0-9a-f-]{36}/, 'ids never become metric labels');
    });
  });
}
