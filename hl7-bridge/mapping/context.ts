/**
 * What a message mapping gets: the parsed message, the repository bound to the message's one
 * transaction, the bridge's options, and a record of what it changed (its effects), kept in the
 * message log so that a cancel (A11, A12, A13) can undo exactly what the original message did.
 */
import type { Encounter } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/index.ts';
import type { Er7Message } from '../er7/index.ts';

export interface MappingOptions {
  /** Beds and wards named in PV1-3 that are not known: create them (default) or answer AE. */
  unknownLocations: 'create' | 'reject';
  /** The v2-0116 status of a bed a patient leaves (A02, A03): U unoccupied (default) or H housekeeping. */
  releasedBedStatus: 'U' | 'H';
  /** The zone of timestamps sent without one: an IANA name (`Europe/Paris`) or an offset (`+0100`). */
  defaultTimeZone: string;
}

export const DEFAULT_MAPPING_OPTIONS: MappingOptions = { unknownLocations: 'create', releasedBedStatus: 'U', defaultTimeZone: 'UTC' };

/** One bed status change: `from` absent when the bed did not exist or had no status. */
export interface BedChange {
  bed: string;
  from?: string;
  to: string;
}

/** What applying a message changed, as the message log keeps it. */
export interface Effects {
  beds: BedChange[];
  /** The Encounter the message changed, as it was before (absent when the message created it). */
  encounter?: { id: string; before?: Encounter };
}

/** An applied message found in the log (the original a cancel undoes). */
export interface AppliedMessage {
  id: string;
  event: string;
  effects: Effects;
}

export interface MappingContext {
  readonly message: Er7Message;
  readonly repo: Repository;
  readonly options: MappingOptions;
  readonly effects: Effects;
  /** The latest applied message of one of these events (e.g. ['ADT^A01']) for the message's visit. */
  findOriginal(events: string[]): Promise<AppliedMessage | undefined>;
}

export type MessageMapping = (ctx: MappingContext) => Promise<void>;
