/** Every operation the server supports. Add new ones here. */
import { OperationRegistry, type Operation } from './registry.ts';
import { validateOperation } from './validate.ts';

export function coreOperations(extra: Operation[] = []): OperationRegistry {
  return new OperationRegistry([validateOperation, ...extra]);
}

export type { Operation, OperationContext } from './registry.ts';
export { OperationRegistry } from './registry.ts';
