/**
 * De-identification of FHIR resources for research: a profile's rules (research-profile.json by
 * default), then pseudonymous ids and references (references.ts), one pseudonymous identifier on
 * each Patient, and a PSEUDED security label saying what was done. Dates move by the shift of the
 * patient the resource is about, the same shift as in the DICOM and openEHR exports.
 * @see https://hl7.org/fhir/R4/secpriv-module.html#deId
 */
import type { Bundle, Coding, Patient, Resource } from '@medplum/fhirtypes';
import { PSEUDONYM_SYSTEM, type Pseudonymizer } from '../pseudonyms.ts';
import { loadR4Definitions } from '../../fhir/index.ts';
import { applyRules } from './apply-rules.ts';
import { REMOVED } from './methods.ts';
import type { Json } from './nodes.ts';
import { patientIdentityOf } from './patient-identity.ts';
import { referenceTarget, ReferenceRewriter, unidentifiedPatient } from './references.ts';
import { researchProfile } from './research-profile.ts';
import type { Profile } from './rules.ts';

/** The system of the one identifier a de-identified Patient keeps: its pseudonym. */
export { PSEUDONYM_SYSTEM };

/** The security label of de-identified data. */
export const PSEUDONYMIZED: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'PSEUDED', display: 'pseudonymized' };

export interface DeidentifyContext {
  pseudonymizer: Pseudonymizer;
  profile: Profile;
  references: ReferenceRewriter;
  /**
   * The identity (`patientIdentity`) of the patient a resource is about; the caller knows how to
   * find it (the export reads the compartment). Undefined: about no patient, or not known, in
   * which case a Patient's own identifiers decide and other resources get a shift of their own.
   */
  patientIdentityFor?(resource: Resource, fullUrl?: string): string | undefined;
}

/** Returns a de-identified copy of `resource` (the input is not changed). */
export function deidentifyResource<T extends Resource>(resource: T, context: DeidentifyContext): T {
  loadR4Definitions();
  return deidentify(resource, context, undefined, undefined) as T;
}

function deidentify(resource: Resource, context: DeidentifyContext, inheritedIdentity: string | undefined, fullUrl: string | undefined): Resource {
  const identity = context.patientIdentityFor?.(resource, fullUrl)
    ?? (resource.resourceType === 'Patient' ? patientIdentityOf(resource, fullUrl) : inheritedIdentity);
  const { pseudonymizer, references } = context;
  // A resource about no patient still has its dates moved, by a shift of its own.
  const shiftDays = pseudonymizer.dateShiftDays(identity ?? `${resource.resourceType}/${resource.id ?? fullUrl ?? ''}`);
  const entries = resource.resourceType === 'Bundle' ? ((resource as Bundle).entry ?? []) : [];
  const output = applyRules(resource as unknown as Json, context.profile, {
    pseudonymizer,
    shiftDays,
    // Contained resources are about their container's patient; Bundle entries each about their own.
    nested: (inner, path) => {
      const entry = /^Bundle\.entry\[(\d+)\]\.resource$/.exec(path);
      const innerFullUrl = entry ? entries[Number(entry[1])]?.fullUrl : undefined;
      return deidentify(inner as unknown as Resource, context, entry ? undefined : identity, innerFullUrl) as unknown as Json;
    },
    rewriteReference: (reference) => references.rewrite(reference) ?? REMOVED,
    rewriteRequestUrl: (url) => references.rewriteRequestUrl(url) ?? REMOVED,
  }) as unknown as Resource;
  if (resource.id !== undefined) {
    output.id = resource.resourceType === 'Patient' && identity !== undefined ? pseudonymizer.pseudonym(identity) : references.idFor(resource.resourceType, resource.id);
  }
  if (output.resourceType === 'Patient' && identity !== undefined) {
    (output as Patient).identifier = [{ system: PSEUDONYM_SYSTEM, value: pseudonymizer.pseudonym(identity) }];
  }
  output.meta = { ...output.meta, security: [...(output.meta?.security ?? []).filter((c) => c.code !== PSEUDONYMIZED.code), PSEUDONYMIZED] };
  return orderLikeInput(resource, output);
}

/** The output's keys in the input's order, `id` and `meta` first as FHIR writes them. */
function orderLikeInput(input: Resource, output: Resource): Resource {
  const ordered: Record<string, unknown> = { resourceType: output.resourceType };
  const source = output as unknown as Record<string, unknown>;
  for (const key of ['id', 'meta', ...Object.keys(input), ...Object.keys(output)]) {
    if (key in source && !(key in ordered)) ordered[key] = source[key];
  }
  return ordered as unknown as Resource;
}

/** Where a resource names its patient (Observation.subject, Encounter.subject, AllergyIntolerance.patient, Coverage.beneficiary...). */
const PATIENT_ELEMENTS = ['subject', 'patient', 'beneficiary'];

/** The identity of the patient a (non-Patient) resource names, through `identityOfReference`. */
function namedPatient(resource: Resource, identityOfReference: (reference: string | undefined) => string | undefined): string | undefined {
  const json = resource as unknown as Record<string, { reference?: string } | undefined>;
  for (const element of PATIENT_ELEMENTS) {
    const identity = identityOfReference(json[element]?.reference);
    if (identity !== undefined) return identity;
  }
  return undefined;
}

/**
 * A context for resources read from the store page by page (the export), where the identities of
 * the cohort's Patients are known beforehand by id: every resource then gets the pseudonym and
 * shift of its patient, and every reference to a Patient its pseudonym, whichever page it is on.
 */
export function storeContext(pseudonymizer: Pseudonymizer, profile: Profile, identityById: (id: string) => string | undefined): DeidentifyContext {
  const identityOfReference = (reference: string | undefined): string | undefined => {
    const target = reference === undefined ? undefined : referenceTarget(reference);
    return target?.type === 'Patient' ? (identityById(target.id) ?? unidentifiedPatient(target.id)) : undefined;
  };
  return {
    pseudonymizer,
    profile,
    references: new ReferenceRewriter({ pseudonymizer, patientIdentityById: identityById }),
    patientIdentityFor: (resource) => {
      if (resource.resourceType === 'Patient') return (resource.id !== undefined ? identityById(resource.id) : undefined) ?? patientIdentityOf(resource as Patient);
      return namedPatient(resource, identityOfReference);
    },
  };
}

/**
 * De-identifies a set of resources consistently: each resource's patient is found inside the
 * set (a Patient by its id or Bundle fullUrl; others through subject, patient or beneficiary),
 * so a patient's resources share its pseudonym and shift, and every reference to it reads
 * `Patient/<pseudonym>`. A Patient referenced but not in the set is known by its id only.
 */
export function deidentifyResources(resources: readonly Resource[], pseudonymizer: Pseudonymizer, profile: Profile = researchProfile()): Resource[] {
  loadR4Definitions();
  const byId = new Map<string, string>();
  const byFullUrl = new Map<string, string>();
  const index = (patient: Patient, fullUrl?: string): void => {
    const identity = patientIdentityOf(patient, fullUrl);
    if (patient.id !== undefined) byId.set(patient.id, identity);
    if (fullUrl !== undefined) byFullUrl.set(fullUrl, identity);
  };
  for (const resource of resources) {
    if (resource.resourceType === 'Patient') index(resource);
    if (resource.resourceType !== 'Bundle') continue;
    for (const entry of resource.entry ?? []) if (entry.resource?.resourceType === 'Patient') index(entry.resource, entry.fullUrl);
  }
  const identityOfReference = (reference: string | undefined): string | undefined => {
    if (reference === undefined) return undefined;
    if (byFullUrl.has(reference)) return byFullUrl.get(reference);
    const target = referenceTarget(reference);
    return target?.type === 'Patient' ? (byId.get(target.id) ?? unidentifiedPatient(target.id)) : undefined;
  };
  const context: DeidentifyContext = {
    pseudonymizer,
    profile,
    references: new ReferenceRewriter({ pseudonymizer, patientIdentityById: (id) => byId.get(id) }),
    patientIdentityFor: (resource, fullUrl) => {
      if (resource.resourceType === 'Patient') return (fullUrl !== undefined ? byFullUrl.get(fullUrl) : undefined) ?? (resource.id !== undefined ? byId.get(resource.id) : undefined);
      return namedPatient(resource, identityOfReference);
    },
  };
  return resources.map((resource) => deidentifyResource(resource, context));
}
