/**
 * The options of the Basic Application Level Confidentiality Profile that Passerelle offers,
 * each tied to its column of Table E.1-1 (the data that drives the profile) and to its CID 7050
 * code, which is written into DeidentificationMethodCodeSequence when the option is used.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/sect_E.3.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_7050.html
 */

/** A private element to keep: its block's private creator and its tag with `xx` for the block. */
export interface SafePrivateTag {
  /** The Private Creator value (gggg,00xx) that reserves the block, e.g. `SIEMENS CSA HEADER`. */
  creator: string;
  /** Eight hex digits with `xx` where the block number goes, e.g. `0029xx08`. */
  tag: string;
}

export interface DicomAnonymizeOptions {
  /** Dates (DA, DT) move by the patient's date shift; times of day stay (E.3.6). Default on. */
  retainLongitudinalModifiedDates: boolean;
  /** Dates and times stay as they are (E.3.6). Exclusive with the modified dates. Default off. */
  retainLongitudinalFullDates: boolean;
  /** Sex, age, size, weight, smoking and pregnancy status... stay (E.3.7). Default off. */
  retainPatientCharacteristics: boolean;
  /** Station name, device serial numbers... stay; AE titles get a keyed pseudonym (E.3.8). Default off. */
  retainDeviceIdentity: boolean;
  /** Institution name, address and department stay (E.3.9). Default off. */
  retainInstitutionIdentity: boolean;
  /** UIDs stay; by default they are replaced deterministically by 2.25 UIDs (E.3.4). Default off. */
  retainUids: boolean;
  /** Descriptions are cleaned rather than removed: see `cleanValue` in actions.ts (E.3.5). Default off. */
  cleanDescriptors: boolean;
  /** Private elements known to carry no identity; every other private element goes (E.3.10). */
  safePrivate: SafePrivateTag[];
  /** Instances declaring BurnedInAnnotation YES are refused unless this is set (we do not clean pixels). */
  allowBurnedInAnnotation: boolean;
}

export const DEFAULT_DICOM_ANONYMIZE_OPTIONS: Readonly<DicomAnonymizeOptions> = Object.freeze({
  retainLongitudinalModifiedDates: true,
  retainLongitudinalFullDates: false,
  retainPatientCharacteristics: false,
  retainDeviceIdentity: false,
  retainInstitutionIdentity: false,
  retainUids: false,
  cleanDescriptors: false,
  safePrivate: [],
  allowBurnedInAnnotation: false,
});

/** The Table E.1-1 option columns, as named in the shipped table (confidentiality-profile.json). */
export type OptionColumn =
  | 'rtnLongModifDatesOpt'
  | 'rtnLongFullDatesOpt'
  | 'rtnPatCharsOpt'
  | 'rtnDevIdOpt'
  | 'rtnInstIdOpt'
  | 'rtnUIDsOpt'
  | 'cleanDescOpt'
  | 'rtnSafePrivOpt';

export interface CodedMethod {
  code: string;
  meaning: string;
}

type BooleanOption = Exclude<keyof DicomAnonymizeOptions, 'safePrivate' | 'allowBurnedInAnnotation'>;

/** Each option's table column and its CID 7050 code, in the order they are declared in the output. */
export const OPTION_COLUMNS: ReadonlyArray<{ option: BooleanOption; column: OptionColumn } & CodedMethod> = [
  { option: 'cleanDescriptors', column: 'cleanDescOpt', code: '113105', meaning: 'Clean Descriptors Option' },
  { option: 'retainLongitudinalFullDates', column: 'rtnLongFullDatesOpt', code: '113106', meaning: 'Retain Longitudinal Temporal Information Full Dates Option' },
  { option: 'retainLongitudinalModifiedDates', column: 'rtnLongModifDatesOpt', code: '113107', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
  { option: 'retainPatientCharacteristics', column: 'rtnPatCharsOpt', code: '113108', meaning: 'Retain Patient Characteristics Option' },
  { option: 'retainDeviceIdentity', column: 'rtnDevIdOpt', code: '113109', meaning: 'Retain Device Identity Option' },
  { option: 'retainUids', column: 'rtnUIDsOpt', code: '113110', meaning: 'Retain UIDs Option' },
  { option: 'retainInstitutionIdentity', column: 'rtnInstIdOpt', code: '113112', meaning: 'Retain Institution Identity Option' },
];

export const BASIC_PROFILE: CodedMethod = { code: '113100', meaning: 'Basic Application Confidentiality Profile' };
export const SAFE_PRIVATE: CodedMethod = { code: '113111', meaning: 'Retain Safe Private Option' };

/** The defaults with the caller's choices on top, checked once. */
export function resolveOptions(options: Partial<DicomAnonymizeOptions> = {}): DicomAnonymizeOptions {
  const resolved = { ...DEFAULT_DICOM_ANONYMIZE_OPTIONS, ...options, safePrivate: [...(options.safePrivate ?? [])] };
  if (options.retainLongitudinalFullDates && options.retainLongitudinalModifiedDates === undefined) resolved.retainLongitudinalModifiedDates = false;
  if (resolved.retainLongitudinalFullDates && resolved.retainLongitudinalModifiedDates) {
    throw new RangeError('retainLongitudinalFullDates and retainLongitudinalModifiedDates exclude each other: dates are either kept or shifted');
  }
  for (const safe of resolved.safePrivate) {
    if (!/^[0-9A-F]{3}[13579BDF]XX[0-9A-F]{2}$/i.test(safe.tag) || !safe.creator.trim()) {
      throw new RangeError(`a safe private tag is an odd group, "xx" for the block and an element byte (e.g. 0029xx08) with its creator, not "${safe.tag}"`);
    }
  }
  return resolved;
}

/** The CID 7050 codes of the profile and the options in use, for DeidentificationMethodCodeSequence. */
export function methodsUsed(options: DicomAnonymizeOptions): CodedMethod[] {
  const used: CodedMethod[] = [BASIC_PROFILE];
  for (const entry of OPTION_COLUMNS) if (options[entry.option]) used.push({ code: entry.code, meaning: entry.meaning });
  if (options.safePrivate.length > 0) used.push(SAFE_PRIVATE);
  return used;
}
