/**
 * multipart/related for DICOMweb: a streaming reader for STOW-RS request bodies, a streaming
 * writer for WADO-RS responses, and the media-type and Accept parsing around them.
 * Pure logic over Node streams; no HTTP framework.
 * @see https://www.rfc-editor.org/rfc/rfc2387 (multipart/related)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.6.1.2
 */
export { MultipartError } from './errors.ts';
export { formatMediaType, parseAccept, parseMediaType, type MediaRange, type MediaType } from './media-type.ts';
export {
  DEFAULT_MAX_PART_HEADER_BYTES,
  DEFAULT_MAX_PREAMBLE_BYTES,
  isValidBoundary,
  MultipartFramer,
  type FramerOptions,
  type MultipartEvent,
} from './framer.ts';
export { readMultipart, readPartBody, type MultipartPart, type ReadMultipartOptions } from './parser.ts';
export { multipartContentType, randomBoundary, writeMultipart, type OutgoingPart } from './writer.ts';
