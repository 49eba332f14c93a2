/**
 * PID to Patient, after the v2-to-FHIR segment map PID[Patient]: identifiers (PID-3, assigning
 * authority as system), names (PID-5), birth date (PID-7), sex (PID-8, table 0001), addresses
 * (PID-11), phones (PID-13 home, PID-14 work), marital status (PID-16), death (PID-29, PID-30).
 * The Patient's id comes from its main identifier, so every message about a patient lands on one
 * resource; a Patient created another way is found by that identifier.
 * @see https://hl7.org/fhir/uv/v2mappings/segment_maps.html (PID[Patient])
 */
import type { Identifier, Patient, Reference } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/index.ts';
import type { Er7Repetition, Er7Segment } from '../er7/index.ts';
import { ERROR_CODE, applicationError, requiredField } from '../errors.ts';
import { cweConcept, cxIdentifier, dtDate, dtmDateTime, xadAddress, xpnName, xtnContact } from './datatypes.ts';
import { applyRules, type FieldRule } from './field-rules.ts';
import { naturalId } from './ids.ts';
import { searchFirst } from './resources.ts';

/** Table 0001 (administrative sex) to FHIR administrative-gender. */
const SEX: Record<string, Patient['gender']> = { M: 'male', F: 'female', O: 'other', A: 'other', U: 'unknown', N: 'unknown' };

const PID_RULES: readonly FieldRule[] = [
  { field: 3, element: 'identifier', map: cxIdentifier, repeats: true },
  { field: 5, element: 'name', map: xpnName, repeats: true },
  { field: 7, element: 'birthDate', map: (r) => dtDate(r.get(1)) },
  { field: 8, element: 'gender', map: (r) => SEX[r.get(1).trim().toUpperCase()] },
  { field: 11, element: 'address', map: xadAddress, repeats: true },
  { field: 13, element: 'telecom', map: (r) => xtnContact(r, 'home'), repeats: true },
  { field: 14, element: 'telecom', map: (r) => xtnContact(r, 'work'), repeats: true },
  { field: 16, element: 'maritalStatus', map: (r) => withDefaultSystem(cweConcept(r), 'http://terminology.hl7.org/CodeSystem/v2-0002') },
  { field: 29, element: 'deceasedDateTime', map: (r) => dtmDateTime(r.get(1)) },
  { field: 30, element: 'deceasedBoolean', map: (r) => ({ Y: true, N: false })[r.get(1).trim().toUpperCase()] },
];

function withDefaultSystem<T extends { coding?: { system?: string }[] }>(concept: T | undefined, system: string): T | undefined {
  for (const coding of concept?.coding ?? []) coding.system ??= system;
  return concept;
}

/** Identifier types that name the patient in the sending system (table 0203), in order of preference. */
const MAIN_IDENTIFIER_TYPES = ['PI', 'MR', 'PT', 'PN'];

/**
 * The identifier that keys the Patient: the first PID-3 (or MRG-1) repetition of type PI or MR,
 * otherwise the first with a value. Undefined when there is none.
 */
export function mainIdentifier(repetitions: readonly Er7Repetition[]): Identifier | undefined {
  const identifiers = repetitions.map(cxIdentifier).filter((i): i is Identifier => i !== undefined);
  const typeOf = (i: Identifier): string => i.type?.coding?.[0]?.code ?? '';
  for (const type of MAIN_IDENTIFIER_TYPES) {
    const match = identifiers.find((i) => typeOf(i) === type);
    if (match) return match;
  }
  return identifiers[0];
}

/** The ordering key of a patient's messages, and the seed of its Patient id. */
export const patientKey = (identifier: Identifier): string => `${identifier.system ?? ''}|${identifier.value}`;

export const patientIdFor = (identifier: Identifier): string => naturalId('pat', patientKey(identifier));

/**
 * The Patient an identifier names, by its natural id (locked for an update when `forUpdate`),
 * else by identifier search.
 */
export async function findPatient(repo: Repository, identifier: Identifier, forUpdate = false): Promise<Patient | undefined> {
  const id = patientIdFor(identifier);
  return (await (forUpdate ? repo.readForUpdate<Patient>('Patient', id) : repo.readIfExists<Patient>('Patient', id)))
    ?? searchFirst<Patient>(repo, 'Patient', { identifier: `${identifier.system ?? ''}|${identifier.value}` });
}

/** Creates or updates the Patient of a PID segment and returns a reference to it. */
export async function upsertPatient(repo: Repository, pid: Er7Segment): Promise<Reference<Patient>> {
  const identifier = mainIdentifier(pid.field(3).repetitions);
  if (!identifier) throw requiredField('PID', 3, 'patient identifier list');
  const existing = await findPatient(repo, identifier, true);
  const patient: Patient = existing ? structuredClone(existing) : { resourceType: 'Patient', id: patientIdFor(identifier) };
  const previousIdentifiers = patient.identifier ?? [];
  applyRules(patient, pid, PID_RULES);
  // Identifiers other systems added (e.g. an INS found later) stay; the message's come first.
  const sent = new Set((patient.identifier ?? []).map((i) => `${i.system}|${i.value}`));
  patient.identifier = [...(patient.identifier ?? []), ...previousIdentifiers.filter((i) => !sent.has(`${i.system}|${i.value}`))];
  if (patient.deceasedDateTime !== undefined && patient.deceasedBoolean !== undefined) delete patient.deceasedBoolean;
  if (patient.link?.some((l) => l.type === 'replaced-by')) {
    throw applicationError(ERROR_CODE.unknownKey, 'PID-3 names a patient that was merged into another one (A40); send messages for the surviving patient', { segment: 'PID', field: 3 });
  }
  patient.active ??= true;
  const { resource } = await repo.update(patient);
  return { reference: `Patient/${resource.id}` };
}
