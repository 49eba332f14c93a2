/**
 * De-identifying one DICOM instance with the Basic Application Level Confidentiality Profile
 * (PS3.15 Annex E) and the options chosen: every attribute of the dataset, inside sequences
 * too, gets its Table E.1-1 action; private attributes go unless declared safe; the patient
 * becomes its pseudonym (PatientID and PatientName, the same one FHIR and openEHR exports give)
 * and the de-identification is declared (PatientIdentityRemoved, DeidentificationMethod and its
 * CID 7050 codes, LongitudinalTemporalInformationModified). Pixel data is not touched, which is
 * why an instance declaring burned-in annotation is refused unless allowed.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/chapter_E.html
 */
import type { DcmjsDataset, DcmjsElement } from 'dcmjs';
import { assigningAuthoritySystem, DICOM_IMPLEMENTATION } from '../../profiles/index.ts';
import { patientIdentity, type Pseudonymizer } from '../pseudonyms.ts';
import { applyAction, type ActionContext } from './actions.ts';
import { methodsUsed, resolveOptions, type DicomAnonymizeOptions, type SafePrivateTag } from './options.ts';
import { firstText, readDicomFile, UnreadableDicomError, writeDicomFile } from './part10.ts';
import { confidentialityProfile, type ConfidentialityProfile } from './profile-table.ts';

export { UnreadableDicomError };

/** The instance declares burned-in annotation (0028,0301) and the caller did not allow it. */
export class BurnedInAnnotationError extends Error {}

export interface AnonymizedDicom {
  /** The de-identified Part 10 file, in the original transfer syntax. */
  bytes: Buffer;
  /** The patient's identity (`system|PatientID`, not to be logged) and the pseudonym it became. */
  patient: { identity: string; pseudonym: string };
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
}

const TAG = {
  PatientName: '00100010',
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  IssuerOfPatientIDQualifiersSequence: '00100024',
  UniversalEntityID: '00400032',
  UniversalEntityIDType: '00400033',
  PatientIdentityRemoved: '00120062',
  DeidentificationMethod: '00120063',
  DeidentificationMethodCodeSequence: '00120064',
  LongitudinalTemporalInformationModified: '00280303',
  BurnedInAnnotation: '00280301',
  SOPInstanceUID: '00080018',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  MediaStorageSOPInstanceUID: '00020003',
  ImplementationClassUID: '00020012',
  ImplementationVersionName: '00020013',
} as const;

/** File meta elements that name the sending and receiving devices, or carry private data. */
const META_REMOVED = new Set(['00020016', '00020017', '00020018', '00020100', '00020102']);

/**
 * De-identifies one Part 10 instance. `identity` is the patient's when the caller knows it better
 * than the file does (an export knows the ImagingStudy's FHIR subject, whose main identifier may
 * have a system where the PACS sent PatientID without issuer); by default, `dicomPatientIdentity`.
 * @throws UnreadableDicomError when the bytes are not a readable Part 10 file
 * @throws BurnedInAnnotationError when BurnedInAnnotation is YES and not allowed
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/sect_E.2.html
 */
export function anonymizeDicom(input: ArrayBuffer | Uint8Array, pseudonymizer: Pseudonymizer, chosen: Partial<DicomAnonymizeOptions> = {}, identity?: string): AnonymizedDicom {
  const options = resolveOptions(chosen);
  const bytes = Buffer.isBuffer(input) ? input : input instanceof ArrayBuffer ? Buffer.from(input) : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const file = readDicomFile(bytes);
  if (firstText(file.dict, TAG.BurnedInAnnotation)?.toUpperCase() === 'YES' && !options.allowBurnedInAnnotation) {
    throw new BurnedInAnnotationError('the instance declares BurnedInAnnotation YES: its pixels may show identity, which this profile does not clean');
  }
  identity ??= dicomPatientIdentity(file.dict);
  const pseudonym = pseudonymizer.pseudonym(identity);
  const shiftDays = options.retainLongitudinalModifiedDates ? pseudonymizer.dateShiftDays(identity) : undefined;
  const profile = confidentialityProfile(options);
  const walker = new DatasetWalker(profile, options.safePrivate, {
    uid: (original) => pseudonymizer.uid(original),
    pseudonym: (value) => pseudonymizer.hash(value).toUpperCase(),
    shiftDays,
  });
  const dict = walker.topLevel(file.dict, pseudonym);
  declareDeidentification(dict, options);
  const sopInstanceUID = requiredUid(dict, TAG.SOPInstanceUID, 'SOPInstanceUID (0008,0018)');
  const meta = anonymizedMeta(file.meta, sopInstanceUID);
  return {
    bytes: writeDicomFile(meta, dict, file.rawPixelData),
    patient: { identity, pseudonym },
    studyInstanceUID: requiredUid(dict, TAG.StudyInstanceUID, 'StudyInstanceUID (0020,000D)'),
    seriesInstanceUID: requiredUid(dict, TAG.SeriesInstanceUID, 'SeriesInstanceUID (0020,000E)'),
    sopInstanceUID,
  };
}

/**
 * The patient's identity as the FHIR side knows it: PatientID with the system of its issuer
 * (IssuerOfPatientID or its qualifiers' UniversalEntityID), mapped exactly as the DICOMweb
 * ImagingStudy sync maps it to a Patient identifier, so that both get the same pseudonym.
 * An instance without PatientID gets the identity of the empty identifier (all such share it).
 */
export function dicomPatientIdentity(dict: DcmjsDataset): string {
  const value = firstText(dict, TAG.PatientID) ?? '';
  const qualifiers = sequenceItems(dict[TAG.IssuerOfPatientIDQualifiersSequence])[0];
  const system = assigningAuthoritySystem(
    firstText(dict, TAG.IssuerOfPatientID) ?? '',
    (qualifiers && firstText(qualifiers, TAG.UniversalEntityID)) ?? '',
    (qualifiers && firstText(qualifiers, TAG.UniversalEntityIDType)) ?? '',
  );
  return patientIdentity(system, value);
}

/** Applies the profile to a dataset and, recursively, to the items of the sequences it keeps. */
class DatasetWalker {
  readonly #profile: ConfidentialityProfile;
  readonly #safePrivate: SafePrivateTag[];
  readonly #context: ActionContext;

  constructor(profile: ConfidentialityProfile, safePrivate: SafePrivateTag[], keys: Omit<ActionContext, 'items'>) {
    this.#profile = profile;
    this.#safePrivate = safePrivate;
    this.#context = { ...keys, items: (items) => items.map((item) => this.dataset(item)) };
  }

  /** The instance's own dataset: PatientName and PatientID become the pseudonym (both Type 2, so always present). */
  topLevel(dict: DcmjsDataset, pseudonym: string): DcmjsDataset {
    const out = this.dataset(dict);
    // The table's Z (name) and Z/D (id) allow a dummy; the pseudonym is that dummy, so images link to the research record.
    out[TAG.PatientName] = { vr: 'PN', Value: [{ Alphabetic: pseudonym }] };
    out[TAG.PatientID] = { vr: 'LO', Value: [pseudonym] };
    return out;
  }

  dataset(dict: DcmjsDataset): DcmjsDataset {
    const out: DcmjsDataset = {};
    const keptBlocks = this.#safePrivateBlocks(dict);
    const removedOverlayGroups = new Set<string>();
    for (const tag of Object.keys(dict).sort()) {
      const element = dict[tag] as DcmjsElement;
      const upper = tag.toUpperCase();
      const group = parseInt(upper.slice(0, 4), 16);
      // Group lengths would be stale once values change; they are retired anyway (PS3.5 7.2).
      if (upper.endsWith('0000')) continue;
      if (group & 1) {
        const block = this.#privateBlock(upper, keptBlocks);
        if (block !== undefined) out[tag] = element;
        continue;
      }
      const action = this.#profile.actionFor(upper);
      if (action === undefined) {
        out[tag] = element.vr === 'SQ' ? { vr: 'SQ', Value: this.#context.items(sequenceItems(element)) } : element;
        continue;
      }
      const result = applyAction(action, element, this.#context);
      if (result) out[tag] = result;
      else if (/^60[0-9A-F][02468ACE]3000$/.test(upper)) removedOverlayGroups.add(upper.slice(0, 4));
    }
    // An Overlay Plane without its Overlay Data (which the table removes) is not a valid module: the group goes.
    for (const tag of Object.keys(out)) if (removedOverlayGroups.has(tag.toUpperCase().slice(0, 4))) delete out[tag];
    return out;
  }

  /** Private blocks (group + block byte) that hold a safe element, keyed to their creator element. */
  #safePrivateBlocks(dict: DcmjsDataset): Map<string, string> {
    const blocks = new Map<string, string>();
    if (this.#profile.privateAction !== 'clean') return blocks;
    for (const tag of Object.keys(dict)) {
      const upper = tag.toUpperCase();
      const element = parseInt(upper.slice(4), 16);
      if (!(parseInt(upper.slice(0, 4), 16) & 1) || element < 0x10 || element > 0xff) continue;
      const creator = firstText(dict, tag);
      if (creator && this.#safePrivate.some((safe) => safe.creator.trim() === creator && safe.tag.slice(0, 4).toUpperCase() === upper.slice(0, 4))) {
        blocks.set(`${upper.slice(0, 4)}${upper.slice(6)}`, creator);
      }
    }
    return blocks;
  }

  /** The creator of a private element's block when the element is safe (or is that block's creator). */
  #privateBlock(tag: string, keptBlocks: Map<string, string>): string | undefined {
    const group = tag.slice(0, 4);
    const element = parseInt(tag.slice(4), 16);
    if (element >= 0x10 && element <= 0xff) return keptBlocks.get(`${group}${tag.slice(6)}`);
    if (element < 0x1000) return undefined;
    const creator = keptBlocks.get(`${group}${tag.slice(4, 6)}`);
    if (creator === undefined) return undefined;
    const wanted = `${group}XX${tag.slice(6)}`;
    return this.#safePrivate.some((safe) => safe.creator.trim() === creator && safe.tag.toUpperCase() === wanted) ? creator : undefined;
  }
}

/** PatientIdentityRemoved, DeidentificationMethod (+ codes) and what became of the dates (PS3.15 E.1.1 items 6-8, PS3.3 C.7.1.1). */
function declareDeidentification(dict: DcmjsDataset, options: DicomAnonymizeOptions): void {
  const methods = methodsUsed(options);
  dict[TAG.PatientIdentityRemoved] = { vr: 'CS', Value: ['YES'] };
  dict[TAG.DeidentificationMethod] = { vr: 'LO', Value: methods.map((method) => method.meaning) };
  dict[TAG.DeidentificationMethodCodeSequence] = {
    vr: 'SQ',
    Value: methods.map((method) => ({
      '00080100': { vr: 'SH', Value: [method.code] },
      '00080102': { vr: 'SH', Value: ['DCM'] },
      '00080104': { vr: 'LO', Value: [method.meaning] },
    })),
  };
  const temporal = options.retainLongitudinalFullDates ? 'UNMODIFIED' : options.retainLongitudinalModifiedDates ? 'MODIFIED' : 'REMOVED';
  dict[TAG.LongitudinalTemporalInformationModified] = { vr: 'CS', Value: [temporal] };
}

/** The file meta, following the new SOPInstanceUID and naming Passerelle as the writer. */
function anonymizedMeta(meta: DcmjsDataset, sopInstanceUID: string): DcmjsDataset {
  const out: DcmjsDataset = {};
  for (const [tag, element] of Object.entries(meta)) {
    if (!META_REMOVED.has(tag.toUpperCase()) && tag.toUpperCase() !== '00020000') out[tag] = element;
  }
  out[TAG.MediaStorageSOPInstanceUID] = { vr: 'UI', Value: [sopInstanceUID] };
  out[TAG.ImplementationClassUID] = { vr: 'UI', Value: [DICOM_IMPLEMENTATION.classUid] };
  out[TAG.ImplementationVersionName] = { vr: 'SH', Value: [DICOM_IMPLEMENTATION.versionName] };
  return out;
}

function requiredUid(dict: DcmjsDataset, tag: string, name: string): string {
  const value = firstText(dict, tag);
  if (!value) throw new UnreadableDicomError(`${name} is missing: the instance cannot be identified even by a new UID`);
  return value;
}

function sequenceItems(element: DcmjsElement | undefined): DcmjsDataset[] {
  return element && Array.isArray(element.Value) ? (element.Value as DcmjsDataset[]) : [];
}
