/**
 * Wiring of the FHIR Bulk Data export: the runner with the stores it reads (FHIR, the DICOMweb
 * files of the cohort's studies, the openEHR compositions of its patients) and the routes with
 * the caller's export rights (auth: `export:identified` or `export:deidentified`; loopback-only
 * mode: identified, like every other loopback access).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Router } from 'express';
import { Pseudonymizer } from '../anonymizer/index.ts';
import { exportRouter, ExportRunner, type CompositionSource, type ImagingSource } from '../anonymizer/export/index.ts';
import { researchProfile } from '../anonymizer/fhir/index.ts';
import { callerOf } from '../auth/middleware.ts';
import { exportMode } from '../auth/permissions.ts';
import { DicomFileStore } from '../dicomweb/index.ts';
import { Repository, type Database, type ProfileRegistry } from '../fhir/index.ts';
import { listCompositionsOfSubjects } from '../openehr/index.ts';
import type { Config } from './config.ts';
import { safeError, type Logger } from './logger.ts';

export interface ExportWiring {
  router: Router;
  runner: ExportRunner;
}

export function createExport(deps: { db: Database; config: Config; logger: Logger; profiles: ProfileRegistry; authConfigured: boolean }): ExportWiring {
  const { db, config, logger } = deps;
  const directory = join(config.dataDir, 'export');
  const pseudonymizer = config.anon.secret ? new Pseudonymizer(config.anon.secret, { minShiftDays: config.anon.minShiftDays, maxShiftDays: config.anon.maxShiftDays }) : undefined;
  const onError = (err: unknown): void => logger.error({ error: safeError(err) }, 'bulk export error');
  const runner = new ExportRunner({
    db,
    repository: new Repository(db, deps.profiles),
    directory,
    pseudonymizer,
    profile: researchProfile(),
    profileName: 'research',
    imaging: dicomImaging(db, join(config.dataDir, 'dicom')),
    compositions: openEhrCompositions(db),
    retentionHours: config.anon.exportRetentionHours,
    onError,
  });
  const router = exportRouter({
    db,
    directory,
    wake: () => runner.wake(),
    exportModeOf: (res) => {
      const caller = callerOf(res);
      return caller ? exportMode(caller.permissions) : 'identified';
    },
    ownerOf: (res) => callerOf(res)?.principal.id,
    canDeidentify: pseudonymizer !== undefined,
    requiresAccessToken: deps.authConfigured,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    onUnexpectedError: onError,
  });
  return { router, runner };
}

/** The stored Part 10 files of a study, in series and instance order. */
export function dicomImaging(db: Database, dicomDir: string): ImagingSource {
  const files = new DicomFileStore(dicomDir);
  return {
    async *instancesOfStudy(studyInstanceUid) {
      const rows = await db.query<{ file_path: string }>(
        `SELECT i.file_path FROM dicom_instance i JOIN dicom_series s ON s.series_uid = i.series_uid
          WHERE i.study_uid = $1 ORDER BY s.series_number NULLS LAST, s.series_uid, i.instance_number NULLS LAST, i.sop_instance_uid`,
        [studyInstanceUid],
      );
      for (const row of rows) yield await readFile(files.absolute(row.file_path));
    },
  };
}

export function openEhrCompositions(db: Database): CompositionSource {
  return { compositionsOf: (subjects) => listCompositionsOfSubjects(db, subjects) };
}
