import { RETRYABLE_SQLSTATES } from '../../fhir/index.ts';

const MAX_ATTEMPTS = 5;

/**
 * Runs a transaction attempt again when PostgreSQL chose it as a deadlock victim or
 * failed it for serialization: the whole unit of work is redone, so nothing is half-written.
 */
export async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (n >= MAX_ATTEMPTS || code === undefined || !RETRYABLE_SQLSTATES.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 * n * Math.random()));
    }
  }
}
