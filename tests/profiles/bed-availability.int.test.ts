/**
 * The bed-availability rule keeps each ward's Observation true through every kind of bed change,
 * commits and rolls back with the write, writes one version per effective change, and stays exact
 * under concurrent updates of the same ward (real concurrency on PostgreSQL). Its counts are
 * Quantities, so standard search finds the wards (and sites) of a specialty with a free bed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Bundle, Location, Observation, ObservationComponent, Organization, Resource } from '@medplum/fhirtypes';
import { parseSearch, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import {
  BEDS_UNIT, bedAvailabilityId, bedAvailabilityRule, bedStatusCoding, loadProfiles, PASSERELLE_SYSTEM, physicalTypeCoding, PROFILE,
  specialtyCoding, type BedStatusCode, type Specialty,
} from '../../profiles/index.ts';
import { testDrivers } from '../support/database.ts';
import { FHIR_JSON, testApp } from '../support/app.ts';

const profiles = loadProfiles();

const wardOf = (id: string, specialty: Specialty = 'cardiology', site = 'site-1'): Location => ({
  resourceType: 'Location', id, meta: { profile: [PROFILE.ward] }, status: 'active', name: `Ward ${id}`, mode: 'instance',
  physicalType: { coding: [physicalTypeCoding('wa')] }, type: [{ coding: [specialtyCoding(specialty)] }], partOf: { reference: `Location/${site}` },
});

const bedOf = (id: string, ward: string, status: BedStatusCode): Location => ({
  resourceType: 'Location', id, meta: { profile: [PROFILE.bed] }, status: 'active', name: `Bed ${id}`, mode: 'instance',
  physicalType: { coding: [physicalTypeCoding('bd')] }, operationalStatus: bedStatusCoding(status), partOf: { reference: `Location/${ward}` },
});

/** The component of an Observation carrying the ward's specialty (coded in our specialty system). */
const specialtyComponent = (observation: Observation): ObservationComponent | undefined =>
  observation.component?.find((c) => c.code.coding?.some((coding) => coding.system === PASSERELLE_SYSTEM.specialty));

/**
 * The counts of a ward's Observation by component code, or undefined when it has none. Every
 * component must be a number of beds (`valueQuantity` in `{beds}`), and the specialty component
 * must hold the available count.
 */
async function countsOf(repo: Repository, ward: string): Promise<Record<string, number> | undefined> {
  const observation = await repo.read('Observation', bedAvailabilityId(ward)).catch(() => undefined) as Observation | undefined;
  if (!observation) return undefined;
  const counts: Record<string, number> = {};
  for (const c of observation.component ?? []) {
    assert.equal(c.valueInteger, undefined);
    assert.deepEqual({ ...c.valueQuantity, value: undefined }, { ...BEDS_UNIT, value: undefined }, 'a number of beds');
    const code = c.code.coding?.find((coding) => coding.system === PASSERELLE_SYSTEM.bedAvailability)?.code;
    if (code) counts[code] = c.valueQuantity?.value as number;
  }
  const specialty = specialtyComponent(observation);
  if (specialty) assert.equal(specialty.valueQuantity?.value, counts.available, 'the specialty component holds the available count');
  return counts;
}

const expected = (partial: Partial<Record<string, number>>): Record<string, number> => {
  const counts = { occupied: 0, available: 0, contaminated: 0, isolated: 0, housekeeping: 0, closed: 0, unknown: 0, ...partial };
  return { total: Object.values(counts).reduce((a, b) => a + (b ?? 0), 0), ...counts } as Record<string, number>;
};

async function versions(repo: Repository, ward: string): Promise<number> {
  return (await repo.history({ resourceType: 'Observation', id: bedAvailabilityId(ward), count: 1000 })).length;
}

for (const driver of testDrivers()) {
  describe(`bed availability on ${driver.name}`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry(profiles), { hooks: [bedAvailabilityRule] });
      await repo.update({
        resourceType: 'Location', id: 'site-1', status: 'active', name: 'Site', mode: 'instance', physicalType: { coding: [physicalTypeCoding('si')] },
        position: { latitude: 44.8, longitude: -0.6 }, managingOrganization: { reference: 'Organization/hospital-1' },
      } as Location);
    });
    after(() => db.close());

    it('counts the beds of a ward by status, in an Observation that validates against the profile', async () => {
      await repo.update(wardOf('w-count', 'neurology'));
      assert.deepEqual(await countsOf(repo, 'w-count'), expected({}), 'a new ward starts at zero');
      for (const [i, status] of (['O', 'O', 'U', 'K', 'I', 'H', 'C'] as BedStatusCode[]).entries()) {
        await repo.create(bedOf(`unused-${i}`, 'w-count', status));
      }
      assert.deepEqual(await countsOf(repo, 'w-count'), expected({ occupied: 2, available: 1, contaminated: 1, isolated: 1, housekeeping: 1, closed: 1 }));

      const observation = await repo.read('Observation', bedAvailabilityId('w-count')) as Observation;
      assert.deepEqual(observation.meta?.profile, [PROFILE.bedAvailability]);
      repo.validate(observation); // throws if it does not conform
      assert.equal(observation.subject?.reference, 'Location/w-count');
      assert.deepEqual(observation.performer, [{ reference: 'Organization/hospital-1' }], 'the hospital comes from the ward\'s site');
      assert.equal(observation.component?.length, 9, 'eight counts and the specialty');
      const available = observation.component?.find((c) => c.code.coding?.some((x) => x.system === PASSERELLE_SYSTEM.bedAvailability && x.code === 'available'));
      assert.deepEqual(available, {
        code: { coding: [{ system: PASSERELLE_SYSTEM.bedAvailability, code: 'available', display: 'Available (unoccupied) beds' }, bedStatusCoding('U')] },
        valueQuantity: { value: 1, unit: 'beds', system: 'http://unitsofmeasure.org', code: '{beds}' },
      });
      assert.deepEqual(specialtyComponent(observation), {
        code: { coding: [specialtyCoding('neurology')] },
        valueQuantity: { value: 1, unit: 'beds', system: 'http://unitsofmeasure.org', code: '{beds}' },
      }, 'the specialty component counts the available beds');
      assert.ok(observation.effectiveDateTime && !Number.isNaN(Date.parse(observation.effectiveDateTime)));
    });

    it('follows a status change (U to O) with exactly one new version, and ignores changes that do not move a count', async () => {
      await repo.update(wardOf('w-flip'));
      await repo.update(bedOf('b-flip-1', 'w-flip', 'U'));
      await repo.update(bedOf('b-flip-2', 'w-flip', 'U'));
      assert.deepEqual(await countsOf(repo, 'w-flip'), expected({ available: 2 }));
      const start = await versions(repo, 'w-flip');

      await repo.update(bedOf('b-flip-1', 'w-flip', 'O'));
      assert.deepEqual(await countsOf(repo, 'w-flip'), expected({ available: 1, occupied: 1 }));
      assert.equal(await versions(repo, 'w-flip'), start + 1);

      await repo.update({ ...bedOf('b-flip-1', 'w-flip', 'O'), name: 'Renamed bed' });
      await repo.patch('Location', 'b-flip-2', [{ op: 'add', path: '/description', value: 'by the window' }]);
      assert.equal(await versions(repo, 'w-flip'), start + 1, 'no version when no count changed');
    });

    it('updates both wards when a bed moves from one to the other', async () => {
      await repo.update(wardOf('w-from'));
      await repo.update(wardOf('w-to', 'pediatrics'));
      await repo.update(bedOf('b-move', 'w-from', 'O'));
      await repo.update(bedOf('b-stay', 'w-from', 'U'));
      await repo.update(bedOf('b-there', 'w-to', 'U'));
      await repo.update(bedOf('b-move', 'w-to', 'H'));
      assert.deepEqual(await countsOf(repo, 'w-from'), expected({ available: 1 }));
      assert.deepEqual(await countsOf(repo, 'w-to'), expected({ available: 1, housekeeping: 1 }));
    });

    it('stops counting a bed that is deleted, made inactive, or no longer a bed', async () => {
      await repo.update(wardOf('w-del'));
      for (const id of ['b-del-1', 'b-del-2', 'b-del-3', 'b-del-4']) await repo.update(bedOf(id, 'w-del', 'U'));
      assert.deepEqual(await countsOf(repo, 'w-del'), expected({ available: 4 }));
      await repo.delete('Location', 'b-del-1');
      assert.deepEqual(await countsOf(repo, 'w-del'), expected({ available: 3 }));
      await repo.update({ ...bedOf('b-del-2', 'w-del', 'U'), status: 'inactive' });
      assert.deepEqual(await countsOf(repo, 'w-del'), expected({ available: 2 }));
      await repo.update({ ...bedOf('b-del-3', 'w-del', 'U'), meta: undefined, physicalType: { coding: [physicalTypeCoding('ro')] } });
      assert.deepEqual(await countsOf(repo, 'w-del'), expected({ available: 1 }));
      await repo.update({ ...bedOf('b-del-4', 'w-del', 'U'), meta: undefined, operationalStatus: undefined });
      assert.deepEqual(await countsOf(repo, 'w-del'), expected({ unknown: 1 }), 'a bed without a status is counted as unknown');
    });

    it('counts beds written before their ward once the ward exists, and drops the Observation with the ward', async () => {
      await repo.update(bedOf('b-early-1', 'w-late', 'O'));
      await repo.update(bedOf('b-early-2', 'w-late', 'C'));
      assert.equal(await countsOf(repo, 'w-late'), undefined, 'no Observation for a ward that does not exist');
      await repo.update(wardOf('w-late'));
      assert.deepEqual(await countsOf(repo, 'w-late'), expected({ occupied: 1, closed: 1 }));
      await repo.update(wardOf('w-late', 'oncology'));
      const observation = await repo.read('Observation', bedAvailabilityId('w-late')) as Observation;
      assert.deepEqual(specialtyComponent(observation)?.code.coding, [specialtyCoding('oncology')], 'a new specialty is carried over');
      await repo.delete('Location', 'w-late');
      await assert.rejects(repo.read('Observation', bedAvailabilityId('w-late')), (err: { status?: number }) => err.status === 410);
    });

    it('names the hospital of the ward\'s site, and follows the site when it changes hands', async () => {
      const site = (hospital: string): Location => ({
        resourceType: 'Location', id: 'site-2', status: 'active', name: 'Site 2', mode: 'instance', physicalType: { coding: [physicalTypeCoding('si')] },
        position: { latitude: 44.9, longitude: -0.2 }, managingOrganization: { reference: `Organization/${hospital}` },
      });
      await repo.update(site('hospital-a'));
      await repo.update(wardOf('w-site-1', 'maternity', 'site-2'));
      await repo.update(wardOf('w-site-2', 'psychiatry', 'site-2'));
      const performer = async (ward: string): Promise<unknown> => ((await repo.read('Observation', bedAvailabilityId(ward))) as Observation).performer;
      assert.deepEqual(await performer('w-site-1'), [{ reference: 'Organization/hospital-a' }]);
      await repo.update(site('hospital-b'));
      assert.deepEqual(await performer('w-site-1'), [{ reference: 'Organization/hospital-b' }]);
      assert.deepEqual(await performer('w-site-2'), [{ reference: 'Organization/hospital-b' }]);
    });

    it('rolls the Observation back with a transaction that fails', async () => {
      await repo.update(wardOf('w-rollback'));
      await repo.update(bedOf('b-rollback', 'w-rollback', 'U'));
      const before = await repo.read('Observation', bedAvailabilityId('w-rollback'));
      await assert.rejects(repo.transaction(async (tx) => {
        await tx.update(bedOf('b-rollback', 'w-rollback', 'O'));
        assert.deepEqual(await countsOf(tx, 'w-rollback'), expected({ occupied: 1 }), 'inside the transaction, the count moved');
        throw new Error('the rest of the transaction failed');
      }), /the rest of the transaction failed/);
      assert.deepEqual(await countsOf(repo, 'w-rollback'), expected({ available: 1 }));
      assert.deepEqual(await repo.read('Observation', bedAvailabilityId('w-rollback')), before);
    });

    it('stays exact when 20 beds of one ward change at once, with one version per change', async () => {
      await repo.update(wardOf('w-busy', 'intensive-care'));
      const ids = Array.from({ length: 20 }, (_, i) => `b-busy-${i}`);
      await Promise.all(ids.map((id) => repo.update(bedOf(id, 'w-busy', 'U'))));
      assert.deepEqual(await countsOf(repo, 'w-busy'), expected({ available: 20 }));
      const start = await versions(repo, 'w-busy');

      await Promise.all(ids.map((id) => repo.update(bedOf(id, 'w-busy', 'O'))));
      assert.deepEqual(await countsOf(repo, 'w-busy'), expected({ occupied: 20 }));
      assert.equal(await versions(repo, 'w-busy'), start + 20);

      // Half go back, half to housekeeping, while others move between two wards in both directions.
      await repo.update(wardOf('w-busy-2', 'intensive-care'));
      await Promise.all(ids.map((id, i) => repo.update(bedOf(id, i % 4 === 0 ? 'w-busy-2' : 'w-busy', i % 2 ? 'U' : 'H'))));
      await Promise.all(ids.map((id, i) => (i % 4 === 0 ? repo.update(bedOf(id, 'w-busy', 'O')) : i % 4 === 1 ? repo.update(bedOf(id, 'w-busy-2', 'O')) : Promise.resolve())));
      const beds = (await Promise.all(ids.map((id) => repo.read('Location', id)))) as Location[];
      const truth = (ward: string): Record<string, number> => {
        const mine = beds.filter((b) => b.partOf?.reference === `Location/${ward}`);
        const n = (code: string): number => mine.filter((b) => b.operationalStatus?.code === code).length;
        return expected({ occupied: n('O'), available: n('U'), housekeeping: n('H') });
      };
      assert.deepEqual(await countsOf(repo, 'w-busy'), truth('w-busy'));
      assert.deepEqual(await countsOf(repo, 'w-busy-2'), truth('w-busy-2'));
      assert.equal((await countsOf(repo, 'w-busy'))?.total, 15);
    });

    it('gives a ward with a long id a valid Observation id of its own', async () => {
      const long = `w-${'x'.repeat(60)}`;
      const other = `w-${'x'.repeat(59)}y`;
      assert.equal(bedAvailabilityId('w-1'), 'bed-availability-w-1');
      assert.match(bedAvailabilityId(long), /^bed-availability-[0-9a-f]{47}$/);
      assert.notEqual(bedAvailabilityId(long), bedAvailabilityId(other));
      await repo.update(wardOf(long));
      await repo.update(bedOf('b-long', long, 'K'));
      assert.deepEqual(await countsOf(repo, long), expected({ contaminated: 1 }));
    });

    it('runs for a transaction Bundle through the HTTP API', async () => {
      const app = testApp(db, { profiles, hooks: [bedAvailabilityRule] });
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:6b1f3c1e-0000-4000-8000-000000000001', resource: { ...wardOf('ignored'), id: undefined }, request: { method: 'POST', url: 'Location' } },
          ...(['O', 'U', 'U'] as BedStatusCode[]).map((status) => ({
            resource: { ...bedOf('ignored', 'x', status), id: undefined, partOf: { reference: 'urn:uuid:6b1f3c1e-0000-4000-8000-000000000001' } },
            request: { method: 'POST' as const, url: 'Location' },
          })),
        ],
      };
      const res = await request(app).post('/fhir').set('Content-Type', FHIR_JSON).send(bundle);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const wardId = /Location\/([^/]+)/.exec(res.body.entry[0].response.location)?.[1] as string;
      assert.deepEqual(await countsOf(repo, wardId), expected({ occupied: 1, available: 2 }));
      const read = await request(app).get(`/fhir/Observation/${bedAvailabilityId(wardId)}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.subject.reference, `Location/${wardId}`);
    });
  });
}

/** The README's "Finding a free bed with standard search" request, as sent. */
const FREE_CARDIOLOGY_BED_NEAR_BORDEAUX = '/fhir/Location?near=44.8378|-0.5792|30|km'
  + '&_has:Location:partof:_has:Observation:subject:component-code-value-quantity=https%3A%2F%2Fpasserelle.health%2Ffhir%2FCodeSystem%2Fspecialty%7Ccardiology%24gt0'
  + '&_include=Location:organization&_revinclude=Location:partof&_revinclude:iterate=Observation:subject';

const FREE_CARDIOLOGY_BED = `${PASSERELLE_SYSTEM.specialty}|cardiology$gt0`;

const hospitalOf = (id: string, finess: string): Organization => ({
  resourceType: 'Organization', id, meta: { profile: [PROFILE.hospital] }, active: true, name: `Hospital ${id}`,
  identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: finess }],
});

const siteAt = (id: string, hospital: string, latitude: number, longitude: number): Location => ({
  resourceType: 'Location', id, meta: { profile: [PROFILE.site] }, status: 'active', name: `Site ${id}`, mode: 'instance',
  physicalType: { coding: [physicalTypeCoding('si')] }, position: { latitude, longitude }, managingOrganization: { reference: `Organization/${hospital}` },
});

const ids = (resources: Resource[]): string[] => resources.map((r) => `${r.resourceType}/${r.id}`).sort();

for (const driver of testDrivers()) {
  describe(`finding a free bed with standard search on ${driver.name}`, () => {
    let db: Database;
    let repo: Repository;
    const search = async (type: string, query: string): Promise<string[]> =>
      ids((await repo.search(parseSearch(type, new URLSearchParams(`${query}&_count=1000`)))).resources);
    const wardsWithFreeCardiologyBed = async (): Promise<string[]> =>
      (await repo.search(parseSearch('Observation', new URLSearchParams(`component-code-value-quantity=${FREE_CARDIOLOGY_BED}&_count=1000`))))
        .resources.map((o) => (o as Observation).subject?.reference as string).sort();

    // Around Bordeaux: two sites of one hospital in town, one 28 km away, one 51 km away (Arcachon).
    before(async () => {
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry(profiles), { hooks: [bedAvailabilityRule] });
      await repo.update(hospitalOf('h-bordeaux', '330781196'));
      await repo.update(hospitalOf('h-libourne', '330781287'));
      await repo.update(hospitalOf('h-arcachon', '330780081'));
      await repo.update(siteAt('s-bordeaux', 'h-bordeaux', 44.8260, -0.5560));
      await repo.update(siteAt('s-merignac', 'h-bordeaux', 44.8386, -0.6436));
      await repo.update(siteAt('s-libourne', 'h-libourne', 44.9150, -0.2440));
      await repo.update(siteAt('s-arcachon', 'h-arcachon', 44.6586, -1.1681));
      const beds: [string, string, Specialty, BedStatusCode[]][] = [
        ['w-bdx-cardio', 's-bordeaux', 'cardiology', ['O', 'O']],
        ['w-bdx-neuro', 's-bordeaux', 'neurology', ['U', 'U']],
        ['w-mer-cardio', 's-merignac', 'cardiology', ['U', 'U', 'O']],
        ['w-lib-cardio', 's-libourne', 'cardiology', ['U', 'K']],
        ['w-arc-cardio', 's-arcachon', 'cardiology', ['U', 'U', 'U']],
      ];
      for (const [ward, site, specialty, statuses] of beds) {
        await repo.update(wardOf(ward, specialty, site));
        for (const [i, status] of statuses.entries()) await repo.update(bedOf(`${ward}-bed-${i}`, ward, status));
      }
      // An operating room of the Libourne site: `_revinclude=Location:partof` brings it too.
      await repo.update({
        resourceType: 'Location', id: 'or-libourne', status: 'active', name: 'Bloc 1', mode: 'instance',
        physicalType: { coding: [physicalTypeCoding('ro')] }, partOf: { reference: 'Location/s-libourne' },
      });
    });
    after(() => db.close());

    it('finds the wards of a specialty with a free bed with component-code-value-quantity, as soon as a bed frees up', async () => {
      await repo.update(bedOf('w-bdx-cardio-bed-0', 'w-bdx-cardio', 'O'));
      assert.deepEqual(await wardsWithFreeCardiologyBed(), ['Location/w-arc-cardio', 'Location/w-lib-cardio', 'Location/w-mer-cardio'],
        'not the full cardiology ward, nor the neurology ward with free beds');
      assert.deepEqual(await search('Observation', `component-code=${PASSERELLE_SYSTEM.specialty}|cardiology`),
        ['w-arc-cardio', 'w-bdx-cardio', 'w-lib-cardio', 'w-mer-cardio'].map((w) => `Observation/${bedAvailabilityId(w)}`),
        'component-code finds every cardiology ward, free bed or not');
      assert.deepEqual(await search('Observation', `component-code-value-quantity=${PASSERELLE_SYSTEM.specialty}|neurology$gt0`),
        [`Observation/${bedAvailabilityId('w-bdx-neuro')}`]);

      await repo.update(bedOf('w-bdx-cardio-bed-0', 'w-bdx-cardio', 'U'));
      assert.deepEqual(await wardsWithFreeCardiologyBed(), ['Location/w-arc-cardio', 'Location/w-bdx-cardio', 'Location/w-lib-cardio', 'Location/w-mer-cardio']);
      assert.deepEqual(await search('Observation', `component-code-value-quantity=${PASSERELLE_SYSTEM.specialty}|cardiology$ge2`),
        [`Observation/${bedAvailabilityId('w-arc-cardio')}`, `Observation/${bedAvailabilityId('w-mer-cardio')}`], 'at least two free beds');
      assert.deepEqual(await search('Observation', `component-code-value-quantity=${PASSERELLE_SYSTEM.bedAvailability}|contaminated$gt0`),
        [`Observation/${bedAvailabilityId('w-lib-cardio')}`], 'the counts are reachable the same way');
    });

    it('finds the sites with such a ward by reverse chaining: Location?_has:Location:partof:_has:Observation:subject:...', async () => {
      const sites = (): Promise<string[]> => search('Location', `_has:Location:partof:_has:Observation:subject:component-code-value-quantity=${FREE_CARDIOLOGY_BED}`);
      await repo.update(bedOf('w-bdx-cardio-bed-0', 'w-bdx-cardio', 'O'));
      assert.deepEqual(await sites(), ['Location/s-arcachon', 'Location/s-libourne', 'Location/s-merignac'],
        'not Bordeaux, whose neurology ward has free beds but whose cardiology ward is full');
      await repo.update(bedOf('w-bdx-cardio-bed-1', 'w-bdx-cardio', 'U'));
      assert.deepEqual(await sites(), ['Location/s-arcachon', 'Location/s-bordeaux', 'Location/s-libourne', 'Location/s-merignac']);
    });

    it('answers the README request: sites within 30 km nearest first, with their hospitals, wards and wards\' Observations', async () => {
      await repo.update(bedOf('w-bdx-cardio-bed-0', 'w-bdx-cardio', 'O'));
      await repo.update(bedOf('w-bdx-cardio-bed-1', 'w-bdx-cardio', 'U'));
      const app = testApp(db, { hooks: [bedAvailabilityRule], profiles });
      // handling=strict: a parameter the server did not understand would be an error, not ignored.
      const res = await request(app).get(FREE_CARDIOLOGY_BED_NEAR_BORDEAUX).set('Prefer', 'handling=strict');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const bundle = res.body as Bundle;
      const matches = (bundle.entry ?? []).filter((e) => e.search?.mode === 'match');
      assert.deepEqual(matches.map((e) => e.resource?.id), ['s-bordeaux', 's-merignac', 's-libourne'], 'nearest first; Arcachon is 51 km away');
      const distances = matches.map((e) => e.search?.extension?.find((x) => x.url === 'http://hl7.org/fhir/StructureDefinition/location-distance')?.valueDistance);
      assert.deepEqual(distances.map((d) => d?.code), ['km', 'km', 'km']);
      const [bordeaux = NaN, merignac = NaN, libourne = NaN] = distances.map((d) => d?.value as number);
      assert.ok(bordeaux < 3 && merignac > 4 && merignac < 6 && libourne > 27 && libourne < 29, `distances ${bordeaux}, ${merignac}, ${libourne}`);

      const included = (bundle.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => e.resource as Resource);
      assert.deepEqual(ids(included), [
        'Location/or-libourne', 'Location/w-bdx-cardio', 'Location/w-bdx-neuro', 'Location/w-lib-cardio', 'Location/w-mer-cardio',
        ...['w-bdx-cardio', 'w-bdx-neuro', 'w-lib-cardio', 'w-mer-cardio'].map((w) => `Observation/${bedAvailabilityId(w)}`),
        'Organization/h-bordeaux', 'Organization/h-libourne',
      ].sort(), 'hospitals, every ward and room of the sites (not their beds), and the wards\' Observations');
      const bordeauxCardiology = included.find((r) => r.id === bedAvailabilityId('w-bdx-cardio')) as Observation;
      assert.deepEqual(specialtyComponent(bordeauxCardiology)?.valueQuantity?.value, 1, 'the client reads the free beds from the specialty component');
    });
  });
}
