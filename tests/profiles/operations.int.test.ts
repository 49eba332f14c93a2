/**
 * $find-available-beds and $bed-capacity over HTTP, on hand-built hospitals with known positions
 * and bed states, on both storage drivers.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import supertest from 'supertest';
import type { Location, Organization } from '@medplum/fhirtypes';
import type { Database } from '../../fhir/index.ts';
import {
  AVAILABLE_BEDS_EXTENSION, bedAvailabilityRule, bedStatusCoding, hospitalOperations, loadProfiles, physicalTypeCoding, PROFILE,
  specialtyCoding, TOTAL_BEDS_EXTENSION, type BedStatusCode, type Specialty,
} from '../../profiles/index.ts';
import { testDrivers } from '../support/database.ts';
import { FHIR_JSON, testApp } from '../support/app.ts';

const FINESS = 'urn:oid:1.2.250.1.71.4.2.2';

/** A hospital: its Organization (a FINESS-shaped number), site at a position, and wards with beds in the given states. */
function hospital(key: string, finess: string, latitude: number, longitude: number, wards: Partial<Record<Specialty, BedStatusCode[]>>): (Organization | Location)[] {
  const org: Organization = { resourceType: 'Organization', id: `org-${key}`, meta: { profile: [PROFILE.hospital] }, active: true, name: `Hôpital ${key}`, identifier: [{ system: FINESS, value: finess }] };
  const site: Location = {
    resourceType: 'Location', id: `site-${key}`, meta: { profile: [PROFILE.site] }, status: 'active', mode: 'instance', name: `Site ${key}`,
    physicalType: { coding: [physicalTypeCoding('si')] }, position: { latitude, longitude }, managingOrganization: { reference: `Organization/org-${key}` },
  };
  const resources: (Organization | Location)[] = [org, site];
  for (const [specialty, beds] of Object.entries(wards) as [Specialty, BedStatusCode[]][]) {
    const wardId = `ward-${key}-${specialty}`;
    beds.forEach((status, i) => resources.push({
      resourceType: 'Location', id: `bed-${key}-${specialty}-${i}`, meta: { profile: [PROFILE.bed] }, status: 'active', mode: 'instance', name: `Lit ${i + 1}`,
      physicalType: { coding: [physicalTypeCoding('bd')] }, partOf: { reference: `Location/${wardId}` }, operationalStatus: bedStatusCoding(status),
      managingOrganization: { reference: `Organization/org-${key}` },
    }));
    resources.push({
      resourceType: 'Location', id: wardId, meta: { profile: [PROFILE.ward] }, status: 'active', mode: 'instance', name: `${specialty} ${key}`,
      physicalType: { coding: [physicalTypeCoding('wa')] }, type: [{ coding: [specialtyCoding(specialty)] }], partOf: { reference: `Location/site-${key}` },
      managingOrganization: { reference: `Organization/org-${key}` },
    });
  }
  return resources;
}

const CENTRE = { latitude: 44.8378, longitude: -0.5792 }; // Bordeaux

for (const driver of testDrivers()) {
  describe(`hospital operations on ${driver.name}`, () => {
    let db: Database;
    let server: Server;
    let http: supertest.Agent;
    before(async () => {
      db = await driver.open();
      server = testApp(db, { profiles: loadProfiles(), hooks: [bedAvailabilityRule], operations: hospitalOperations }).listen(0, '127.0.0.1');
      await once(server, 'listening');
      http = supertest.agent(server);
      const entries = [
        ...hospital('bdx', '330000011', 44.8305, -0.6063, { cardiology: ['U', 'O'], neurology: ['O', 'O'] }),
        ...hospital('arc', '330000029', 44.6587, -1.1682, { cardiology: ['O'], neurology: ['U', 'K'] }),
        ...hospital('tls', '310000037', 43.6047, 1.4442, { cardiology: ['U', 'U', 'U'] }),
      ].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
      const res = await http.post('/fhir').set('Content-Type', FHIR_JSON).send({ resourceType: 'Bundle', type: 'transaction', entry: entries });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    });

    const find = async (query: string): Promise<{ hospital: string; km: number; available: number; total: number }[]> => {
      const res = await http.get(`/fhir/Location/$find-available-beds?latitude=${CENTRE.latitude}&longitude=${CENTRE.longitude}&${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.type, 'searchset');
      return res.body.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => {
        const ext = (url: string) => e.search.extension.find((x: any) => x.url === url);
        return { hospital: e.resource.id, km: ext('http://hl7.org/fhir/StructureDefinition/location-distance').valueDistance.value, available: ext(AVAILABLE_BEDS_EXTENSION).valueInteger, total: ext(TOTAL_BEDS_EXTENSION).valueInteger };
      });
    };

    it('finds the hospitals with a free bed of the specialty within the radius, nearest first', async () => {
      assert.deepEqual((await find('radius=100&specialty=cardiology')).map((h) => [h.hospital, h.available, h.total]), [['org-bdx', 1, 2]]);
      const far = await find('radius=300&specialty=cardiology');
      assert.deepEqual(far.map((h) => h.hospital), ['org-bdx', 'org-tls']);
      assert.ok((far[0]?.km ?? 0) < 3 && (far[1]?.km ?? 0) > 200, 'distances in km');
      assert.deepEqual((await find('radius=100&specialty=neurology')).map((h) => [h.hospital, h.available]), [['org-arc', 1]]);
      assert.deepEqual((await find('radius=100')).map((h) => [h.hospital, h.available]), [['org-bdx', 1], ['org-arc', 1]], 'any specialty');
      assert.deepEqual((await find('radius=300&specialty=cardiology&count=1')).map((h) => h.hospital), ['org-bdx']);
      assert.deepEqual(await find('radius=1&specialty=cardiology'), []);
    });

    it('follows bed changes at once', async () => {
      const bed = (await http.get('/fhir/Location/bed-arc-cardiology-0')).body;
      await http.put('/fhir/Location/bed-arc-cardiology-0').set('Content-Type', FHIR_JSON).send({ ...bed, operationalStatus: bedStatusCoding('U') }).expect(200);
      assert.deepEqual((await find('radius=100&specialty=cardiology')).map((h) => h.hospital), ['org-bdx', 'org-arc']);
      await http.put('/fhir/Location/bed-arc-cardiology-0').set('Content-Type', FHIR_JSON).send({ ...bed, operationalStatus: bedStatusCoding('O') }).expect(200);
      assert.deepEqual((await find('radius=100&specialty=cardiology')).map((h) => h.hospital), ['org-bdx']);
    });

    it('includes the site and the wards\' Observations, and takes a POSTed Parameters too', async () => {
      const res = await http.post('/fhir/Location/$find-available-beds').set('Content-Type', FHIR_JSON).send({
        resourceType: 'Parameters',
        parameter: [{ name: 'latitude', valueDecimal: CENTRE.latitude }, { name: 'longitude', valueDecimal: CENTRE.longitude }, { name: 'radius', valueDecimal: 10 }, { name: 'specialty', valueString: 'cardiology' }],
      });
      assert.equal(res.status, 200);
      const included = res.body.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
      assert.deepEqual(included, ['Location/site-bdx', 'Observation/bed-availability-ward-bdx-cardiology']);
    });

    it('refuses bad input with an OperationOutcome', async () => {
      for (const query of ['longitude=1', 'latitude=95&longitude=0', 'latitude=1&longitude=1&radius=-3', 'latitude=1&longitude=1&specialty=http://other|x', 'latitude=1&longitude=1&specialty=cardiologie']) {
        const res = await http.get(`/fhir/Location/$find-available-beds?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.resourceType, 'OperationOutcome');
      }
      assert.equal((await http.get('/fhir/Patient/$find-available-beds?latitude=1&longitude=1')).status, 404);
    });

    it('reports a hospital\'s beds per specialty as a summary MeasureReport', async () => {
      const res = await http.get('/fhir/Organization/org-bdx/$bed-capacity');
      assert.equal(res.status, 200);
      const report = res.body;
      assert.equal(report.resourceType, 'MeasureReport');
      assert.equal(report.type, 'summary');
      const groups = Object.fromEntries(report.group.map((g: any) => [g.code.coding[0].code, Object.fromEntries(g.population.map((p: any) => [p.code.coding[0].code, p.count]))]));
      assert.deepEqual([groups.total?.total, groups.total?.occupied, groups.total?.available], [4, 3, 1]);
      assert.deepEqual([groups.cardiology?.total, groups.cardiology?.occupied, groups.cardiology?.available], [2, 1, 1]);
      assert.deepEqual([groups.neurology?.total, groups.neurology?.available], [2, 0]);
      assert.equal((await http.get('/fhir/Organization/nowhere/$bed-capacity')).status, 404);
      const validated = await http.post('/fhir/MeasureReport/$validate').set('Content-Type', FHIR_JSON).send(report);
      assert.equal(validated.body.issue[0].severity, 'information', JSON.stringify(validated.body));
    });

    it('is published in the CapabilityStatement', async () => {
      const cs = (await http.get('/fhir/metadata')).body;
      const location = cs.rest[0].resource.find((r: any) => r.type === 'Location');
      const organization = cs.rest[0].resource.find((r: any) => r.type === 'Organization');
      assert.ok(location.operation.some((o: any) => o.name === 'find-available-beds'));
      assert.ok(organization.operation.some((o: any) => o.name === 'bed-capacity'));
      assert.ok(location.supportedProfile.includes(PROFILE.bed));
    });
  });
}
