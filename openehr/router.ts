/**
 * The openEHR REST API (ITS-REST, EHR API), the EHR and COMPOSITION resources only, mounted at
 * /openehr/v1. Thin: each route checks its URL and body, calls the store and writes the answer;
 * every refusal is an OpenEhrError answered as JSON `{ message, code }`.
 *
 * Subjects and FHIR: an EHR's subject is EHR_STATUS.subject.external_ref, `id.value` within
 * `namespace`. To tie an EHR to a FHIR Patient, send the Patient's identifier there: `namespace` =
 * Identifier.system, `id.value` = Identifier.value. `GET /ehr?subject_id=&subject_namespace=`
 * and the export (`listCompositionsOfSubjects`) then find it from the Patient.
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/ehr.html
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Database } from '../fhir/index.ts';
import { OpenEhrError, badRequest, conflict, notFound, unsupportedMediaType } from './errors.ts';
import { compositionOf, ehrStatusOf, isUuid, parseUidBasedId } from './documents.ts';
import { commitComposition, compositionById, createEhr, ehrById, ehrOfSubject, type CompositionRecord, type EhrRecord } from './store.ts';

export interface OpenEhrOptions {
  db: Database;
  /** This server's openEHR system id: the middle part of every version uid it assigns. */
  systemId: string;
  /** Public base URL of the server, if configured; otherwise each request's own (for Location). */
  publicUrl?: string;
  onUnexpectedError(err: unknown): void;
}

/** The media types the ITS uses for canonical JSON (and EHRbase also accepts). */
const JSON_TYPES = ['application/json', 'application/openehr+json'];
const MAX_BODY = '5mb';

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * The Express router of the openEHR REST API: `POST /ehr`, `GET /ehr/{ehr_id}`,
 * `GET /ehr?subject_id=&subject_namespace=`, `GET /ehr/{ehr_id}/ehr_status`,
 * `POST /ehr/{ehr_id}/composition` and `GET /ehr/{ehr_id}/composition/{uid_based_id}`.
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/ehr.html
 */
export function openehrRouter(options: OpenEhrOptions): Router {
  const { db, systemId } = options;
  const router = Router();
  const route = (name: string, handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = `openEHR ${name}`;
    try {
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };
  const base = (req: Request): string => `${options.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`}${req.baseUrl}`;
  // The body only when a body was sent: POST /ehr may come without one.
  const body = (req: Request): unknown => (req.body === undefined || !hasBody(req) ? undefined : req.body);

  router.post(['/ehr', '/ehr/:ehr_id/composition'], requireJson, express.json({ limit: MAX_BODY, type: JSON_TYPES }));

  router.post('/ehr', route('create EHR', async (req, res) => {
    const ehr = await createEhr(db, systemId, ehrStatusOf(body(req)));
    if (!ehr) throw conflict('An EHR already exists for this subject (subject_id, subject_namespace)');
    res.status(201).location(`${base(req)}/ehr/${ehr.ehrId}`).set('ETag', `"${ehr.ehrId}"`);
    sendPreferred(req, res, ehrJson(ehr, systemId), { ehr_id: { value: ehr.ehrId } });
  }));

  router.get('/ehr', route('get EHR by subject', async (req, res) => {
    const { subject_id: id, subject_namespace: namespace } = req.query;
    if (typeof id !== 'string' || typeof namespace !== 'string' || id === '' || namespace === '') {
      throw badRequest('subject_id and subject_namespace are both required, once each');
    }
    const ehr = await ehrOfSubject(db, namespace, id);
    if (!ehr) throw notFound(`No EHR for subject ${id} in namespace ${namespace}`);
    res.set('ETag', `"${ehr.ehrId}"`).json(ehrJson(ehr, systemId));
  }));

  router.get('/ehr/:ehr_id', route('get EHR', async (req, res) => {
    const ehr = await existingEhr(req);
    res.set('ETag', `"${ehr.ehrId}"`).json(ehrJson(ehr, systemId));
  }));

  router.get('/ehr/:ehr_id/ehr_status', route('get EHR_STATUS', async (req, res) => {
    const ehr = await existingEhr(req);
    if (req.query.version_at_time !== undefined) throw badRequest('version_at_time is not supported: there is only the first version');
    res.set('ETag', `"${ehr.ehrStatus.uid?.value ?? ''}"`).json(ehr.ehrStatus);
  }));

  router.post('/ehr/:ehr_id/composition', route('create COMPOSITION', async (req, res) => {
    const ehrId = ehrIdOf(req);
    const composition = compositionOf(body(req));
    const committed = await commitComposition(db, ehrId, systemId, composition);
    if (!committed) throw notFound(`EHR ${ehrId} not found`);
    res.status(201).location(`${base(req)}/ehr/${ehrId}/composition/${committed.uid}`).set('ETag', `"${committed.uid}"`);
    sendPreferred(req, res, committed.composition, { uid: { value: committed.uid } });
  }));

  router.get('/ehr/:ehr_id/composition/:uid_based_id', route('get COMPOSITION', async (req, res) => {
    const id = parseUidBasedId(String(req.params.uid_based_id));
    const ehr = await existingEhr(req);
    const found = await compositionById(db, ehr.ehrId, id.uuid);
    // A version uid must name this very version: same system, same version number.
    if (!found || (id.system !== undefined && found.uid !== `${id.uuid}::${id.system}::${id.version}`)) {
      throw notFound(`COMPOSITION ${String(req.params.uid_based_id)} not found in EHR ${ehr.ehrId}`);
    }
    sendComposition(res, found);
  }));

  async function existingEhr(req: Request): Promise<EhrRecord> {
    const ehrId = ehrIdOf(req);
    const ehr = await ehrById(db, ehrId);
    if (!ehr) throw notFound(`EHR ${ehrId} not found`);
    return ehr;
  }

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = knownError(err);
    if (!known) options.onUnexpectedError(err);
    const answer = known ?? new OpenEhrError(500, 'internal_error', 'The request could not be completed');
    // Refused before its body was read: the connection cannot be reused.
    if (!req.complete) res.set('connection', 'close');
    res.status(answer.status).json({ message: answer.message, code: answer.code });
  });
  return router;
}

/** The EHR resource; ehr_status is a reference to the EHR_STATUS version, as in the ITS. */
function ehrJson(ehr: EhrRecord, systemId: string): Record<string, unknown> {
  return {
    system_id: { value: systemId },
    ehr_id: { value: ehr.ehrId },
    ehr_status: { id: { _type: 'OBJECT_VERSION_ID', value: ehr.ehrStatus.uid?.value }, namespace: 'local', type: 'EHR_STATUS' },
    time_created: { value: ehr.timeCreated },
  };
}

function sendComposition(res: Response, record: CompositionRecord): void {
  res.set('ETag', `"${record.uid}"`).set('Last-Modified', new Date(record.committedAt).toUTCString()).json(record.composition);
}

/**
 * 201 with the body the client asked for in `Prefer`: the resource (return=representation), its
 * identifiers (return=identifier) or nothing (return=minimal, the default).
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/overview.html
 */
function sendPreferred(req: Request, res: Response, representation: unknown, identifier: unknown): void {
  const prefer = (req.get('prefer') ?? '').split(',').map((p) => p.trim().toLowerCase());
  if (prefer.includes('return=representation')) res.json(representation);
  else if (prefer.includes('return=identifier')) res.json(identifier);
  else res.end();
}

function ehrIdOf(req: Request): string {
  const ehrId = String(req.params.ehr_id);
  if (!isUuid(ehrId)) throw badRequest(`ehr_id ${ehrId} is not a UUID`);
  return ehrId.toLowerCase();
}

const hasBody = (req: Request): boolean => req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;

/** 415 for a body that is not canonical JSON; a request without a body passes (POST /ehr). */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  if (hasBody(req) && !req.is(JSON_TYPES)) next(unsupportedMediaType(`Content-Type ${req.get('content-type') ?? '(none)'} is not supported; send application/json`));
  else next();
}

/** Our own errors, and body-parser's (bad JSON, too large), which carry a status of their own. */
function knownError(err: unknown): OpenEhrError | undefined {
  if (err instanceof OpenEhrError) return err;
  const parser = err as { type?: unknown; status?: unknown };
  if (parser.type === 'entity.parse.failed') return badRequest('The body is not valid JSON');
  if (parser.type === 'entity.too.large') return new OpenEhrError(413, 'payload_too_large', `The body is larger than ${MAX_BODY}`);
  if (typeof parser.type === 'string' && typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
    return new OpenEhrError(parser.status, 'bad_request', 'The body could not be read');
  }
  return undefined;
}
