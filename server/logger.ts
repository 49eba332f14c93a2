/**
 * Structured JSON logs (pino). Never log resource bodies, search values or credentials:
 * request lines carry the route pattern, status and timing only.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'passerelle' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], remove: true },
  });
}

/**
 * What may be logged of an unexpected error: its kind and where it happened, not its message.
 * Database errors quote row values ("Failing row contains ..."), and other messages may carry
 * identifiers or names, so messages and details stay out of the logs.
 */
export function safeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown; table?: unknown; column?: unknown; constraint?: unknown; routine?: unknown };
  const frames = (e.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 8).map((line) => line.trim());
  return {
    type: e.name,
    code: typeof e.code === 'string' ? e.code : undefined,
    table: typeof e.table === 'string' ? e.table : undefined,
    column: typeof e.column === 'string' ? e.column : undefined,
    constraint: typeof e.constraint === 'string' ? e.constraint : undefined,
    routine: typeof e.routine === 'string' ? e.routine : undefined,
    frames,
  };
}
