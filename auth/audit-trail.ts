/**
 * The audit trail: every access to /fhir, /dicomweb, /hl7, /admin and /auth, allowed or refused,
 * becomes a FHIR AuditEvent (IHE Basic Audit Log Patterns, auth/audit-event.ts) in the same
 * store, written when the response is finished, whatever its status. Written by the server
 * through the repository directly: no API can change or delete one (auth/permissions.ts).
 * @see https://profiles.ihe.net/ITI/BALP/
 */
import type { RequestHandler, Response } from 'express';
import type { Repository } from '../fhir/index.ts';
import { auditEvent, type AccessChannel, type AccessOutcome, type AccessRecord, type AuditSource } from './audit-event.ts';
import { callerOf, dicomwebAction, openEhrTarget } from './middleware.ts';

export interface AuditTrailOptions {
  repo: Repository;
  source: AuditSource;
  /** Called when an AuditEvent cannot be written (the response is gone by then). */
  onError(err: unknown): void;
}

const CHANNELS: Record<string, AccessChannel> = { fhir: 'fhir', dicomweb: 'dicomweb', openehr: 'openehr', hl7: 'hl7', admin: 'admin', auth: 'auth' };

export function auditTrail(options: AuditTrailOptions): RequestHandler {
  return (req, res, next) => {
    const channel = CHANNELS[req.path.split('/')[1] ?? ''];
    if (channel) {
      // Taken now: routers mounted on a path rewrite req.url while they handle the request.
      const target = { method: req.method, path: req.path, originalUrl: req.originalUrl, address: req.socket.remoteAddress ?? '' };
      res.on('finish', () => {
        const record = accessRecord(target, res, channel);
        options.repo.create(auditEvent(record, options.source)).catch(options.onError);
      });
    }
    next();
  };
}

function outcomeOf(status: number): AccessOutcome {
  if (status < 400) return 'success';
  return status < 500 ? 'minor' : 'serious';
}

/** What is kept of a request for its AuditEvent. */
export interface RequestTarget {
  method: string;
  /** The full path, `/fhir/Patient/1`. */
  path: string;
  originalUrl: string;
  address: string;
}

/** What a finished request did, in the terms of the AuditEvent. */
export function accessRecord(req: RequestTarget, res: Response, channel: AccessChannel): AccessRecord {
  const caller = callerOf(res);
  const [, , ...rest] = req.path.split('/');
  const record: AccessRecord = {
    principal: caller?.principal,
    ...(res.locals.attemptedUser ? { attemptedUser: String(res.locals.attemptedUser) } : {}),
    address: req.address,
    channel,
    interaction: channel,
    outcome: outcomeOf(res.statusCode),
    at: new Date(),
  };
  if (res.statusCode >= 400) record.outcomeText = String(res.locals.authFailure ?? `HTTP ${res.statusCode}`);
  const query = req.originalUrl.split('?')[1];
  if (query) record.query = `${req.method} ${req.path}?${query}`;
  if (channel === 'fhir') Object.assign(record, fhirTarget(req.method, rest));
  if (channel === 'dicomweb') {
    record.interaction = (res.locals.dicomwebAction as string | undefined) ?? dicomwebAction(req.method, `/${rest.join('/')}`);
    if (rest[0] === 'studies' && rest[1]) record.studyUid = rest[1];
  }
  if (channel === 'openehr') record.interaction = openEhrTarget(req.method, req.path).interaction;
  if (channel === 'auth') record.interaction = rest[0] === 'token' ? 'token' : 'login';
  if (channel === 'hl7') record.interaction = 'ingest';
  if (channel === 'admin') record.interaction = rest.slice(0, 2).join('/') || 'admin';
  return record;
}

/** The interaction, type, id and operation of a FHIR path (`/Patient/1/_history/2`, `/Location/$find-available-beds`). */
function fhirTarget(method: string, segments: string[]): Partial<AccessRecord> {
  const [type, id, third] = segments.filter((s) => s !== '');
  const operation = [type, id, third].find((s) => s?.startsWith('$'));
  if (operation) return { interaction: 'operation', operation, ...(type && !type.startsWith('$') ? { resourceType: type } : {}), ...(id && !id.startsWith('$') ? { id } : {}) };
  if (!type) return { interaction: method === 'POST' ? 'transaction' : 'search' };
  if (type === 'metadata') return { interaction: 'capabilities' };
  if (type === '_history') return { interaction: 'history' };
  const target = {
    resourceType: type,
    ...(id && !id.startsWith('_') ? { id } : {}),
    ...(type === 'Patient' && id && !id.startsWith('_') ? { patient: `Patient/${id}` } : {}),
  };
  if (id === '_history' || third === '_history') return { ...target, interaction: segments[3] ? 'vread' : 'history' };
  if (id === '_search') return { ...target, interaction: 'search' };
  if (id === undefined) return { ...target, interaction: TYPE_LEVEL[method] ?? 'search' };
  return { ...target, interaction: INSTANCE_LEVEL[method] ?? method.toLowerCase() };
}

const TYPE_LEVEL: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
const INSTANCE_LEVEL: Record<string, string> = { GET: 'read', HEAD: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
