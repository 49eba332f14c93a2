/**
 * Removing DICOM files while other requests store. Files are named by their content, so two
 * requests storing the same bytes place the same file. A file is therefore removed only when no
 * committed index row points to it, checked under the study's file lock; and a store checks,
 * under that lock and before it commits, that the files it placed are still there. So no commit
 * can point at a file removed meanwhile: either the removal sees the reference, or the store sees
 * the file gone and fails cleanly.
 */
import type { Database, Queryable } from '../fhir/index.ts';
import type { DicomFileStore } from './file-store.ts';

/** Takes the study's file lock until the transaction ends. */
export async function lockStudyFiles(tx: Queryable, studyUid: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 2))', [`dicom-files:${studyUid}`], 'dicom_lock_study_files');
}

/** Removes those of a study's files that no committed index row points to. A failure leaves them (an unreferenced file is harmless). */
export async function removeUnreferenced(ctx: { db: Database; files: DicomFileStore }, studyUid: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  await ctx.db.transaction(async (tx) => {
    await lockStudyFiles(tx, studyUid);
    const rows = await tx.query<{ file_path: string }>('SELECT file_path FROM dicom_instance WHERE file_path = ANY($1)', [paths]);
    const referenced = new Set(rows.map((row) => row.file_path));
    await Promise.all(paths.filter((path) => !referenced.has(path)).map((path) => ctx.files.remove(path).catch(() => undefined)));
  }).catch(() => undefined);
}
