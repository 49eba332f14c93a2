/**
 * This instance's live view of the change feed, for what is pushed to connected clients
 * (the `/events` stream, websocket subscriptions). It reads every change committed by any
 * instance, from when it started, and hands each batch to its listeners. Nothing here is
 * durable: a client that is not connected misses what happens meanwhile, as with any live view.
 */
import type { Database } from '../fhir/index.ts';
import type { Change } from './change.ts';
import { currentPosition, readChanges, type FeedPosition } from './feed-position.ts';

export type ChangeListener = (changes: Change[]) => void;

export interface LiveFeedOptions {
  pollMs?: number;
  batchSize?: number;
  onError?: (err: unknown) => void;
}

export class LiveFeed {
  readonly #db: Database;
  readonly #listeners = new Set<ChangeListener>();
  readonly #pollMs: number;
  readonly #batchSize: number;
  readonly #onError: LiveFeedOptions['onError'];
  #position: FeedPosition | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;

  constructor(db: Database, options: LiveFeedOptions = {}) {
    this.#db = db;
    this.#pollMs = options.pollMs ?? 50;
    this.#batchSize = options.batchSize ?? 1000;
    this.#onError = options.onError;
  }

  async start(): Promise<void> {
    this.#position = await currentPosition(this.#db);
    this.#schedule(this.#pollMs);
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads now rather than at the next poll (e.g. after a local commit). */
  wake(): void {
    if (this.#polling || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
      });
    }, ms);
  }

  async #poll(): Promise<void> {
    let more = false;
    try {
      const position = this.#position as FeedPosition;
      if (this.#listeners.size === 0) {
        this.#position = await currentPosition(this.#db); // nobody listens: skip ahead
      } else {
        const { changes, next } = await readChanges(this.#db, position, this.#batchSize);
        this.#position = next;
        more = changes.length === this.#batchSize;
        if (changes.length > 0) for (const listener of [...this.#listeners]) this.#notify(listener, changes);
      }
    } catch (err) {
      this.#onError?.(err);
    }
    this.#schedule(more ? 0 : this.#pollMs);
  }

  #notify(listener: ChangeListener, changes: Change[]): void {
    try {
      listener(changes);
    } catch (err) {
      this.#onError?.(err);
    }
  }
}
