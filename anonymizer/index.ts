/**
 * De-identification for research: one pseudonym and one date shift per patient (keyed by
 * ANON_SECRET), applied to DICOM (PS3.15 Annex E), FHIR and openEHR alike.
 */
export { MIN_SECRET_LENGTH, patientIdentity, PSEUDONYM_SYSTEM, Pseudonymizer, PseudonymSecretError, type PseudonymOptions } from './pseudonyms.ts';
export { shiftDicomDate, shiftIsoDate } from './date-shift.ts';
