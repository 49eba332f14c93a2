/**
 * Why an OpenIGTLink message cannot be read. `status` is the STATUS code the server answers with
 * where the protocol has one (9 checksum error, 17 unknown version, 12 unknown instruction...).
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/status.md
 */
export const STATUS_CODE = {
  ok: 1,
  unknownError: 2,
  notFound: 4,
  checksumError: 9,
  configError: 10,
  resourceError: 11,
  unknownInstruction: 12,
  unknownVersion: 17,
} as const;

export class IgtlDecodeError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
