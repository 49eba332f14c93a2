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
