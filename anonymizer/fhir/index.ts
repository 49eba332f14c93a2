/** FHIR de-identification: rules by FHIRPath, the shipped research profile, pseudonymous ids and references. */
export { deidentifyResource, deidentifyResources, storeContext, PSEUDONYM_SYSTEM, PSEUDONYMIZED, type DeidentifyContext } from './deidentify.ts';
export { patientIdentityOf, mainPatientIdentifier } from './patient-identity.ts';
export { ReferenceRewriter, type ReferenceRewriterOptions } from './references.ts';
export { researchProfile, loadProfile } from './research-profile.ts';
export { checkProfile, InvalidRuleError, type Profile, type Rule, type RuleMethod, type RuleParams } from './rules.ts';
