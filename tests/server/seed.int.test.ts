/**
 * `passerelle seed --demo`: the demo region goes in through the repository with the
 * bed-availability rule, every resource validates against its profile, each ward gets an
 * Observation whose counts match its beds, and seeding again changes nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Location, Observation, Organization } from '@medplum/fhirtypes';
import { ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import {
  AVAILABILITY_COMPONENTS, bedAvailabilityId, bedsQuantity, demoRegion, loadProfiles, PASSERELLE_SYSTEM, passerelleCodeSystems, PROFILE, type DemoSizes,
} from '../../profiles/index.ts';
import { seedDemo } from '../../server/seed.ts';
import { openPGlite } from '../../server/database/pglite.ts';
import { testDrivers } from '../support/database.ts';

const SIZES: Partial<DemoSizes> = { hospitals: 2, wardsPerHospital: [2, 3], bedsPerWard: [3, 8], operatingRoomsPerHospital: 2, devicesPerOperatingRoom: [3, 4] };

async function countsByType(db: Database): Promise<Record<string, number>> {
  const rows = await db.query<{ resource_type: string; n: string | number }>(
    'SELECT resource_type, count(*) AS n FROM fhir_resource WHERE NOT deleted GROUP BY resource_type',
  );
  return Object.fromEntries(rows.map((r) => [r.resource_type, Number(r.n)]));
}

for (const driver of testDrivers()) {
  describe(`seed --demo on ${driver.name}`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry(loadProfiles()));
    });
    after(() => db.close());

    const region = demoRegion(SIZES);
    const wards = region.hospitals.flatMap((h) => h.wards);
    const beds = region.hospitals.flatMap((h) => h.beds);

    it('writes the region, with one bed-availability Observation per ward matching its beds', async () => {
      const summary = await seedDemo(db, SIZES);
      const counts = await countsByType(db);
      assert.equal(counts.Organization, 3, 'two hospitals and the dispatch centre');
      assert.equal(counts.Location, region.hospitals.reduce((n, h) => n + 1 + h.wards.length + h.beds.length + h.operatingRooms.length, 0));
      assert.equal(counts.Device, region.hospitals.reduce((n, h) => n + h.devices.length, 0));
      assert.equal(counts.Observation, wards.length);
      assert.equal(counts.CodeSystem, passerelleCodeSystems().length, 'every Passerelle code system');
      assert.ok(summary.versionsWritten >= Object.values(counts).reduce((a, b) => a + b, 0), 'every resource was written');

      for (const ward of wards) {
        const observation = await repo.read('Observation', bedAvailabilityId(ward.id as string)) as Observation;
        assert.deepEqual(observation.meta?.profile, [PROFILE.bedAvailability]);
        repo.validate(observation); // throws if it does not conform to the profile
        const mine = beds.filter((b) => b.partOf?.reference === `Location/${ward.id}`);
        for (const component of AVAILABILITY_COMPONENTS) {
          const expected = component.code === 'total' ? mine.length
            : 'bedStatus' in component ? mine.filter((b) => b.operationalStatus?.code === component.bedStatus).length : 0;
          const value = observation.component?.find((c) => c.code.coding?.some((x) => x.system === PASSERELLE_SYSTEM.bedAvailability && x.code === component.code))?.valueQuantity;
          assert.deepEqual(value, bedsQuantity(expected), `${ward.id} ${component.code}`);
        }
        // The specialty component: the ward's specialty, valued with its available beds.
        const specialty = observation.component?.find((c) => c.code.coding?.some((x) => x.system === PASSERELLE_SYSTEM.specialty));
        assert.deepEqual(specialty?.code.coding, ward.type?.flatMap((t) => t.coding ?? []).filter((c) => c.system === PASSERELLE_SYSTEM.specialty), `${ward.id} specialty`);
        assert.deepEqual(specialty?.valueQuantity, bedsQuantity(mine.filter((b) => b.operationalStatus?.code === 'U').length), `${ward.id} free beds`);
      }
    });

    it('changes nothing when run again', async () => {
      const before = await countsByType(db);
      const history = (await repo.history({ count: 100_000 })).length;
      const summary = await seedDemo(db, SIZES);
      assert.equal(summary.versionsWritten, 0);
      assert.deepEqual(await countsByType(db), before);
      assert.equal((await repo.history({ count: 100_000 })).length, history, 'no new version of anything');
    });

    it('writes every resource under its profile', async () => {
      const all = region.hospitals.flatMap((h) => [h.organization, h.site, ...h.wards, ...h.beds, ...h.operatingRooms, ...h.devices]);
      for (const resource of all) {
        const stored = await repo.read(resource.resourceType, resource.id as string);
        repo.validate(stored);
        assert.equal(stored.meta?.profile?.length, 1);
        assert.ok(Object.values(PROFILE).includes(stored.meta?.profile?.[0] as never));
      }
      assert.ok(all.some((r) => (r as Location).operationalStatus?.code === 'O'), 'some beds are occupied');
      const samu = (await repo.read('Organization', region.dispatchCentre.id as string)) as Organization;
      repo.validate(samu);
      assert.equal(samu.type?.[1]?.coding?.[0]?.code, 'dispatch-centre');
      assert.equal(samu.partOf?.reference, `Organization/${region.hospitals[0]?.organization.id}`, 'a service of the first hospital');
    });
  });
}

describe('passerelle seed (the command)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-seed-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'server/main.ts', 'seed', ...args], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 120_000,
  });

  it('refuses to run without --demo', () => {
    const result = run();
    assert.equal(result.status, 2);
    assert.match(String(result.stderr), /--demo/);
  });

  it('seeds the embedded database in DATA_DIR, then finds nothing to do', async () => {
    const first = run('--demo', '--hospitals', '1');
    assert.equal(first.status, 0, String(first.stderr));
    const summary = JSON.parse(String(first.stdout).trim().split('\n').pop() as string);
    assert.equal(summary.msg, 'demo region seeded');
    assert.equal(summary.hospitals, 1);
    assert.ok(summary.versionsWritten > 0);
    const second = run('--demo', '--hospitals', '1');
    assert.equal(second.status, 0, String(second.stderr));
    assert.equal(JSON.parse(String(second.stdout).trim().split('\n').pop() as string).versionsWritten, 0);

    const db = await openPGlite(join(dataDir, 'pglite'));
    try {
      const counts = await countsByType(db);
      assert.equal(counts.Organization, 2, 'the hospital and the dispatch centre');
      assert.equal(counts.Observation, demoRegion({ hospitals: 1 }).hospitals[0]?.wards.length);
    } finally {
      await db.close();
    }
  });
});
