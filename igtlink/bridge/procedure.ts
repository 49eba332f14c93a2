/**
 * The procedure an image from an operating room belongs to, which is its DICOM study: the
 * room's encounter in progress when there is one (and then its patient, identified as the EHR
 * identifies them, so the ImagingStudy finds the same Patient), otherwise the room's day. Study
 * UIDs are derived from that key (`2.25.` and 128 bits of a hash, PS3.5 B.2), so every image of
 * one procedure lands in one study whichever connection or restart brought it.
 */
import { createHash } from 'node:crypto';
import type { Encounter, HumanName, Patient } from '@medplum/fhirtypes';
import { parseSearch, type Repository } from '../../fhir/index.ts';
import { assigningAuthorityOf } from '../../profiles/index.ts';
import type { ImagePatient } from './dicom-image.ts';

export interface Procedure {
  /** What identifies the procedure: `Encounter/{id}` or `{room}/{YYYY-MM-DD}`. */
  key: string;
  studyUid: string;
  description: string;
  patient?: ImagePatient;
}

/** A DICOM UID derived from a text (the same text, the same UID). */
export function derivedUid(text: string): string {
  const digest = createHash('sha256').update(text).digest().subarray(0, 16);
  return `2.25.${BigInt(`0x${digest.toString('hex')}`).toString(10)}`;
}

export async function procedureIn(repository: Repository, room: string, at: Date): Promise<Procedure> {
  const found = await repository.search(parseSearch('Encounter', new URLSearchParams({ location: `Location/${room}`, status: 'in-progress', _sort: '-date', _count: '1' })));
  const encounter = found.resources[0] as Encounter | undefined;
  if (!encounter?.id) {
    const key = `${room}/${at.toISOString().slice(0, 10)}`;
    return { key, studyUid: derivedUid(`igtl/${key}`), description: `Operating room ${room}, ${key.slice(room.length + 1)}` };
  }
  const key = `Encounter/${encounter.id}`;
  const subject = encounter.subject?.reference?.startsWith('Patient/') ? await repository.readIfExists<Patient>('Patient', encounter.subject.reference.slice(8)) : undefined;
  const patient = subject ? imagePatient(subject) : undefined;
  return { key, studyUid: derivedUid(`igtl/${key}`), description: `Operating room ${room}`, ...(patient ? { patient } : {}) };
}

function imagePatient(patient: Patient): ImagePatient | undefined {
  const identifier = patient.identifier?.find((candidate) => candidate.value);
  if (!identifier?.value) return undefined;
  const sex = ({ male: 'M', female: 'F', other: 'O' } as const)[patient.gender as 'male' | 'female' | 'other'];
  const name = personName(patient.name?.[0]);
  return {
    id: identifier.value,
    ...(identifier.system ? { issuer: assigningAuthorityOf(identifier.system) } : {}),
    ...(name ? { name } : {}),
    ...(patient.birthDate ? { birthDate: patient.birthDate.replaceAll('-', '').slice(0, 8) } : {}),
    ...(sex ? { sex } : {}),
  };
}

/** A FHIR HumanName as DICOM PN: Family^Given^Middle (PS3.5 6.2.1). */
function personName(name: HumanName | undefined): string | undefined {
  if (!name) return undefined;
  const [given = '', ...middle] = name.given ?? [];
  const text = [name.family ?? '', given, middle.join(' ')].join('^').replace(/\^+$/, '');
  return text || undefined;
}
