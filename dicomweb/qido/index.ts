/**
 * QIDO-RS, the Search Transaction of the Studies Service (PS3.18 10.6): parse a request once,
 * run it against the DICOM index in one SQL statement, answer DICOM JSON datasets.
 * The index stores person names folded with foldPersonName, which matching relies on.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
 */
export { parseQidoRequest, QIDO_MAX_RESULTS, type QidoLevel, type QidoRequest, type QidoScope, type MatchKey } from './request.ts';
export type { Matcher, TemporalForm } from './matchers.ts';
export { searchDicom, searchWarnings, type SearchResult } from './execute.ts';
export { foldPersonName } from './person-name.ts';
