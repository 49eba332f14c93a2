/**
 * The one error type of the openEHR routes: an HTTP status, a short machine-readable code and a
 * message, answered as JSON `{ "message", "code" }` (the ITS leaves error bodies to the server;
 * this is close to what EHRbase answers).
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/overview.html
 */
export class OpenEhrError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'OpenEhrError';
    this.status = status;
    this.code = code;
  }
}

export const badRequest = (message: string): OpenEhrError => new OpenEhrError(400, 'bad_request', message);
export const notFound = (message: string): OpenEhrError => new OpenEhrError(404, 'not_found', message);
export const conflict = (message: string): OpenEhrError => new OpenEhrError(409, 'conflict', message);
export const unsupportedMediaType = (message: string): OpenEhrError => new OpenEhrError(415, 'unsupported_media_type', message);
