/**
 * The directory could not answer: unreachable, timed out, TLS refused, the service account's
 * bind refused, or a search base that does not exist. Callers answer 503 (try again later),
 * never 401: a user must not be told their password is wrong when nobody could check it.
 *
 * The message never contains a password; the underlying error, if any, is the `cause`.
 */
export class DirectoryUnavailable extends Error {
  override readonly name = 'DirectoryUnavailable';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
