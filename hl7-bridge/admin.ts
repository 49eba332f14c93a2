/**
 * The message log for operators: `GET /admin/hl7/messages?status=error&_count=50` lists messages
 * newest first (metadata, status and error text, never contents), `GET /admin/hl7/messages/{id}`
 * shows one, `GET /admin/hl7/messages/{id}/raw` returns its bytes as received, and
 * `POST /admin/hl7/messages/{id}/$replay` applies it again once the cause of its error is fixed.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Database } from '../fhir/index.ts';
import { listMessages, loadMessage, type MessageStatus } from './message-log.ts';
import type { Hl7Pipeline } from './pipeline.ts';

const STATUSES = new Set<MessageStatus>(['received', 'applied', 'rejected', 'error']);
const MAX_COUNT = 1000;

export function hl7AdminRouter(options: { db: Database; pipeline: Hl7Pipeline }): Router {
  const { db, pipeline } = options;
  const router = express.Router();

  router.get('/messages', async (req: Request, res: Response) => {
    res.locals.route = 'GET /admin/hl7/messages';
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    if (status !== undefined && !STATUSES.has(status as MessageStatus)) {
      res.status(400).json({ error: `status must be one of ${[...STATUSES].join(', ')}` });
      return;
    }
    const count = Math.min(MAX_COUNT, Math.max(1, Number(req.query._count ?? 50) || 50));
    const before = typeof req.query.before === 'string' && /^\d{1,18}$/.test(req.query.before) ? req.query.before : undefined;
    const messages = await listMessages(db, { status: status as MessageStatus | undefined, before, count });
    const last = messages.at(-1);
    const next = messages.length === count && last ? `${req.baseUrl}/messages?${new URLSearchParams({ ...(status ? { status } : {}), _count: String(count), before: last.id })}` : undefined;
    res.json({ messages, ...(next ? { next } : {}) });
  });

  /** The logged message of the path's id, or a 404 already sent. */
  async function messageOr404(req: Request, res: Response): Promise<Awaited<ReturnType<typeof loadMessage>>> {
    const message = await loadMessage(db, String(req.params.id));
    if (!message) res.status(404).json({ error: 'no such message' });
    return message;
  }

  router.get('/messages/:id', async (req: Request, res: Response) => {
    res.locals.route = 'GET /admin/hl7/messages/{id}';
    const message = await messageOr404(req, res);
    if (!message) return;
    const { raw: _raw, patientKey: _key, ...metadata } = message;
    res.json(metadata);
  });

  router.get('/messages/:id/raw', async (req: Request, res: Response) => {
    res.locals.route = 'GET /admin/hl7/messages/{id}/raw';
    const message = await messageOr404(req, res);
    if (message) res.type('x-application/hl7-v2+er7').send(message.raw);
  });

  router.post('/messages/:id/\\$replay', async (req: Request, res: Response) => {
    res.locals.route = 'POST /admin/hl7/messages/{id}/$replay';
    const result = await pipeline.replay(String(req.params.id));
    if (!result) {
      res.status(404).json({ error: 'no such message' });
      return;
    }
    res.json({ id: result.id, status: result.status, ack: result.ack?.toString('latin1') });
  });
  return router;
}
