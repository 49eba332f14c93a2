/**
 * The DICOMweb HTTP surface at /dicomweb (PS3.18): STOW-RS, QIDO-RS, WADO-RS and DELETE.
 * Thin: each route reads its URL and headers, calls the transaction's module and writes what it
 * returns; every error is a DicomwebError answered with its status and a readable reason.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#chapter_10
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Database, Queryable, Repository } from '../fhir/index.ts';
import { DicomwebError } from './errors.ts';
import type { DicomFileStore } from './file-store.ts';
import { stow } from './stow.ts';
import { deleteScope } from './delete.ts';
import { metadataText, type Scope } from './retrieve.ts';
import { acceptDicomJson } from './negotiate.ts';
import { requireUid } from './uids.ts';
import { ensureDicomwebEndpoint } from './imaging-study.ts';
import { sendInstances } from './send-instances.ts';
import { sendBulkData, sendFrames } from './send-frames.ts';
import { sendRendered } from './send-rendered.ts';
import { sendSearch } from './send-search.ts';
import type { StoreContext } from './store-study.ts';

export interface DicomwebOptions {
  db: Database;
  files: DicomFileStore;
  repositoryIn(tx: Queryable): Repository;
  /** A repository outside any transaction (for the Endpoint created on first use). */
  repository: Repository;
  /** Largest STOW-RS request body, in bytes (413 beyond). */
  maxRequestBytes: number;
  /** Public base URL of the server, if configured; otherwise each request's own. */
  publicUrl?: string;
  onUnexpectedError(err: unknown): void;
}

type Handler = (req: Request, res: Response, ctx: RouteContext) => Promise<void>;

export interface RouteContext {
  options: DicomwebOptions;
  store: StoreContext;
  /** The absolute DICOMweb base of this request (`http://host/dicomweb`). */
  baseUrl: string;
}

const STUDY = '/studies/:study';
const SERIES = `${STUDY}/series/:series`;
const INSTANCE = `${SERIES}/instances/:instance`;

export function dicomwebRouter(options: DicomwebOptions): Router {
  const router = Router();
  const store: StoreContext = { db: options.db, files: options.files, repositoryIn: options.repositoryIn };
  let endpointReady: Promise<void> | undefined;
  const ensureEndpoint = (baseUrl: string): Promise<void> => {
    endpointReady ??= ensureDicomwebEndpoint(options.repository, baseUrl).catch((err: unknown) => {
      endpointReady = undefined;
      throw err;
    });
    return endpointReady;
  };
  const route = (name: string, handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = name;
    const baseUrl = `${options.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`}/dicomweb`;
    try {
      await handler(req, res, { options, store, baseUrl });
    } catch (err) {
      if (res.headersSent) {
        // Already streaming: all that can be done is to cut the response short, so the client sees it broken.
        options.onUnexpectedError(err);
        res.destroy();
        return;
      }
      if (err instanceof DicomwebError) {
        // A request refused before its body was read: the connection cannot be reused.
        if (!req.complete) res.set('connection', 'close');
        res.status(err.status).type('text/plain').send(err.message);
        return;
      }
      next(err);
    }
  };

  const stowHandler: Handler = async (req, res, ctx) => {
    const declared = Number(req.get('content-length') ?? 0);
    if (declared > options.maxRequestBytes) throw new DicomwebError(413, `the request is larger than the limit of ${options.maxRequestBytes} bytes`);
    await ensureEndpoint(ctx.baseUrl);
    const result = await stow(ctx.store, {
      body: req,
      contentType: req.get('content-type'),
      studyUid: req.params.study === undefined ? undefined : scopeOf(req).studyUid,
      baseUrl: ctx.baseUrl,
      maxRequestBytes: options.maxRequestBytes,
    });
    res.status(result.status).type('application/dicom+json').send(JSON.stringify(result.body));
  };
  router.post('/studies', route('STOW-RS', stowHandler));
  router.post(STUDY, route('STOW-RS', stowHandler));

  router.get('/studies', route('QIDO-RS studies', (req, res, ctx) => sendSearch(req, res, ctx, 'study', {})));
  router.get('/series', route('QIDO-RS series', (req, res, ctx) => sendSearch(req, res, ctx, 'series', {})));
  router.get('/instances', route('QIDO-RS instances', (req, res, ctx) => sendSearch(req, res, ctx, 'instance', {})));
  router.get(`${STUDY}/series`, route('QIDO-RS series', (req, res, ctx) => sendSearch(req, res, ctx, 'series', { studyUid: scopeOf(req).studyUid })));
  router.get(`${STUDY}/instances`, route('QIDO-RS instances', (req, res, ctx) => sendSearch(req, res, ctx, 'instance', { studyUid: scopeOf(req).studyUid })));
  router.get(`${SERIES}/instances`, route('QIDO-RS instances', (req, res, ctx) => {
    const scope = scopeOf(req);
    return sendSearch(req, res, ctx, 'instance', { studyUid: scope.studyUid, ...(scope.seriesUid ? { seriesUid: scope.seriesUid } : {}) });
  }));

  const metadata: Handler = async (req, res, ctx) => {
    acceptDicomJson(req.get('accept'));
    res.type('application/dicom+json').send(await metadataText(options.db, scopeOf(req), ctx.baseUrl));
  };
  for (const path of [STUDY, SERIES, INSTANCE]) {
    router.get(path, route('WADO-RS retrieve', (req, res, ctx) => sendInstances(req, res, ctx, scopeOf(req))));
    router.get(`${path}/metadata`, route('WADO-RS metadata', metadata));
    router.delete(path, route('DELETE', async (req, res, ctx) => {
      await deleteScope(ctx.store, scopeOf(req));
      res.status(204).end();
    }));
  }
  router.get(`${INSTANCE}/frames/:frames`, route('WADO-RS frames', (req, res, ctx) => sendFrames(req, res, ctx, scopeOf(req), req.params.frames as string)));
  router.get(`${INSTANCE}/bulk/*path`, route('WADO-RS bulk data', (req, res, ctx) => sendBulkData(req, res, ctx, scopeOf(req), bulkPath(req))));
  router.get(`${INSTANCE}/rendered`, route('WADO-RS rendered', (req, res, ctx) => sendRendered(req, res, ctx, scopeOf(req), undefined, false)));
  router.get(`${INSTANCE}/thumbnail`, route('WADO-RS thumbnail', (req, res, ctx) => sendRendered(req, res, ctx, scopeOf(req), undefined, true)));
  router.get(`${INSTANCE}/frames/:frames/rendered`, route('WADO-RS rendered', (req, res, ctx) => sendRendered(req, res, ctx, scopeOf(req), req.params.frames as string, false)));
  router.get(`${INSTANCE}/frames/:frames/thumbnail`, route('WADO-RS thumbnail', (req, res, ctx) => sendRendered(req, res, ctx, scopeOf(req), req.params.frames as string, true)));
  return router;
}

/** The study, series and instance UIDs of the URL, each checked to be a UID (400 otherwise). */
function scopeOf(req: Request): Scope {
  const { study, series, instance } = req.params as Record<string, string | undefined>;
  return {
    studyUid: requireUid(study, 'StudyInstanceUID'),
    ...(series !== undefined ? { seriesUid: requireUid(series, 'SeriesInstanceUID') } : {}),
    ...(instance !== undefined ? { sopInstanceUid: requireUid(instance, 'SOPInstanceUID') } : {}),
  };
}

function bulkPath(req: Request): string[] {
  const path = (req.params as Record<string, unknown>).path;
  return Array.isArray(path) ? path.map(String) : String(path ?? '').split('/');
}
