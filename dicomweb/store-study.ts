/**
 * Stores the received instances of one study: files placed, and ONE transaction for the index
 * rows and the ImagingStudy that commits only once the files are on disk, then old files of
 * replaced instances removed. Either an instance is stored (file, index and ImagingStudy) or it is
 * not stored at all.
 *
 * Re-sent instances: the same bytes again is a success that changes nothing; other bytes for a
 * known SOP Instance UID replace the stored instance (latest wins, as a modality correcting an
 * image expects). An instance or series already stored under another study is refused (0xA900):
 * it must be deleted there first.
 */
import type { Database, Queryable, Repository } from '../fhir/index.ts';
import type { DicomFileStore, SpoolFile } from './file-store.ts';
import { pruneEmpty, storedState, upsertSeriesAndInstance, upsertStudy, type IndexedInstance } from './index-writer.ts';
import { lockStudyFiles, removeUnreferenced } from './file-cleanup.ts';
import { subjectOf, syncImagingStudy } from './imaging-study.ts';
import type { ParsedInstance } from './part10.ts';
import { FAILURE_REASON, StoreFailure } from './store-failure.ts';

export interface StoreContext {
  db: Database;
  files: DicomFileStore;
  repositoryIn(tx: Queryable): Repository;
}

/** One instance received and spooled (its flush to disk perhaps still under way), waiting to be stored. */
export interface ReceivedInstance {
  parsed: ParsedInstance;
  spool: SpoolFile;
  sha256: string;
  size: number;
}

export type StoreOutcome = { stored: true; parsed: ParsedInstance } | { stored: false; parsed: ParsedInstance; failure: StoreFailure };

export async function storeStudy(ctx: StoreContext, studyUid: string, received: ReceivedInstance[]): Promise<StoreOutcome[]> {
  const items = lastOfEachInstance(received);
  await Promise.all(received.filter((item) => !items.includes(item)).map((item) => item.spool.discard()));
  const indexed: IndexedInstance[] = items.map((item) => ({
    parsed: item.parsed,
    filePath: ctx.files.pathFor(studyUid, item.parsed.seriesUid, item.parsed.sopInstanceUid, item.sha256),
    fileSize: item.size,
    sha256: item.sha256,
  }));
  let result: { refused: Map<string, StoreFailure>; replacedPaths: string[] };
  let placed = 0;
  // Placing before the index commits is safe: a file's name carries its digest, so it never
  // replaces other bytes. The files go to disk while the index is written; the commit waits for them.
  const placing = (async () => {
    for (const [i, item] of indexed.entries()) {
      await ctx.files.place((items[i] as ReceivedInstance).spool, item.filePath);
      placed++;
    }
  })();
  placing.catch(() => undefined);
  try {
    result = await ctx.db.transaction(async (tx) => {
      const indexedStudy = await indexStudy(tx, ctx.repositoryIn(tx), studyUid, indexed);
      await placing;
      // A request that failed with the same bytes may have removed the file before this one held the lock.
      const present = await Promise.all(indexed.map((item) => ctx.files.exists(item.filePath)));
      if (present.includes(false)) throw new Error('a placed file was removed by another request storing the same bytes; send it again');
      return indexedStudy;
    });
  } catch (err) {
    await placing.catch(() => undefined);
    await Promise.all(items.slice(placed).map((item) => item.spool.discard()));
    await removeUnreferenced(ctx, studyUid, indexed.slice(0, placed).map((item) => item.filePath));
    const reason = placed < indexed.length ? FAILURE_REASON.outOfResources : FAILURE_REASON.processingFailure;
    const failure = new StoreFailure(reason, `the instance could not be stored: ${err instanceof Error ? err.message : String(err)}`);
    return items.map((item): StoreOutcome => ({ stored: false, parsed: item.parsed, failure }));
  }
  const refusedPaths = indexed.filter((item) => result.refused.has(item.parsed.sopInstanceUid)).map((item) => item.filePath);
  await removeUnreferenced(ctx, studyUid, [...result.replacedPaths, ...refusedPaths]);
  return indexed.map((item): StoreOutcome => {
    const failure = result.refused.get(item.parsed.sopInstanceUid);
    return failure ? { stored: false, parsed: item.parsed, failure } : { stored: true, parsed: item.parsed };
  });
}

async function indexStudy(
  tx: Queryable,
  repo: Repository,
  studyUid: string,
  items: IndexedInstance[],
): Promise<{ refused: Map<string, StoreFailure>; replacedPaths: string[] }> {
  // Statements that need no answer from the one before go out together, one round trip for
  // them all; the server runs them in the order sent. The file lock comes first; the study row
  // is the lock that serialises every store and delete of this study.
  const last = (items.at(-1) as IndexedInstance).parsed.dataset;
  const [, , { instances, seriesElsewhere }, subject] = await Promise.all([
    lockStudyFiles(tx, studyUid),
    upsertStudy(tx, last, studyUid),
    storedState(tx, studyUid, items.map((item) => item.parsed)),
    // The study's Patient attributes are the last instance's (upsertStudy takes them from it).
    subjectOf(repo, last),
  ]);
  const refused = new Map<string, StoreFailure>();
  for (const item of items) {
    const { sopInstanceUid, seriesUid } = item.parsed;
    const row = instances.get(sopInstanceUid);
    const otherStudy = seriesElsewhere.get(seriesUid);
    if (otherStudy) {
      refused.set(sopInstanceUid, new StoreFailure(FAILURE_REASON.dataSetDoesNotMatch, `series ${seriesUid} is stored in study ${otherStudy}`));
    } else if (row && (row.study_uid !== studyUid || row.series_uid !== seriesUid)) {
      refused.set(sopInstanceUid, new StoreFailure(FAILURE_REASON.dataSetDoesNotMatch, `instance ${sopInstanceUid} is stored in study ${row.study_uid}, series ${row.series_uid}`));
    }
  }
  const replacedPaths: string[] = [];
  // The same bytes again change nothing; other bytes replace the instance.
  const changed = items.filter((item) => !refused.has(item.parsed.sopInstanceUid) && instances.get(item.parsed.sopInstanceUid)?.sha256 !== item.sha256);
  for (const item of changed) {
    const before = instances.get(item.parsed.sopInstanceUid);
    if (before && before.file_path !== item.filePath) replacedPaths.push(before.file_path);
  }
  const upserts = changed.map((item) => upsertSeriesAndInstance(tx, item));
  if (refused.size > 0) {
    await Promise.all(upserts);
    // A study created for instances that were all refused must not stay behind, empty.
    await pruneEmpty(tx, [studyUid]);
  }
  // The ImagingStudy's reads go out right behind the index writes they must see.
  await Promise.all([...upserts, changed.length > 0 ? syncImagingStudy(repo, tx, studyUid, subject) : undefined]);
  return { refused, replacedPaths };
}

/** A request may carry one instance twice: the last copy is the one stored. */
function lastOfEachInstance(received: ReceivedInstance[]): ReceivedInstance[] {
  return [...new Map(received.map((item) => [item.parsed.sopInstanceUid, item])).values()];
}

