/**
 * Writes in the background, in order, what the live path has decided to record, so that the
 * database never holds the stream back: at most `maxBatch` values per write, each write short,
 * with the event loop let through in between (PGlite runs on the server's own thread, so one long
 * transaction would stall every connection). A write that takes long gathers what came meanwhile
 * into the next (a group commit). The queue is bounded: a database that stays slower
 * than the record's rate loses the oldest waiting values, counted, rather than the server's memory.
 */
export class BackgroundWriter<V> {
  readonly #write: (values: V[]) => Promise<void>;
  readonly #maxBatch: number;
  readonly #onError: (err: unknown) => void;
  readonly #maxPending: number;
  readonly #pending: V[] = [];
  #running: Promise<void> | undefined;
  /** Values dropped because the queue was full. */
  dropped = 0;

  readonly #onDropped: (dropped: number) => void;

  constructor(options: {
    write: (values: V[]) => Promise<void>;
    maxBatch: number;
    maxPending: number;
    onError: (err: unknown) => void;
    onDropped: (dropped: number) => void;
  }) {
    this.#write = options.write;
    this.#maxBatch = options.maxBatch;
    this.#onError = options.onError;
    this.#maxPending = options.maxPending;
    this.#onDropped = options.onDropped;
  }

  put(value: V): void {
    if (this.#pending.length >= this.#maxPending) {
      this.#pending.shift();
      this.dropped++;
      this.#onDropped(this.dropped);
    }
    this.#pending.push(value);
    this.#running ??= this.#run();
  }

  /** Resolves once everything put so far has been written (or reported as failed). */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #run(): Promise<void> {
    for (;;) {
      // Let the messages that arrived meanwhile through before the next write.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#pending.length === 0) break;
      try {
        await this.#write(this.#pending.splice(0, this.#maxBatch));
      } catch (err) {
        this.#onError(err);
      }
    }
    this.#running = undefined;
  }
}
