/**
 * The one error type of the multipart/related parser: a request body that does not follow
 * RFC 2046 5.1.1, with a message a client can read (the STOW-RS route answers it with 400).
 * Errors of the source stream itself (a reset connection) are passed through unchanged.
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5.1.2
 */
export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}
