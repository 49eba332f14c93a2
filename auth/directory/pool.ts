/**
 * A small pool of directory sessions, each lent to one operation at a time (LDAP forbids
 * overlapping binds on a connection, RFC 4511 section 4.2.1). Sessions are opened on demand
 * up to `size`, reused while healthy, and dropped when broken or idle too long: servers close
 * idle connections themselves (Active Directory after 15 minutes by default), and a session
 * we drop first is one fewer 503 for the user who would have drawn it.
 */
import { DirectoryUnavailable } from './errors.ts';

export interface Poolable {
  readonly usable: boolean;
  lastUsed: number;
  close(): void;
}

export class SessionPool<S extends Poolable> {
  readonly #open: () => Promise<S>;
  readonly #size: number;
  readonly #idleMs: number;
  /** Most recently used last: the next operation takes the warmest session. */
  readonly #idle: S[] = [];
  readonly #waiting: Array<() => void> = [];
  /** Sessions open, opening or lent out. */
  #count = 0;
  #closed = false;

  constructor(open: () => Promise<S>, options: { size: number; idleMs: number }) {
    this.#open = open;
    this.#size = Math.max(1, options.size);
    this.#idleMs = options.idleMs;
  }

  /** Lends a session to `operation` and takes it back afterwards, whatever happens. */
  async use<T>(operation: (session: S) => Promise<T>): Promise<T> {
    const session = await this.#acquire();
    try {
      return await operation(session);
    } finally {
      this.#release(session);
    }
  }

  /** Closes every idle session now and each lent one when it comes back; later calls fail. */
  close(): void {
    this.#closed = true;
    for (const session of this.#idle.splice(0)) this.#discard(session);
    for (const wake of this.#waiting.splice(0)) wake();
  }

  #fresh(session: S): boolean {
    return session.usable && Date.now() - session.lastUsed < this.#idleMs;
  }

  async #acquire(): Promise<S> {
    for (;;) {
      if (this.#closed) throw new DirectoryUnavailable('the LDAP directory client is closed');
      const idle = this.#idle.pop();
      if (idle) {
        if (this.#fresh(idle)) return idle;
        this.#discard(idle);
        continue;
      }
      if (this.#count < this.#size) {
        this.#count++;
        try {
          return await this.#open();
        } catch (error) {
          this.#count--;
          this.#waiting.shift()?.();
          throw error;
        }
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(session: S): void {
    if (!this.#closed && session.usable) this.#idle.push(session);
    else this.#discard(session);
    this.#waiting.shift()?.();
  }

  #discard(session: S): void {
    this.#count--;
    session.close();
  }
}
