/**
 * Operation input: from the query string of a GET, or a Parameters body of a POST.
 * @see https://hl7.org/fhir/R4/operations.html#request
 */
import type { Parameters } from '@medplum/fhirtypes';
import { badRequest, type FhirRequest } from '../../fhir/index.ts';

export class OperationInput {
  readonly #values = new Map<string, string>();

  constructor(request: FhirRequest) {
    for (const [name, value] of request.query) this.#values.set(name, value);
    const body = request.body as Parameters | undefined;
    if (body?.resourceType === 'Parameters') {
      for (const p of body.parameter ?? []) {
        const value = p.valueDecimal ?? p.valueInteger ?? p.valueString ?? p.valueCode ?? p.valueUri ?? p.valueBoolean;
        if (p.name && value !== undefined) this.#values.set(p.name, String(value));
        const coding = p.valueCoding;
        if (p.name && coding?.code) this.#values.set(p.name, coding.system ? `${coding.system}|${coding.code}` : coding.code);
      }
    }
  }

  string(name: string): string | undefined {
    const value = this.#values.get(name);
    return value === '' ? undefined : value;
  }

  number(name: string, options: { required?: boolean; min?: number; max?: number; fallback?: number } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) {
      if (options.fallback !== undefined && !options.required) return options.fallback;
      throw badRequest(`The "${name}" parameter is required`, name);
    }
    const value = Number(raw);
    const { min = -Infinity, max = Infinity } = options;
    if (!Number.isFinite(value) || value < min || value > max) throw badRequest(`"${name}" must be a number from ${min} to ${max}, not "${raw}"`, name);
    return value;
  }
}
