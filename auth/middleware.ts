/**
 * Express glue of authentication and authorisation: every request under the protected paths is
 * authenticated (401 with every challenge, 429 with Retry-After, 503 when the directory or KDC is
 * gone), its principal and permissions kept in `res.locals` for the routes, the FHIR access policy
 * and the audit trail. Errors are answered in the protocol of the path: an OperationOutcome under
 * /fhir, plain text elsewhere.
 * @see https://www.rfc-editor.org/rfc/rfc7235#section-4.1
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../fhir/index.ts';
import type { Authenticator } from './authenticate.ts';
import { can, canDicomweb, canFhir, type Capability, type DicomwebAction, type FhirInteraction, type Permissions } from './permissions.ts';
import { accessPolicy } from './policy.ts';
import type { Principal } from './principal.ts';
import { permissionsOf, type RoleMap } from './roles.ts';

export interface Caller {
  principal: Principal;
  permissions: Permissions;
  access: AccessPolicy;
}

/** The authenticated caller of a request (set by `authenticate`), if any. */
export function callerOf(res: Response): Caller | undefined {
  return res.locals.caller as Caller | undefined;
}

function outcome(code: 'login' | 'forbidden' | 'throttled' | 'transient', text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

/** Answers an error in the protocol of the path: FHIR gets an OperationOutcome. */
export function refuse(req: Request, res: Response, status: number, text: string): void {
  const code = status === 401 ? 'login' : status === 403 ? 'forbidden' : status === 429 ? 'throttled' : 'transient';
  if (req.originalUrl.startsWith('/fhir')) res.status(status).type('application/fhir+json').send(JSON.stringify(outcome(code, text)));
  else res.status(status).type('text/plain').send(text);
}

export function authenticate(authenticator: Authenticator, roleMap: RoleMap): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const result = await authenticator.authenticate(req.get('authorization'), req.socket.remoteAddress ?? '');
      if (!result.ok) {
        res.locals.authFailure = result.reason;
        res.locals.attemptedUser = basicUser(req.get('authorization'));
        if (result.status === 401) res.set('WWW-Authenticate', authenticator.challenges());
        if (result.retryAfterSeconds !== undefined) res.set('Retry-After', String(result.retryAfterSeconds));
        refuse(req, res, result.status, result.reason);
        return;
      }
      if (result.wwwAuthenticate) res.set('WWW-Authenticate', result.wwwAuthenticate);
      const permissions = permissionsOf(result.principal.roles, roleMap);
      const caller: Caller = { principal: result.principal, permissions, access: accessPolicy(permissions) };
      res.locals.caller = caller;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The user name of Basic credentials (never the password), for the audit of a failed login. */
function basicUser(authorization: string | undefined): string | undefined {
  if (!authorization?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':', decoded.startsWith('client:') ? 7 : 0);
  return colon > 0 ? decoded.slice(0, colon).slice(0, 256) : undefined;
}

/** Lets the request through only when the caller has a capability (admin endpoints, HL7 ingest, ...). */
export function requireCapability(capability: Capability): RequestHandler {
  return (req, res, next) => {
    const caller = callerOf(res);
    if (caller && !can(caller.permissions, capability)) {
      refuse(req, res, 403, `your role does not allow this (${capability})`);
      return;
    }
    next();
  };
}

/** The DICOMweb action of a request: STOW store, QIDO search, WADO retrieve, DELETE delete. */
export function dicomwebAction(method: string, path: string): DicomwebAction {
  if (method === 'POST') return 'store';
  if (method === 'DELETE') return 'delete';
  // Search resources end in a level name (/studies, /studies/{s}/series, .../instances); the rest retrieve.
  return /(^|\/)(studies|series|instances)\/?$/.test(path) ? 'search' : 'retrieve';
}

export function requireDicomweb(): RequestHandler {
  return (req, res, next) => {
    const caller = callerOf(res);
    const action = dicomwebAction(req.method, req.path);
    res.locals.dicomwebAction = action;
    if (caller && !canDicomweb(caller.permissions, action)) {
      refuse(req, res, 403, `your role does not allow DICOMweb ${action}`);
      return;
    }
    next();
  };
}

/**
 * The FHIR grant an openEHR REST request needs: an EHR is the patient's record (as a Patient), a
 * COMPOSITION a clinical document (as a Composition); GET reads, POST creates. Roles thus need
 * no openEHR section of their own, and a role without patient data sees no EHR either.
 */
export function openEhrTarget(method: string, path: string): { resourceType: 'Patient' | 'Composition'; interaction: FhirInteraction } {
  const resourceType = /\/composition(\/|$)/.test(path) ? 'Composition' : 'Patient';
  return { resourceType, interaction: method === 'POST' ? 'create' : 'read' };
}

export function requireOpenEhr(): RequestHandler {
  return (req, res, next) => {
    const caller = callerOf(res);
    const { resourceType, interaction } = openEhrTarget(req.method, req.path);
    if (caller && !canFhir(caller.permissions, resourceType, interaction)) {
      refuse(req, res, 403, `your role does not allow openEHR ${interaction} (it needs FHIR ${interaction} on ${resourceType})`);
      return;
    }
    next();
  };
}
