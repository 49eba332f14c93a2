/**
 * Attribute ids of QIDO-RS query parameters (PS3.18 8.3.4.1: a tag as 8 hex digits or a keyword
 * of PS3.6) resolved to their tag and VR through dcmjs's data dictionary.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.4.1
 */
import dcmjs from 'dcmjs';
import { badRequest } from '../errors.ts';

export interface AttributeRef {
  /** 8 upper-case hex digits, as keys of the DICOM JSON model. */
  tag: string;
  /** The VR from the dictionary; '' for private and unknown tags. */
  vr: string;
  /** The keyword, or the tag when it has none. */
  name: string;
}

const TAG = /^[0-9A-Fa-f]{8}$/;
const dictionary = dcmjs.data.DicomMetaDictionary;

/** dcmjs spells ambiguous VRs its own way: `xs` is US or SS, `ox` is OB or OW. */
const VR_ALIASES: Record<string, string> = { xs: 'US', ox: 'OB' };

/** A private tag (odd group): no dictionary VR, and matching needs its private creator. */
export function isPrivateTag(tag: string): boolean {
  return parseInt(tag.slice(3, 4), 16) % 2 === 1;
}

/** The dictionary entry of a tag (dcmjs lists repeating groups such as 60xx one by one). */
function entryOf(tag: string): { vr: string; name: string } | undefined {
  if (isPrivateTag(tag)) return undefined;
  const entry = dictionary.dictionary[`(${tag.slice(0, 4)},${tag.slice(4)})`];
  return entry ? { vr: VR_ALIASES[entry.vr] ?? entry.vr, name: entry.name } : undefined;
}

/** The VR a tag has in the dictionary, '' when unknown. */
export function vrOf(tag: string): string {
  return entryOf(tag)?.vr ?? '';
}

/**
 * One attribute id (`PatientName` or `00100010`). Private tags resolve with an empty VR;
 * anything else that the dictionary does not know is a 400.
 */
export function resolveAttribute(id: string): AttributeRef {
  if (TAG.test(id)) {
    const tag = id.toUpperCase();
    const entry = entryOf(tag);
    if (entry) return { tag, vr: entry.vr, name: entry.name };
    if (isPrivateTag(tag)) return { tag, vr: '', name: tag };
    throw badRequest(`unknown attribute tag ${tag}: not in the DICOM data dictionary`);
  }
  const entry = dictionary.nameMap[id];
  if (!entry) throw badRequest(`unknown attribute "${id.slice(0, 80)}": expected a DICOM keyword (e.g. PatientName) or a tag of 8 hex digits (e.g. 00100010)`);
  const tag = entry.tag.replace(/[(),]/g, '').toUpperCase();
  return { tag, vr: VR_ALIASES[entry.vr] ?? entry.vr, name: entry.name };
}

/** A dotted attribute path (`RequestAttributesSequence.ScheduledProcedureStepID`), each part resolved. */
export function resolvePath(id: string): AttributeRef[] {
  const parts = id.split('.');
  if (parts.some((part) => part === '')) throw badRequest(`malformed attribute path "${id.slice(0, 80)}"`);
  const path = parts.map(resolveAttribute);
  for (const step of path.slice(0, -1)) {
    if (step.vr !== 'SQ') throw badRequest(`${step.name} in "${id.slice(0, 80)}" is not a sequence, so nothing can be nested in it`);
  }
  return path;
}
