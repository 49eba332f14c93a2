/**
 * Runs a consumer that must see every change exactly in feed order, at least once, whatever
 * restarts: its position lives in `change_consumer`, and moves only in the transaction that
 * follows a successful delivery. Several Passerelle instances may run the same consumer: one
 * holds its lease and delivers, the others wait and take over when the lease expires.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../fhir/index.ts';
import type { Change } from './change.ts';
import { readChanges, type FeedPosition } from './feed-position.ts';
import { InterruptibleSleep } from './interruptible-sleep.ts';

export interface DurableConsumer {
  /** Names the consumer's row in `change_consumer`; keep it stable across releases. */
  readonly name: string;
  /**
   * Delivers changes, in order, inside the transaction that then records them as delivered:
   * writes made with `tx` commit with that record. Resolve only once they are delivered
   * (e.g. the broker confirmed); throw to have the same changes delivered again later.
   */
  deliver(changes: Change[], tx: Queryable): Promise<void>;
  /**
   * Deliver before, outside any transaction (`tx` is then the database itself), and record the
   * delivery afterwards: for deliveries that wait on the network (a broker's confirms), which must
   * not hold a transaction, and with it a connection (PGlite's only one), open meanwhile.
   */
  readonly outsideTransaction?: boolean;
}

export interface ConsumerRunnerOptions {
  /** Changes per delivery. */
  batchSize?: number;
  /** How often the feed is read when nothing is waiting, in ms. */
  pollMs?: number;
  /** How long a lease lasts unless renewed, in seconds. */
  leaseSeconds?: number;
  /** Told of each failed delivery; the runner retries with back-off. */
  onError?: (err: unknown, consumer: string) => void;
}

class LeaseLost extends Error {}

export class ConsumerRunner {
  readonly #db: Database;
  readonly #consumer: DurableConsumer;
  readonly #owner = randomUUID();
  readonly #batchSize: number;
  readonly #pollMs: number;
  readonly #leaseSeconds: number;
  readonly #onError: ConsumerRunnerOptions['onError'];
  #position: FeedPosition | undefined;
  /** When our lease must be renewed (local clock; the lease itself is judged by the database's). */
  #renewAt = 0;
  #failures = 0;
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly #pause = new InterruptibleSleep();

  constructor(db: Database, consumer: DurableConsumer, options: ConsumerRunnerOptions = {}) {
    this.#db = db;
    this.#consumer = consumer;
    this.#batchSize = options.batchSize ?? 500;
    this.#pollMs = options.pollMs ?? 50;
    this.#leaseSeconds = options.leaseSeconds ?? 10;
    this.#onError = options.onError;
  }

  /** Registers the consumer (starting at the feed's present the first time) and starts delivering. */
  async start(): Promise<void> {
    await this.#db.query(
      `INSERT INTO change_consumer (name, window_start) VALUES ($1, pg_snapshot_xmin(pg_current_snapshot()))
       ON CONFLICT (name) DO NOTHING`,
      [this.#consumer.name],
    );
    this.#running = this.#loop();
  }

  /** Cuts the current wait short (e.g. after a local commit). */
  wake(): void {
    this.#pause.wake();
  }

  /** Stops after the delivery in progress and gives the lease up for another instance. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.#running;
    await this.#db.query('UPDATE change_consumer SET leased_by = NULL, leased_until = NULL WHERE name = $1 AND leased_by = $2', [this.#consumer.name, this.#owner])
      .catch(() => undefined);
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let wait = this.#pollMs;
      try {
        const position = await this.#lease();
        if (!position) {
          wait = Math.max(this.#pollMs, (this.#leaseSeconds * 1000) / 4); // another instance delivers
        } else {
          const delivered = await this.#deliverNext(position);
          this.#failures = 0;
          if (delivered === this.#batchSize) wait = 0; // more may be waiting
        }
      } catch (err) {
        if (!(err instanceof LeaseLost)) this.#onError?.(err, this.#consumer.name);
        this.#position = undefined;
        this.#renewAt = 0;
        this.#failures += 1;
        wait = Math.min(30_000, 100 * 2 ** Math.min(this.#failures, 9));
      }
      if (wait > 0 && !this.#stopped) await this.#pause.sleep(wait);
    }
  }

  /** Our position if we hold the lease (taking or renewing it when due), else undefined. */
  async #lease(): Promise<FeedPosition | undefined> {
    if (this.#position && Date.now() < this.#renewAt) return this.#position;
    // Renewing reads back the recorded position, which may lag behind empty windows read since.
    const rows = await this.#db.query<{ window_start: string; window_end: string | null; last_seq: string }>(
      `UPDATE change_consumer SET leased_by = $2, leased_until = now() + make_interval(secs => $3)
       WHERE name = $1 AND (leased_by = $2 OR leased_until IS NULL OR leased_until < now())
       RETURNING window_start::text, window_end::text, last_seq::text`,
      [this.#consumer.name, this.#owner, this.#leaseSeconds],
    );
    const row = rows[0];
    if (!row) {
      this.#position = undefined;
      return undefined;
    }
    this.#renewAt = Date.now() + (this.#leaseSeconds * 1000) / 2;
    this.#position = { start: row.window_start, end: row.window_end ?? undefined, lastSeq: row.last_seq };
    return this.#position;
  }

  async #deliverNext(position: FeedPosition): Promise<number> {
    const { changes, next } = await readChanges(this.#db, position, this.#batchSize);
    if (changes.length === 0) {
      // An empty window is not recorded: that write would itself be a transaction that moves the
      // horizon, and so on forever. Re-reading an empty window after a restart costs nothing.
      this.#position = next;
      return 0;
    }
    if (this.#consumer.outsideTransaction) await this.#consumer.deliver(changes, this.#db);
    await this.#db.transaction(async (tx) => {
      if (!this.#consumer.outsideTransaction) await this.#consumer.deliver(changes, tx);
      const moved = await tx.query(
        `UPDATE change_consumer SET window_start = $3::xid8, window_end = $4::xid8, last_seq = $5, leased_until = now() + make_interval(secs => $6)
         WHERE name = $1 AND leased_by = $2 RETURNING 1`,
        [this.#consumer.name, this.#owner, next.start, next.end ?? null, next.lastSeq, this.#leaseSeconds],
      );
      if (moved.length === 0) throw new LeaseLost(`the lease on ${this.#consumer.name} passed to another instance`);
    });
    this.#position = next;
    this.#renewAt = Date.now() + (this.#leaseSeconds * 1000) / 2;
    return changes.length;
  }
}
