/**
 * HL7 v2 over HTTP: `POST /hl7/v2` with an ER7 message as the body (`x-application/hl7-v2+er7`,
 * `application/hl7-v2` or `text/plain`) answers 200 with the acknowledgement (whatever its code:
 * the ACK says what happened), 204 when the sender asked for none (MSH-15/16 NE), 413 beyond the
 * size limit, 415 for another media type, 503 when the message could not be stored (send it again).
 * The same pipeline as MLLP, so the same message gets the same answer whichever way it came.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Hl7Pipeline } from './pipeline.ts';

const ER7_TYPES = new Set(['x-application/hl7-v2+er7', 'application/hl7-v2', 'application/hl7-v2+er7', 'text/plain', 'application/edi-hl7']);

export function hl7HttpRouter(options: { pipeline: Hl7Pipeline; maxMessageBytes: number }): Router {
  const router = express.Router();
  router.post('/', express.raw({ type: () => true, limit: options.maxMessageBytes }), async (req: Request, res: Response) => {
    res.locals.route = 'POST /hl7/v2';
    const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!ER7_TYPES.has(type)) {
      res.status(415).type('text/plain').send(`Content-Type ${type || '(none)'} is not an HL7 v2 ER7 type; send x-application/hl7-v2+er7`);
      return;
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const result = await options.pipeline.receive(body, 'http');
      res.set('X-Hl7-Message-Id', result.id);
      if (!result.ack) {
        res.status(204).end();
        return;
      }
      res.status(200).type('x-application/hl7-v2+er7').send(result.ack);
    } catch {
      res.status(503).type('text/plain').send('The message could not be stored; send it again');
    }
  });
  router.use((err: { type?: string }, _req: Request, res: Response, _next: express.NextFunction) => {
    res.locals.route = 'POST /hl7/v2';
    if (err.type === 'entity.too.large') res.status(413).type('text/plain').send(`The message is larger than ${options.maxMessageBytes} bytes`);
    else res.status(400).type('text/plain').send('The request body could not be read');
  });
  return router;
}
