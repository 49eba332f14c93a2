/**
 * The one error type of the DICOMweb routes: an HTTP status and a reason a client can read,
 * answered as text (PS3.18 8.6.1 leaves error payloads to the origin server).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.6.1
 */
export class DicomwebError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'DicomwebError';
    this.status = status;
  }
}

export const badRequest = (message: string): DicomwebError => new DicomwebError(400, message);
export const notFound = (message: string): DicomwebError => new DicomwebError(404, message);
export const notAcceptable = (message: string): DicomwebError => new DicomwebError(406, message);
export const unsupportedMediaType = (message: string): DicomwebError => new DicomwebError(415, message);
