/**
 * Coalesces independent writes that arrive in the same event-loop turn (concurrent plain creates)
 * into one write statement: one round trip and one commit for the group instead of one each.
 * Every caller is answered only after the group's commit. If the group fails, each member is
 * written again on its own, so one bad write cannot fail its neighbours.
 */
import type { VersionWrite } from './write-statement.ts';

interface Pending {
  writes: VersionWrite[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WriteBatcher {
  readonly #store: (writes: VersionWrite[]) => Promise<void>;
  readonly #maxWrites: number;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(store: (writes: VersionWrite[]) => Promise<void>, maxWrites = 200) {
    this.#store = store;
    this.#maxWrites = maxWrites;
  }

  /** Resolves once `writes` are committed (with whatever else arrived in the same turn). */
  write(writes: VersionWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ writes, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.#queue.length > 0 && (batch.length === 0 || size + (this.#queue[0] as Pending).writes.length <= this.#maxWrites)) {
        const next = this.#queue.shift() as Pending;
        batch.push(next);
        size += next.writes.length;
      }
      void this.#run(batch);
    }
  }

  async #run(batch: Pending[]): Promise<void> {
    try {
      await this.#store(batch.flatMap((p) => p.writes));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length === 1) {
        (batch[0] as Pending).reject(err);
        return;
      }
      for (const p of batch) this.#store(p.writes).then(p.resolve, p.reject);
    }
  }
}
