/**
 * Why an instance was not stored, as the FailureReason (0008,1197) of a STOW-RS response.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5.3
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2.3
 */
export const FAILURE_REASON = {
  processingFailure: 0x0110,
  sopClassNotSupported: 0x0122,
  outOfResources: 0xa700,
  /** The instance does not belong where it was sent (e.g. another study than the URL's). */
  dataSetDoesNotMatch: 0xa900,
  cannotUnderstand: 0xc000,
} as const;

export class StoreFailure extends Error {
  readonly reason: number;

  constructor(reason: number, message: string) {
    super(message);
    this.name = 'StoreFailure';
    this.reason = reason;
  }
}

export const cannotUnderstand = (message: string): StoreFailure => new StoreFailure(FAILURE_REASON.cannotUnderstand, message);
