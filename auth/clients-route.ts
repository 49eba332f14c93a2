/**
 * Admin endpoints for service accounts (HL7 feeds, DICOM senders, dispatch software): their
 * long-lived client credentials, managed at /admin/clients. A secret is shown once, when the
 * account is created or its secret rotated; only its hash is kept.
 */
import express, { Router } from 'express';
import type { Database } from '../fhir/index.ts';
import type { RoleMap } from './roles.ts';
import { createClient, disableClient, getClient, listClients, rotateSecret } from './service-accounts.ts';

export function clientsRouter(db: Database, roleMap: RoleMap): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.locals.route = 'GET /admin/clients';
    res.json(await listClients(db));
  });
  router.post('/', express.json({ limit: '16kb' }), async (req, res) => {
    res.locals.route = 'POST /admin/clients';
    const body = (req.body ?? {}) as { description?: unknown; roles?: unknown; clientId?: unknown };
    const roles = Array.isArray(body.roles) ? body.roles.filter((r): r is string => typeof r === 'string') : [];
    const unknown = roles.filter((role) => !roleMap.roles.has(role));
    if (typeof body.description !== 'string' || roles.length === 0 || unknown.length > 0) {
      res.status(400).type('text/plain').send(
        unknown.length > 0 ? `unknown roles: ${unknown.join(', ')}` : 'a service account needs a "description" (text) and "roles" (a non-empty list)',
      );
      return;
    }
    const credentials = await createClient(db, { description: body.description, roles, ...(typeof body.clientId === 'string' ? { clientId: body.clientId } : {}) });
    res.status(201).set('Cache-Control', 'no-store').json(credentials);
  });
  router.get('/:id', async (req, res) => {
    res.locals.route = 'GET /admin/clients/{id}';
    const client = await getClient(db, req.params.id);
    if (!client) res.status(404).type('text/plain').send('no such service account');
    else res.json(client);
  });
  router.post('/:id/\\$disable', async (req, res) => {
    res.locals.route = 'POST /admin/clients/{id}/$disable';
    if (await disableClient(db, req.params.id)) res.status(204).end();
    else res.status(404).type('text/plain').send('no such service account');
  });
  router.post('/:id/\\$rotate', async (req, res) => {
    res.locals.route = 'POST /admin/clients/{id}/$rotate';
    const credentials = await rotateSecret(db, req.params.id);
    if (!credentials) res.status(404).type('text/plain').send('no such service account');
    else res.set('Cache-Control', 'no-store').json(credentials);
  });
  return router;
}
