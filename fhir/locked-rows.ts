/**
 * The current rows a transaction holds locked: those it read `FOR UPDATE` and those it wrote.
 * No other transaction can change them until this one ends, so they need not be read again: a
 * second update of the same resource, or a read after a write (a bed occupied, then counted;
 * an Encounter written twice by one HL7 message), is answered from here instead of costing a
 * round trip to the database. One instance per transaction; it must not outlive it (nor a
 * rollback to a savepoint, which releases locks taken after the savepoint).
 */
import type { Resource } from '@medplum/fhirtypes';

export interface CurrentRow {
  version_id: string;
  deleted: boolean;
  content: Resource | null;
  index_mask: number;
}

const key = (resourceType: string, id: string): string => `${resourceType}/${id}`;

export class LockedRows {
  readonly #rows = new Map<string, CurrentRow>();

  /** A copy of the locked row (callers may change what they get), undefined when not held. */
  get(resourceType: string, id: string): CurrentRow | undefined {
    const row = this.#rows.get(key(resourceType, id));
    return row && { ...row, content: row.content && structuredClone(row.content) };
  }

  /** Remembers a row this transaction now holds; keeps its own copy of the content. */
  remember(resourceType: string, id: string, row: CurrentRow): void {
    this.#rows.set(key(resourceType, id), { ...row, content: row.content && structuredClone(row.content) });
  }
}
