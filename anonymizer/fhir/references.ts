/**
 * Pseudonymous ids and the references to them, the same everywhere in an export: a Patient's id
 * is its pseudonym (so `Observation.subject` reads `Patient/<pseudonym>`, the name the DICOM and
 * openEHR exports give the same person), any other resource's id a keyed hash of `Type/id`.
 * Relative and absolute RESTful references (`[base]/Type/id[/_history/v]`) are rewritten, the
 * base kept and the version dropped (versions are not exported); `urn:uuid:` and contained `#`
 * references carry no identity and stay; anything else is not a reference we can judge and is removed.
 * @see https://hl7.org/fhir/R4/references.html#literal
 */
import { isResourceType } from '@medplum/core';
import type { Pseudonymizer } from '../pseudonyms.ts';

const RESTFUL = /^(?<base>(?:https?:\/\/.+\/)?)(?<type>[A-Z][A-Za-z]+)\/(?<id>[A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ID_LENGTH = 64;

export interface ReferenceRewriterOptions {
  pseudonymizer: Pseudonymizer;
  /** The identity (`patientIdentity`) of the Patient with this id, when the caller knows it. */
  patientIdentityById(id: string): string | undefined;
}

export class ReferenceRewriter {
  readonly #pseudonymizer: Pseudonymizer;
  readonly #patientIdentityById: (id: string) => string | undefined;

  constructor(options: ReferenceRewriterOptions) {
    this.#pseudonymizer = options.pseudonymizer;
    this.#patientIdentityById = options.patientIdentityById;
  }

  /** The id a resource has in the export. */
  idFor(resourceType: string, id: string): string {
    if (resourceType === 'Patient') return this.#pseudonymizer.pseudonym(this.#patientIdentityById(id) ?? unidentifiedPatient(id));
    return this.#pseudonymizer.hash(`${resourceType}/${id}`).slice(0, ID_LENGTH);
  }

  /** A reference (or fullUrl) as it reads in the export, or `undefined` when it must go. */
  rewrite(reference: string): string | undefined {
    if (reference.startsWith('#') || reference.startsWith('urn:uuid:')) return reference;
    const match = RESTFUL.exec(reference);
    const { base, type, id } = match?.groups ?? {};
    if (base === undefined || type === undefined || id === undefined || !isResourceType(type)) return undefined;
    return `${base}${type}/${this.idFor(type, id)}`;
  }

  /**
   * A Bundle entry's request URL: the resource path stays (a transaction needs it), a RESTful id
   * is rewritten, the query goes (it holds search values: identifiers, names, dates).
   */
  rewriteRequestUrl(url: string): string | undefined {
    const path = url.split('?')[0] ?? '';
    if (/^[A-Z][A-Za-z]+$/.test(path) && isResourceType(path)) return path;
    if (/^(?:[A-Z][A-Za-z]+\/)?\$[A-Za-z][A-Za-z0-9-]*$/.test(path)) return path;
    return RESTFUL.test(path) ? this.rewrite(path) : undefined;
  }
}

/** The identity of a Patient with no usable identifier: its id, the same fallback as `patientIdentityOf`. */
export function unidentifiedPatient(id: string): string {
  return `Patient/${id}`;
}

/** The `Type` and `id` a reference points to (relative or absolute RESTful), or undefined. */
export function referenceTarget(reference: string): { type: string; id: string } | undefined {
  const groups = RESTFUL.exec(reference)?.groups;
  return groups?.type !== undefined && groups.id !== undefined ? { type: groups.type, id: groups.id } : undefined;
}
