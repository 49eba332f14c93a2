/**
 * FHIR operations (`$name`), one file each holding its OperationDefinition and its handler,
 * registered in one explicit list (see `operations/index.ts`).
 * @see https://hl7.org/fhir/R4/operations.html
 */
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../http-types.ts';
import type { Repository } from '../repository.ts';
import { methodNotAllowed, notFound } from '../outcomes.ts';

export interface OperationContext {
  request: FhirRequest;
  repo: Repository;
  resourceType?: string;
  id?: string;
}

export interface Operation {
  definition: OperationDefinition;
  handle(context: OperationContext): Promise<FhirResponse>;
}

export class OperationRegistry {
  readonly #byCode = new Map<string, Operation>();

  constructor(operations: Operation[]) {
    for (const operation of operations) this.#byCode.set(operation.definition.code as string, operation);
  }

  all(): Operation[] {
    return [...this.#byCode.values()];
  }

  async invoke(code: string, context: OperationContext): Promise<FhirResponse> {
    const operation = this.#byCode.get(code);
    const { definition } = operation ?? {};
    const level = context.id ? 'instance' : context.resourceType ? 'type' : 'system';
    const fitsType = !definition?.resource?.length || (context.resourceType !== undefined && definition.resource.includes(context.resourceType as never));
    if (!operation || !definition || !definition[level] || (level !== 'system' && !fitsType)) {
      throw notFound(`Operation $${code} is not supported ${level === 'system' ? 'at the system level' : `on ${context.resourceType}${level === 'instance' ? '/[id]' : ''}`}`);
    }
    const method = context.request.method.toUpperCase();
    if (method !== 'POST' && !(method === 'GET' && definition.affectsState === false)) {
      throw methodNotAllowed(`$${code} is invoked with POST${definition.affectsState === false ? ' or GET' : ''}`);
    }
    return operation.handle(context);
  }
}
