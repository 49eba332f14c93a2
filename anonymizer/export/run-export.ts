/**
 * One run of an export job: every type's resources as NDJSON (de-identified when the job says
 * so, with one pseudonym and date shift per patient), then, for a de-identified export, the
 * cohort's imaging (the ImagingStudy resources' instances as de-identified Part 10 files) and
 * openEHR compositions (de-identified, as NDJSON). Progress is recorded page by page, which is
 * also where a cancellation (or the loss of the job to another run) is noticed. Whatever cannot
 * be de-identified is left out and reported as an OperationOutcome in the error file, never
 * passed on as it was.
 * @see https://hl7.org/fhir/uv/bulkdata/STU2/export.html#response---complete-status
 */
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImagingStudy, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { FhirError, parseSearch, type Database, type Repository } from '../../fhir/index.ts';
import { anonymizeDicom, type DicomAnonymizeOptions } from '../dicom/index.ts';
import { deidentifyResource, patientIdentityOf, storeContext, type Profile } from '../fhir/index.ts';
import { anonymizeComposition } from '../openehr/index.ts';
import { patientIdentity, PSEUDONYM_SYSTEM, type Pseudonymizer } from '../pseudonyms.ts';
import { cohortPatientIds, cohortPatients, exportTypes, resourcePages } from './cohort.ts';
import { finishJob, releaseJob, reportProgress, type ExportJob } from './jobs.ts';

/** Where the instances of a study are read from (the DICOMweb store, handed in by the server). */
export interface ImagingSource {
  instancesOfStudy(studyInstanceUid: string): AsyncIterable<Buffer>;
}

/** Where the openEHR compositions of patients are read from (the openEHR store, handed in by the server). */
export interface CompositionSource {
  /** The compositions of the EHRs whose subject is one of these (`namespace` = an identifier system). */
  compositionsOf(subjects: { namespace: string; id: string }[]): Promise<{ subject: { namespace: string; id: string }; composition: unknown }[]>;
}

export interface ExportDependencies {
  db: Database;
  repository: Repository;
  /** DATA_DIR/export: each run writes under <job id>/<run token>/. */
  directory: string;
  /** Undefined without ANON_SECRET: de-identified jobs then fail (the kick-off refuses them first). */
  pseudonymizer: Pseudonymizer | undefined;
  profile: Profile;
  profileName: string;
  dicomOptions?: Partial<DicomAnonymizeOptions>;
  imaging?: ImagingSource;
  compositions?: CompositionSource;
  pageSize?: number;
  /** True once the server is stopping: the run gives its job back at the next page. */
  stopping?: () => boolean;
}

/** One file of the manifest, named relative to the run's directory (the status route makes URLs). */
export interface ManifestFile {
  type: string;
  file: string;
  count: number;
}

/** The job's manifest as stored: `output`/`error` files and the extras, before URLs are given. */
export interface StoredManifest {
  transactionTime: string;
  request: string;
  deidentified: boolean;
  output: ManifestFile[];
  error: ManifestFile[];
  imaging: { file: string; studyInstanceUID: string }[];
  openehr: ManifestFile[];
  /** De-identified exports: the identifier system of the pseudonyms and the FHIR profile applied. */
  pseudonymSystem?: string;
  profile?: string;
}

/** The run no longer holds its job: cancelled, or requeued as stale and taken by another run. */
export class ExportCancelled extends Error {}

/** The server is stopping: the job goes back to the queue. */
class ExportInterrupted extends Error {}

/** A reason an export cannot complete, in words safe to show the caller (no patient data). */
export class ExportFailure extends Error {}

/** The directory a run writes its files to. */
export const runDirectory = (directory: string, job: ExportJob): string => join(directory, job.id, job.runToken ?? 'none');

/** Runs one claimed job to its end: completed with a manifest, failed with a reason, or abandoned when cancelled. */
export async function runExport(job: ExportJob, deps: ExportDependencies): Promise<void> {
  const dir = runDirectory(deps.directory, job);
  try {
    await mkdir(dir, { recursive: true });
    const manifest = await writeExport(job, deps, dir);
    if (!(await finishJob(deps.db, job, { manifest }))) throw new ExportCancelled();
  } catch (err) {
    if (err instanceof ExportCancelled || err instanceof ExportInterrupted) {
      if (err instanceof ExportInterrupted) await releaseJob(deps.db, job);
      // Only this run's files: the job's directory may hold a newer run's.
      await rm(dir, { recursive: true, force: true });
      return;
    }
    // The reason, in words that carry no patient data (our errors never quote resources).
    const known = err instanceof FhirError || err instanceof ExportFailure;
    await finishJob(deps.db, job, { error: known ? err.message : 'the export failed on an internal error' });
    if (!known) throw err;
  }
}

/** NDJSON files opened as they are first written, so types with nothing to export have none. */
class NdjsonFiles {
  readonly #dir: string;
  readonly #files = new Map<string, { handle: FileHandle; count: number }>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  async write(name: string, lines: unknown[]): Promise<void> {
    if (lines.length === 0) return;
    let file = this.#files.get(name);
    if (!file) {
      file = { handle: await open(join(this.#dir, name), 'w'), count: 0 };
      this.#files.set(name, file);
    }
    await file.handle.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    file.count += lines.length;
  }

  count(name: string): number {
    return this.#files.get(name)?.count ?? 0;
  }

  async close(): Promise<void> {
    for (const file of this.#files.values()) await file.handle.close();
  }
}

async function writeExport(job: ExportJob, deps: ExportDependencies, dir: string): Promise<StoredManifest> {
  const { db, profile } = deps;
  const { parameters: params } = job;
  const pageSize = deps.pageSize ?? 1000;
  const pseudonymizer = params.deidentified ? deps.pseudonymizer : undefined;
  if (params.deidentified && !pseudonymizer) throw new ExportFailure('ANON_SECRET is not configured: a de-identified export cannot run');
  const patientIds = await cohortPatientIds(db, params);
  const types = await exportTypes(db, params);
  const files = new NdjsonFiles(dir);
  const manifest: StoredManifest = { transactionTime: job.transactionTime, request: job.requestUrl, deidentified: params.deidentified, output: [], error: [], imaging: [], openehr: [] };
  const errors: OperationOutcome[] = [];
  try {
    // The cohort's identities first: a page of Observations must know the pseudonym of a Patient on another page.
    const patients = new Map<string, { identity: string; identifiers: { namespace: string; id: string }[] }>();
    if (pseudonymizer) {
      for await (const page of cohortPatients(db, patientIds, pageSize)) {
        for (const patient of page) patients.set(patient.id as string, { identity: patientIdentityOf(patient), identifiers: subjectsOf(patient) });
      }
    }
    const context = pseudonymizer ? storeContext(pseudonymizer, profile, (id) => patients.get(id)?.identity) : undefined;
    // Each study with the identity of its FHIR subject, so its images get the same pseudonym as the record.
    const studies = new Map<string, string | undefined>();
    let written = 0;
    for (const type of types) {
      const name = `${type}.ndjson`;
      for await (const page of resourcePages(db, { type, params, transactionTime: job.transactionTime, patientIds, pageSize })) {
        const selected = await filtered(deps.repository, type, page, params.typeFilters[type]);
        if (type === 'ImagingStudy') for (const study of selected) studyOf(study as ImagingStudy, studies, (id) => patients.get(id)?.identity);
        await files.write(name, context ? selected.map((resource) => deidentifyResource(resource, context)) : selected);
        written += selected.length;
        await progress(deps, job, `${type}: ${files.count(name)} resources (${written} in all)`);
      }
      if (files.count(name) > 0) manifest.output.push({ type, file: name, count: files.count(name) });
    }
    if (pseudonymizer && deps.imaging && studies.size > 0) {
      await mkdir(join(dir, 'dicom'), { recursive: true });
      for (const [study, identity] of studies) await writeImaging(deps, job, pseudonymizer, { study, identity }, dir, manifest, errors);
    }
    if (pseudonymizer && deps.compositions && types.includes('Patient') && patients.size > 0) {
      await writeCompositions(deps, pseudonymizer, patients, files, errors);
      if (files.count('openehr-composition.ndjson') > 0) manifest.openehr.push({ type: 'COMPOSITION', file: 'openehr-composition.ndjson', count: files.count('openehr-composition.ndjson') });
    }
    await files.write('errors.ndjson', errors);
    if (errors.length > 0) manifest.error.push({ type: 'OperationOutcome', file: 'errors.ndjson', count: errors.length });
  } finally {
    await files.close();
  }
  return params.deidentified ? { ...manifest, pseudonymSystem: PSEUDONYM_SYSTEM, profile: deps.profileName } : manifest;
}

async function progress(deps: ExportDependencies, job: ExportJob, text: string): Promise<void> {
  if (deps.stopping?.()) throw new ExportInterrupted();
  if (!(await reportProgress(deps.db, job, text))) throw new ExportCancelled();
}

/** A page narrowed to the resources matching one of the type's `_typeFilter` queries (the search itself decides). */
async function filtered(repository: Repository, type: string, page: Resource[], filters: string[] | undefined): Promise<Resource[]> {
  if (!filters || page.length === 0) return page;
  const kept = new Set<string>();
  const ids = page.map((resource) => resource.id as string).join(',');
  for (const filter of filters) {
    const query = new URLSearchParams(filter);
    query.set('_id', ids);
    query.set('_count', String(page.length));
    for (const resource of (await repository.search(parseSearch(type, query))).resources) kept.add(resource.id as string);
  }
  return page.filter((resource) => kept.has(resource.id as string));
}

/** The EHR subjects a patient may be known by: each of its identifiers, as `namespace` (system) and id (value). */
function subjectsOf(patient: Patient): { namespace: string; id: string }[] {
  return (patient.identifier ?? []).filter((i) => i.system && i.value).map((i) => ({ namespace: i.system as string, id: i.value as string }));
}

/** The Study Instance UID an ImagingStudy names (identifier of system urn:dicom:uid, `urn:oid:` prefixed) and its subject's identity. */
function studyOf(study: ImagingStudy, into: Map<string, string | undefined>, identityById: (id: string) => string | undefined): void {
  const subject = /^Patient\/(.+)$/.exec(study.subject?.reference ?? '')?.[1];
  for (const identifier of study.identifier ?? []) {
    if (identifier.system === 'urn:dicom:uid' && identifier.value) into.set(identifier.value.replace(/^urn:oid:/, ''), subject === undefined ? undefined : identityById(subject));
  }
}

async function writeImaging(
  deps: ExportDependencies,
  job: ExportJob,
  pseudonymizer: Pseudonymizer,
  { study, identity }: { study: string; identity: string | undefined },
  dir: string,
  manifest: StoredManifest,
  errors: OperationOutcome[],
): Promise<void> {
  let index = 0;
  for await (const bytes of (deps.imaging as ImagingSource).instancesOfStudy(study)) {
    index++;
    try {
      const result = anonymizeDicom(bytes, pseudonymizer, deps.dicomOptions, identity);
      const file = `dicom/${result.sopInstanceUID}.dcm`;
      const handle = await open(join(dir, file), 'w');
      await handle.write(result.bytes).finally(() => handle.close());
      manifest.imaging.push({ file, studyInstanceUID: result.studyInstanceUID });
    } catch (err) {
      // Named by the replaced study UID and position: the original UID would identify the study.
      errors.push(failure(`instance ${index} of study ${pseudonymizer.uid(study)} was left out: ${err instanceof Error ? err.message : 'it could not be de-identified'}`));
    }
  }
  await progress(deps, job, `imaging: ${manifest.imaging.length} instances`);
}

async function writeCompositions(
  deps: ExportDependencies,
  pseudonymizer: Pseudonymizer,
  patients: Map<string, { identity: string; identifiers: { namespace: string; id: string }[] }>,
  files: NdjsonFiles,
  errors: OperationOutcome[],
): Promise<void> {
  const identityOfSubject = new Map<string, string>();
  for (const { identity, identifiers } of patients.values()) for (const subject of identifiers) identityOfSubject.set(patientIdentity(subject.namespace, subject.id), identity);
  const subjects = [...patients.values()].flatMap((patient) => patient.identifiers);
  const lines: unknown[] = [];
  for (const { subject, composition } of await (deps.compositions as CompositionSource).compositionsOf(subjects)) {
    // The patient's identity as FHIR knows it (its main identifier), whichever identifier the EHR uses.
    const identity = identityOfSubject.get(patientIdentity(subject.namespace, subject.id));
    if (identity === undefined) continue;
    try {
      lines.push(anonymizeComposition(composition, pseudonymizer, { identity }));
    } catch (err) {
      errors.push(failure(`a composition of patient ${pseudonymizer.pseudonym(identity)} was left out: ${err instanceof Error ? err.message : 'it could not be de-identified'}`));
    }
  }
  await files.write('openehr-composition.ndjson', lines);
}

const failure = (text: string): OperationOutcome => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', details: { text } }] });

