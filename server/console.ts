/**
 * The supervision console at /console: the production build of console/ (`npm run build:console`,
 * run by `npm start` and `npm test`), static files that hold no data (what they show comes from
 * the authenticated APIs). Until it is built, /console says how to build it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

export const CONSOLE_BUILD = join(import.meta.dirname, '..', 'console', 'dist');

export function consoleRouter(buildDir = CONSOLE_BUILD): Router {
  const router = Router();
  const index = join(buildDir, 'index.html');
  // Hashed asset names change with every build: they may be cached for good, the page may not.
  router.use('/assets', express.static(join(buildDir, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false }));
  router.get(['/', '/index.html'], (_req, res) => {
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('the console is not built: run `npm run build:console`\n');
      return;
    }
    res.set('cache-control', 'no-cache').sendFile(index);
  });
  return router;
}
