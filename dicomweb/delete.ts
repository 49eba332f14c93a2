/**
 * DELETE of a study, series or instance (not in PS3.18; as Orthanc and dcm4chee offer it):
 * index rows and the ImagingStudy change in one transaction, the files go after the commit, so
 * a failed delete leaves everything in place and a crash at worst leaves an unreferenced file.
 */
import type { StoreContext } from './store-study.ts';
import { notFound } from './errors.ts';
import { removeUnreferenced } from './file-cleanup.ts';
import { pruneEmpty } from './index-writer.ts';
import { syncImagingStudy } from './imaging-study.ts';
import { describe, type Scope } from './retrieve.ts';

/** Deletes what the scope names; returns how many instances were removed (404 when none). */
export async function deleteScope(ctx: StoreContext, scope: Scope): Promise<number> {
  const paths = await ctx.db.transaction(async (tx) => {
    const locked = await tx.query('SELECT 1 FROM dicom_study WHERE study_uid = $1 FOR UPDATE', [scope.studyUid]);
    if (locked.length === 0) throw notFound(`${describe(scope)} is not stored here`);
    const params = [scope.studyUid, scope.seriesUid ?? null, scope.sopInstanceUid ?? null];
    const rows = await tx.query<{ file_path: string }>(
      `DELETE FROM dicom_instance WHERE study_uid = $1 AND ($2::text IS NULL OR series_uid = $2) AND ($3::text IS NULL OR sop_instance_uid = $3)
       RETURNING file_path`,
      params,
    );
    if (rows.length === 0) throw notFound(`${describe(scope)} is not stored here`);
    await pruneEmpty(tx, [scope.studyUid]);
    await syncImagingStudy(ctx.repositoryIn(tx), tx, scope.studyUid);
    return rows.map((row) => row.file_path);
  });
  // A store of the same bytes may have committed since: only files nothing points to go.
  await removeUnreferenced(ctx, scope.studyUid, paths);
  return paths.length;
}
