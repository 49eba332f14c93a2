/**
 * Every FHIR answer that is not a resource is an OperationOutcome built here,
 * and the HTTP status of each kind of outcome is decided here and nowhere else.
 * @see https://hl7.org/fhir/R4/operationoutcome.html
 * @see https://hl7.org/fhir/R4/http.html#summary
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

const STATUS = {
  ok: 200,
  created: 201,
  deleted: 200,
  'bad-request': 400,
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'not-acceptable': 406,
  conflict: 409,
  gone: 410,
  'precondition-failed': 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'too-many-requests': 429,
  'server-error': 500,
  'not-implemented': 501,
  unavailable: 503,
} as const;

export type OutcomeKind = keyof typeof STATUS;
type IssueType = OperationOutcomeIssue['code'];

/** The one error type of the FHIR core: carries its outcome and knows its status. */
export class FhirError extends Error {
  readonly kind: OutcomeKind;
  readonly outcome: OperationOutcome;
  constructor(kind: OutcomeKind, outcome: OperationOutcome) {
    super(outcome.issue?.[0]?.diagnostics ?? outcome.issue?.[0]?.details?.text ?? kind);
    this.kind = kind;
    this.outcome = outcome;
  }
  get status(): number {
    return STATUS[this.kind];
  }
}

/** HTTP status for an outcome kind. */
export function statusOf(kind: OutcomeKind): number {
  return STATUS[kind];
}

function outcome(severity: OperationOutcomeIssue['severity'], code: IssueType, text: string, expression?: string | string[]): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, details: { text } };
  if (expression !== undefined) issue.expression = Array.isArray(expression) ? expression : [expression];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

function error(kind: OutcomeKind, code: IssueType, text: string, expression?: string | string[]): FhirError {
  return new FhirError(kind, outcome('error', code, text, expression));
}

/** An informational outcome for successful interactions (e.g. `Prefer: return=OperationOutcome`). */
export function informational(text: string): OperationOutcome {
  return outcome('information', 'informational', text);
}

export const badRequest = (details: string, expression?: string | string[]): FhirError =>
  error('bad-request', 'invalid', details, expression);
export const notFound = (details: string): FhirError => error('not-found', 'not-found', details);
export const unauthorized = (details: string): FhirError => error('unauthorized', 'login', details);
export const forbidden = (details: string): FhirError => error('forbidden', 'forbidden', details);
export const tooManyRequests = (details: string): FhirError => error('too-many-requests', 'throttled', details);
export const gone = (details: string): FhirError => error('gone', 'deleted', details);
export const conflict = (details: string): FhirError => error('conflict', 'conflict', details);
export const preconditionFailed = (details: string): FhirError => error('precondition-failed', 'conflict', details);
export const methodNotAllowed = (details: string): FhirError => error('method-not-allowed', 'not-supported', details);
export const notAcceptable = (details: string): FhirError => error('not-acceptable', 'not-supported', details);
export const unsupportedMediaType = (details: string): FhirError =>
  error('unsupported-media-type', 'not-supported', details);
export const tooLarge = (details: string): FhirError => error('too-large', 'too-costly', details);
export const notSupported = (details: string): FhirError => error('not-implemented', 'not-supported', details);
export const unavailable = (details: string): FhirError => error('unavailable', 'transient', details);
export const serverError = (): FhirError => error('server-error', 'exception', 'Internal server error');

/** A resource that failed validation: one issue per problem, each with its path. */
export function invalidResource(issues: OperationOutcomeIssue[]): FhirError {
  return new FhirError('invalid', { resourceType: 'OperationOutcome', issue: issues });
}

/** Turns anything thrown into a FhirError; unknown errors become a bare 500 (details stay in our logs). */
export function toFhirError(err: unknown): FhirError {
  return err instanceof FhirError ? err : serverError();
}
