/**
 * `passerelle seed --demo`: writes the demo region (profiles/demo-region.ts) and Passerelle's code
 * systems through the repository, with the bed-availability rule active, so each ward gets its
 * Observation as it would from live traffic. Every resource has a natural-key id and is written
 * with update-as-create, one transaction per hospital: running it again changes nothing.
 */
import type { Resource } from '@medplum/fhirtypes';
import { FhirError, ProfileRegistry, Repository, type Database } from '../fhir/index.ts';
import { bedAvailabilityId, bedAvailabilityRule, demoRegion, hospitalResources, loadProfiles, passerelleCodeSystems, type DemoSizes } from '../profiles/index.ts';
import type { Config } from './config.ts';
import { withMigratedDatabase } from './database/open.ts';
import type { Logger } from './logger.ts';

export interface SeedSummary {
  hospitals: number;
  /** Resources written by type (including the derived Observations), whether new, changed or unchanged. */
  resources: Record<string, number>;
  /** Versions actually written (0 when the database already held the same demo data). */
  versionsWritten: number;
}

/** Writes the demo region into an open, migrated database. */
export async function seedDemo(db: Database, sizes: Partial<DemoSizes> = {}): Promise<SeedSummary> {
  const repo = new Repository(db, new ProfileRegistry(loadProfiles()), { hooks: [bedAvailabilityRule] });
  const summary: SeedSummary = { hospitals: 0, resources: {}, versionsWritten: 0 };
  const put = async (target: Repository, resource: Resource): Promise<void> => {
    if ((await target.update(resource)).changed) summary.versionsWritten++;
    summary.resources[resource.resourceType] = (summary.resources[resource.resourceType] ?? 0) + 1;
  };
  for (const codeSystem of passerelleCodeSystems()) await put(repo, codeSystem);
  const region = demoRegion(sizes);
  for (const hospital of region.hospitals) {
    const observations = hospital.wards.map((ward) => ({ resourceType: 'Observation', id: bedAvailabilityId(ward.id as string) }) as Resource);
    const before = await Promise.all(observations.map((o) => currentVersion(repo, o)));
    await repo.transaction(async (tx) => {
      for (const resource of hospitalResources(hospital)) await put(tx, resource);
    });
    const after = await Promise.all(observations.map((o) => currentVersion(repo, o)));
    // The rule writes each ward's Observation: count the versions it added.
    after.forEach((version, i) => {
      summary.versionsWritten += Number(version ?? 0) - Number(before[i] ?? 0);
    });
    summary.resources.Observation = (summary.resources.Observation ?? 0) + observations.length;
    summary.hospitals++;
  }
  await put(repo, region.dispatchCentre);
  // Fresh planner statistics for the data just written (PGlite has no autovacuum to do it later).
  await db.exec('ANALYZE');
  return summary;
}

async function currentVersion(repo: Repository, resource: Resource): Promise<string | undefined> {
  try {
    return (await repo.read(resource.resourceType, resource.id as string)).meta?.versionId;
  } catch (err) {
    if (err instanceof FhirError && (err.status === 404 || err.status === 410)) return undefined; // not there yet, or deleted
    throw err;
  }
}

/** `passerelle seed --demo [--hospitals <n>]`: opens the configured database, migrates, seeds; the exit code. */
export async function seedCommand(args: string[], config: Config, logger: Logger, help: string): Promise<number> {
  if (!args.includes('--demo')) {
    process.stderr.write(`passerelle seed: say what to seed (only --demo exists).\n\n${help}`);
    return 2;
  }
  const at = args.indexOf('--hospitals');
  const hospitals = at < 0 ? undefined : Number(args[at + 1]);
  if (hospitals !== undefined && !(Number.isInteger(hospitals) && hospitals >= 1 && hospitals <= 10_000)) {
    process.stderr.write('passerelle seed: --hospitals takes a whole number from 1 to 10000.\n');
    return 2;
  }
  const summary = await withMigratedDatabase(config, (db) => seedDemo(db, hospitals === undefined ? {} : { hospitals }));
  logger.info(summary, 'demo region seeded');
  return 0;
}
