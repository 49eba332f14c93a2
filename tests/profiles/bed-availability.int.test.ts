/**
 * The bed-availability rule keeps each ward's Observation true through every kind of bed change,
 * commits and rolls back with the write, writes one version per effective change, and stays exact
 * under concurrent updates of the same ward (real concurrency on PostgreSQL).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Bundle, Location, Observation } from '@medplum/fhirtypes';
import { ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import {
  bedAvailabilityId, bedAvailabilityRule, bedStatusCoding, loadProfiles, PASSERELLE_SYSTEM, physicalTypeCoding, PROFILE, SPECIALTY_COMPONENT,
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

/** The counts of a ward's Observation by component code, or undefined when it has none. */
async function countsOf(repo: Repository, ward: string): Promise<Record<string, number> | undefined> {
  const observation = await repo.read('Observation', bedAvailabilityId(ward)).catch(() => undefined) as Observation | undefined;
  if (!observation) return undefined;
  const counts: Record<string, number> = {};
  for (const c of observation.component ?? []) {
    const code = c.code.coding?.find((coding) => coding.system === PASSERELLE_SYSTEM.bedAvailability)?.code as string;
    if (c.valueInteger !== undefined) counts[code] = c.valueInteger;
  }
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
      const specialty = observation.component?.find((c) => c.code.coding?.[0]?.code === SPECIALTY_COMPONENT.code);
      assert.equal(specialty?.valueCodeableConcept?.coding?.[0]?.code, 'neurology');
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
      assert.equal(observation.component?.at(-1)?.valueCodeableConcept?.coding?.[0]?.code, 'oncology', 'a new specialty is carried over');
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
