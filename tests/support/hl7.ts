/**
 * An HL7 v2 bridge for tests: a database (one of the test drivers) holding one demo hospital whose
 * beds are all free, the pipeline with the server's profiles and bed-availability rule, and a real
 * MLLP listener on a free loopback port. Plus a small builder of ER7 messages about that hospital.
 */
import type { Location, Observation, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { Hl7Pipeline, startMllpServer, type MllpServer } from '../../hl7-bridge/index.ts';
import { DEFAULT_MAPPING_OPTIONS, type MappingOptions } from '../../hl7-bridge/mapping/index.ts';
import {
  bedAvailabilityId, bedAvailabilityRule, bedStatusCoding, BED_STATUS, demoRegion, hospitalResources, loadProfiles, PASSERELLE_SYSTEM, type DemoHospital,
} from '../../profiles/index.ts';
import { createLogger } from '../../server/logger.ts';
import type { TestDriver } from './database.ts';

export interface Hl7TestBridge {
  db: Database;
  repo: Repository;
  pipeline: Hl7Pipeline;
  mllp: MllpServer;
  hospital: DemoHospital;
  finess: string;
  close(): Promise<void>;
}

/** A demo hospital of 2 wards × 4 beds (and one operating room), every bed unoccupied. */
export function testHospital(): DemoHospital {
  const [hospital] = demoRegion({ hospitals: 1, wardsPerHospital: [2, 2], bedsPerWard: [4, 4], operatingRoomsPerHospital: [1, 1], devicesPerOperatingRoom: [3, 3] }).hospitals;
  const free = hospital as DemoHospital;
  free.beds = free.beds.map((bed) => ({ ...bed, status: 'active', operationalStatus: bedStatusCoding(BED_STATUS.unoccupied) }));
  return free;
}

export async function startHl7Bridge(driver: TestDriver, options: Partial<MappingOptions> = {}): Promise<Hl7TestBridge> {
  loadR4Definitions();
  const db = await driver.open();
  const profiles = new ProfileRegistry(loadProfiles());
  const hooks = [bedAvailabilityRule];
  const repo = new Repository(db, profiles, { hooks });
  const hospital = testHospital();
  await repo.transaction(async (tx) => {
    for (const resource of hospitalResources(hospital)) await tx.update(resource);
  });
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const pipeline = new Hl7Pipeline({
    db, logger, options: { ...DEFAULT_MAPPING_OPTIONS, ...options },
    repositoryIn: (tx) => new Repository(db, profiles, { hooks, tx }),
  });
  const mllp = await startMllpServer({
    host: '127.0.0.1', port: 0, maxMessageBytes: 1024 * 1024, idleTimeoutMs: 30_000, logger,
    handler: {
      handle: async (payload) => (await pipeline.receive(payload, 'mllp')).ack ?? Buffer.alloc(0),
      oversize: (head, size) => pipeline.oversizeAck(head, size, 1024 * 1024),
    },
  });
  const finess = hospital.organization.identifier?.[0]?.value as string;
  return {
    db, repo, pipeline, mllp, hospital, finess,
    async close() {
      await mllp.close(1000);
      await db.close();
    },
  };
}

/** The bed status (v2-0116 code) of a Location. */
export async function bedStatus(repo: Repository, id: string): Promise<string | undefined> {
  return ((await repo.read('Location', id)) as Location).operationalStatus?.code;
}

/** A ward's bed-availability counts by component code. */
export async function wardCounts(repo: Repository, wardId: string): Promise<Record<string, number>> {
  const observation = (await repo.read('Observation', bedAvailabilityId(wardId))) as Observation;
  const counts: Record<string, number> = {};
  for (const c of observation.component ?? []) {
    const code = c.code.coding?.find((coding) => coding.system === PASSERELLE_SYSTEM.bedAvailability)?.code;
    if (code) counts[code] = c.valueQuantity?.value as number;
  }
  return counts;
}

/** How many versions a resource has. */
export async function versionCount(repo: Repository, resource: Pick<Resource, 'resourceType' | 'id'>): Promise<number> {
  return (await repo.history({ resourceType: resource.resourceType, id: resource.id, count: 1000 })).length;
}

export interface AdtFields {
  event: string;
  controlId: string;
  /** PID-3.1 (the patient's id at the hospital, assigning authority HOSP). */
  mrn: string;
  family?: string;
  given?: string;
  /** PV1-19.1 (visit number). */
  visit?: string;
  /** PV1-3: point of care (ward code) and bed; the facility is the hospital's FINESS. */
  ward?: string;
  bed?: string;
  /** PV1-6 prior location (A02). */
  priorWard?: string;
  priorBed?: string;
  finess: string;
  /** EVN-2 and MSH-7. */
  time?: string;
  extraSegments?: string[];
  /** MSH-15 and MSH-16 (acknowledgement types); empty for the original mode. */
  ackTypes?: [string, string];
  /** MRG-1.1 (A40). */
  mergedMrn?: string;
  version?: string;
}

/** PV1 by field number: class I, PV1-3 and PV1-6 locations, attending doctor, service CAR, visit number, admit time. */
function pv1(f: AdtFields, time: string, pl: (ward?: string, bed?: string) => string): string {
  const fields: string[] = [];
  fields[1] = '1';
  fields[2] = 'I';
  fields[3] = pl(f.ward, f.bed);
  fields[6] = pl(f.priorWard, f.priorBed);
  fields[7] = '123^Martin^Paul^^^Dr';
  fields[10] = 'CAR';
  fields[19] = `${f.visit}^^^HOSP&1.2.250.1.999.1&ISO^VN`;
  fields[44] = time;
  return ['PV1', ...Array.from({ length: 44 }, (_, i) => fields[i + 1] ?? '')].join('|');
}

/** An ADT message in ER7 (CR-separated), about the test hospital. */
export function adt(f: AdtFields): string {
  const time = f.time ?? '20260301083000';
  const [accept, application] = f.ackTypes ?? ['', ''];
  const pl = (ward?: string, bed?: string): string => (ward ? `${ward}^^${bed ?? ''}^HOSP&${f.finess}&M` : '');
  const segments = [
    `MSH|^~\\&|EHR|HOSP|PASSERELLE|HOSP|${time}||ADT^${f.event}|${f.controlId}|P|${f.version ?? '2.5'}|||${accept}|${application}|FRA|UNICODE UTF-8`,
    `EVN|${f.event}|${time}`,
    `PID|1||${f.mrn}^^^HOSP&1.2.250.1.999.1&ISO^PI||${f.family ?? 'Lefèvre'}^${f.given ?? 'Hélène'}^^^^^L||19610412|F|||12 rue Sainte-Catherine^^Bordeaux^^33000^FRA^H||0556000000^PRN^PH`,
    ...(f.mergedMrn ? [`MRG|${f.mergedMrn}^^^HOSP&1.2.250.1.999.1&ISO^PI`] : []),
    ...(f.visit ? [pv1(f, time, pl)] : []),
    ...(f.extraSegments ?? []),
  ];
  return segments.join('\r') + '\r';
}

/** MSA-1 and MSA-2 of an ACK, and its ERR segment if any. */
export function ackOf(ack: Buffer | string | undefined): { code: string; controlId: string; err: string | undefined; msh: string } {
  const text = typeof ack === 'string' ? ack : (ack ?? Buffer.alloc(0)).toString('utf8');
  const segments = text.split('\r');
  // The ACK is written with the received message's delimiters: MSH-1 tells the field separator.
  const field = segments[0]?.[3] ?? '|';
  const msa = (segments.find((s) => s.startsWith(`MSA${field}`)) ?? '').split(field);
  return { code: msa[1] ?? '', controlId: msa[2] ?? '', err: segments.find((s) => s.startsWith(`ERR${field}`)), msh: segments[0] ?? '' };
}
