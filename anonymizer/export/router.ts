/**
 * The FHIR Bulk Data Access routes, mounted on /fhir ahead of the FHIR router:
 * - kick-off `GET [base]/$export`, `[base]/Patient/$export`, `[base]/Group/{id}/$export`
 *   (Prefer: respond-async) -> 202 with Content-Location, the status URL;
 * - status `GET [base]/$export-poll-status/{job}` -> 202 with X-Progress while it runs, 200 with
 *   the manifest once complete, an OperationOutcome if it failed; `DELETE` cancels (202) and
 *   deletes the job's files;
 * - files `GET [base]/$export-file/{job}/{file}`, to the job's owner only.
 * A caller whose role allows de-identified export only always gets de-identified output, and the
 * manifest says so in its extension.
 * @see https://hl7.org/fhir/uv/bulkdata/STU2/export.html
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Router, type Request, type Response } from 'express';
import { FhirError, forbidden, methodNotAllowed, notAcceptable, notFound, unavailable, type Database } from '../../fhir/index.ts';
import { cohortPatientIds } from './cohort.ts';
import { cancelJob, createJob, jobById, type ExportJob } from './jobs.ts';
import { parseExportRequest, type ExportLevel } from './request.ts';
import { runDirectory, type ManifestFile, type StoredManifest } from './run-export.ts';

/** The manifest extension that tells a de-identified export from an identified one. */
export const DEIDENTIFIED_EXTENSION = 'https://passerelle.health/fhir/bulk/deidentified';
/** The manifest extension listing the outputs that are not FHIR: DICOM Part 10 files and openEHR compositions. */
export const EXTRA_OUTPUT_EXTENSION = 'https://passerelle.health/fhir/bulk/extra-output';

export interface ExportRouterOptions {
  db: Database;
  /** DATA_DIR/export. */
  directory: string;
  /** Called when a job is queued. */
  wake(): void;
  /** What the caller may export: `identified`, `deidentified`, or undefined (nothing). */
  exportModeOf(res: Response): 'identified' | 'deidentified' | undefined;
  /** Who owns the jobs the caller starts (a principal id); undefined in loopback-only mode. */
  ownerOf(res: Response): string | undefined;
  /** Whether a secret is configured: without one, de-identified exports are refused at kick-off. */
  canDeidentify: boolean;
  /** Whether file downloads need the caller's credentials (auth is configured). */
  requiresAccessToken: boolean;
  /** The server's public base URL, if configured (otherwise each request's own). */
  publicUrl?: string;
  onUnexpectedError(err: unknown): void;
}

type Handler = (req: Request, res: Response) => Promise<void>;

export function exportRouter(options: ExportRouterOptions): Router {
  const { db } = options;
  const router = Router();
  const fhirBase = (req: Request): string => `${options.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`}${req.baseUrl}`;
  const route = (name: string, handler: Handler) => async (req: Request, res: Response): Promise<void> => {
    res.locals.route = `FHIR ${name}`;
    try {
      await handler(req, res);
    } catch (err) {
      if (!(err instanceof FhirError)) options.onUnexpectedError(err);
      const failure = err instanceof FhirError ? err : new FhirError('server-error', { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', details: { text: 'Internal server error' } }] });
      res.status(failure.status).type('application/fhir+json').json(failure.outcome);
    }
  };
  /** The caller's own job, or 404 (someone else's job is not told apart from none). */
  const ownJob = async (req: Request, res: Response): Promise<ExportJob> => {
    const job = await jobById(db, String(req.params.job));
    if (!job || job.status === 'cancelled' || job.owner !== options.ownerOf(res)) throw notFound('No such export job');
    return job;
  };

  const kickOff = (level: ExportLevel): Handler => async (req, res) => {
    const mode = options.exportModeOf(res);
    if (mode === undefined) throw forbidden('your role does not allow bulk export');
    const accept = req.get('accept');
    if (accept && !/application\/fhir\+json|application\/json|\*\/\*/.test(accept)) throw notAcceptable('The kick-off answers application/fhir+json');
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    const params = parseExportRequest(level, level === 'group' ? String(req.params.id) : undefined, query, req.get('prefer'), mode === 'deidentified');
    if (params.deidentified && !options.canDeidentify) throw unavailable('De-identified export is not configured on this server (ANON_SECRET is not set)');
    await cohortPatientIds(db, params); // an unknown Group is a 404 now, not a failed job later
    const job = await createJob(db, `${fhirBase(req)}${req.url}`, options.ownerOf(res), params);
    options.wake();
    res.status(202).set('Content-Location', `${fhirBase(req)}/$export-poll-status/${job.id}`).type('application/fhir+json').json({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', details: { text: `Export ${job.id} accepted${params.deidentified ? ' (de-identified)' : ''}: poll the Content-Location for its status` } }],
    });
  };

  router.get('/\\$export', route('$export', kickOff('system')));
  router.get('/Patient/\\$export', route('Patient/$export', kickOff('patient')));
  router.get('/Group/:id/\\$export', route('Group/$export', kickOff('group')));
  router.post(['/\\$export', '/Patient/\\$export', '/Group/:id/\\$export'], route('$export', async () => {
    throw methodNotAllowed('Start a bulk export with GET and its parameters in the query');
  }));

  router.get('/\\$export-poll-status/:job', route('$export-poll-status', async (req, res) => {
    const job = await ownJob(req, res);
    if (job.status === 'queued' || job.status === 'running') {
      res.status(202).set('X-Progress', job.status === 'queued' ? 'queued' : (job.progress ?? 'running')).set('Retry-After', '2').end();
      return;
    }
    if (job.status === 'failed') {
      res.status(500).type('application/fhir+json').json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', details: { text: `The export failed: ${job.error ?? 'unknown reason'}` } }] });
      return;
    }
    res.status(200).type('application/json').set('Expires', new Date(Date.parse(job.finishedAt ?? '') + 3600_000).toUTCString()).json(
      publicManifest(job, `${fhirBase(req)}/$export-file/${job.id}`, options.requiresAccessToken),
    );
  }));

  router.delete('/\\$export-poll-status/:job', route('$export-poll-status', async (req, res) => {
    const job = await ownJob(req, res);
    await cancelJob(db, job.id);
    await rm(join(options.directory, job.id), { recursive: true, force: true });
    res.status(202).type('application/fhir+json').json({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', details: { text: `Export ${job.id} cancelled; its files are deleted` } }] });
  }));

  router.get('/\\$export-file/:job/{*file}', route('$export-file', async (req, res) => {
    const job = await ownJob(req, res);
    const file = ([] as string[]).concat(req.params.file ?? []).join('/');
    const manifest = job.status === 'completed' ? job.manifest : undefined;
    // Only files the manifest lists: the name never reaches the file system otherwise.
    const listed = manifest && [...manifest.output, ...manifest.error, ...manifest.openehr, ...manifest.imaging].some((entry) => entry.file === file);
    if (!listed) throw notFound('No such file in this export');
    res.status(200).type(file.endsWith('.dcm') ? 'application/dicom' : 'application/fhir+ndjson');
    createReadStream(join(runDirectory(options.directory, job), file)).on('error', (err) => {
      options.onUnexpectedError(err);
      res.destroy();
    }).pipe(res);
  }));
  return router;
}

/** The manifest as the specification writes it, with URLs, and Passerelle's extension for what it adds. */
function publicManifest(job: ExportJob, fileBase: string, requiresAccessToken: boolean): Record<string, unknown> {
  const stored = job.manifest as StoredManifest; // completed jobs always have one
  const entry = (file: ManifestFile): Record<string, unknown> => ({ type: file.type, url: `${fileBase}/${file.file}`, count: file.count });
  const extension: Record<string, unknown> = {
    [DEIDENTIFIED_EXTENSION]: stored.deidentified
      ? { deidentified: true, profile: stored.profile, pseudonymSystem: stored.pseudonymSystem, dicom: 'PS3.15 Annex E Basic Application Level Confidentiality Profile' }
      : { deidentified: false },
  };
  if (stored.imaging.length > 0 || stored.openehr.length > 0) {
    extension[EXTRA_OUTPUT_EXTENSION] = [
      ...stored.imaging.map((file) => ({ type: 'DICOM', format: 'application/dicom', url: `${fileBase}/${file.file}`, studyInstanceUID: file.studyInstanceUID })),
      ...stored.openehr.map((file) => ({ type: 'openEHR COMPOSITION', format: 'application/x-ndjson', url: `${fileBase}/${file.file}`, count: file.count })),
    ];
  }
  return {
    transactionTime: stored.transactionTime,
    request: stored.request,
    requiresAccessToken,
    output: stored.output.map(entry),
    error: stored.error.map(entry),
    extension,
  };
}
