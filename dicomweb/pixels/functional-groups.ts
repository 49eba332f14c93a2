/**
 * The attributes that apply to one frame of an enhanced multi-frame image: the top-level dataset,
 * overlaid by the Shared Functional Groups, overlaid by that frame's Per-Frame Functional Groups
 * (so Rescale Slope from the Pixel Value Transformation macro, Window Center from the Frame VOI
 * LUT macro, ... are found where a classic image has them).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.16
 */
import { type DicomDict, items, Tag } from './dataset.ts';

function overlay(target: DicomDict, group: DicomDict | undefined): void {
  if (group === undefined) return;
  for (const tag of Object.keys(group)) {
    // Each functional group is a sequence of one item holding the macro's attributes.
    const [item] = items(group, tag);
    if (item !== undefined) Object.assign(target, item);
  }
}

/**
 * A flat view of the attributes for frame `frameNumber` (1-based). Datasets without functional
 * groups come back unchanged.
 */
export function frameAttributes(dict: DicomDict, frameNumber: number): DicomDict {
  const shared = items(dict, Tag.SharedFunctionalGroupsSequence)[0];
  const perFrame = items(dict, Tag.PerFrameFunctionalGroupsSequence)[frameNumber - 1];
  if (shared === undefined && perFrame === undefined) return dict;
  const flat: DicomDict = { ...dict };
  overlay(flat, shared);
  overlay(flat, perFrame);
  return flat;
}
