/**
 * Which identity a FHIR Patient's pseudonym and date shift come from: its main identifier, chosen
 * as the HL7 bridge chooses PID-3's (`mainIdentifier` in hl7-bridge/mapping/patient.ts: a patient
 * internal identifier or medical record number first), as `system|value`. The DICOM anonymiser
 * derives the same identity from PatientID and its issuer's system, so one person gets one
 * pseudonym and one shift in every export.
 * @see https://terminology.hl7.org/CodeSystem-v2-0203.html (identifier types)
 */
import type { Identifier, Patient } from '@medplum/fhirtypes';
import { patientIdentity } from '../pseudonyms.ts';
import { unidentifiedPatient } from './references.ts';

/** The same order as the HL7 bridge's choice of a patient's main identifier. */
const MAIN_IDENTIFIER_TYPES = ['PI', 'MR', 'PT', 'PN'];

/** The identifier a Patient is known by, or undefined when it has none with a value. */
export function mainPatientIdentifier(patient: Patient): Identifier | undefined {
  const usable = (patient.identifier ?? []).filter((i) => typeof i.value === 'string' && i.value !== '');
  const typeOf = (i: Identifier): string => i.type?.coding?.[0]?.code ?? '';
  for (const type of MAIN_IDENTIFIER_TYPES) {
    const match = usable.find((i) => typeOf(i) === type);
    if (match) return match;
  }
  // One without a system still names the patient, as a DICOM PatientID without issuer does (`|value`).
  return usable.find((i) => typeof i.system === 'string' && i.system !== '') ?? usable[0];
}

/**
 * A Patient's identity: `system|value` of its main identifier, else `Patient/<id>` (`fallback`
 * when it has no id either, e.g. a Bundle entry known by its fullUrl).
 */
export function patientIdentityOf(patient: Patient, fallback?: string): string {
  const main = mainPatientIdentifier(patient);
  if (main?.value !== undefined) return patientIdentity(main.system, main.value);
  return patient.id !== undefined ? unidentifiedPatient(patient.id) : (fallback ?? unidentifiedPatient(''));
}
