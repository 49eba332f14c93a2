/**
 * Transfer syntaxes Passerelle knows by name: which ones are native (uncompressed) and which
 * encapsulate their pixel data.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#chapter_10
 */

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

const NATIVE = new Set([IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN]);

/** Whether pixel data in this syntax is native (not encapsulated in fragments). */
export function isNative(transferSyntaxUid: string): boolean {
  return NATIVE.has(transferSyntaxUid);
}
