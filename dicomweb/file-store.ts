/**
 * DICOM files on disk under DATA_DIR/dicom, byte-for-byte as received. A file's path comes from
 * its UIDs (checked to be digits and dots, so no path can leave the root) and from a digest of its
 * bytes, so a new version of an instance never overwrites the file the index points to: the new
 * file is placed first, the index switched in a transaction, the old file removed after commit.
 * Incoming parts are spooled under `.incoming/` on the same file system, so placing is a rename.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isUid } from './uids.ts';

/** A part being received: written to a temporary file while its digest is computed. */
export interface SpoolFile {
  readonly path: string;
  write(chunk: Buffer): Promise<void>;
  /**
   * Ends the part: its SHA-256 (hex) and size at once, while the rest is written, flushed to
   * disk and the file closed in the background (`flushed`), so the index work need not wait.
   */
  finish(): { sha256: string; size: number };
  /** Settles once the finished file is on disk and closed; rejects when it could not be. */
  readonly flushed: Promise<void>;
  /** Removes the file (after a flush under way ended). */
  discard(): Promise<void>;
}

export class DicomFileStore {
  readonly root: string;
  readonly #incoming: string;
  /** Directories just made, until their entries in their parents are on disk. */
  readonly #making = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = resolve(root);
    this.#incoming = join(this.root, '.incoming');
  }

  /** The path (relative to the root) of an instance's file with this content. */
  pathFor(studyUid: string, seriesUid: string, sopInstanceUid: string, sha256: string): string {
    for (const uid of [studyUid, seriesUid, sopInstanceUid]) if (!isUid(uid)) throw new Error(`not a UID: ${uid.slice(0, 70)}`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a SHA-256 digest');
    return join(studyUid, seriesUid, `${sopInstanceUid}.${sha256.slice(0, 16)}.dcm`);
  }

  /** The absolute path of a stored file; refuses anything outside the root. */
  absolute(relativePath: string): string {
    const path = resolve(this.root, relativePath);
    if (relative(this.root, path).startsWith('..') || !path.startsWith(this.root + sep)) throw new Error('path outside the DICOM store');
    return path;
  }

  async spool(): Promise<SpoolFile> {
    const path = join(this.#incoming, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx');
    } catch (err) {
      // The first spool (or someone removed the directory): make it and try again, rather than a mkdir every time.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(this.#incoming, { recursive: true });
      handle = await open(path, 'wx');
    }
    return spoolFile(path, handle);
  }

  /**
   * Moves a spooled file, once flushed, to its place (same file system: atomic) and makes the
   * move durable: the directory that holds it is flushed, and so is the parent of every directory
   * made for it (a file in a new directory is only found after a crash once the directory's own
   * entry is).
   */
  async place(spool: SpoolFile, relativePath: string): Promise<void> {
    const target = this.absolute(relativePath);
    const directory = dirname(target);
    const spooledPath = spool.path;
    await spool.flushed;
    try {
      await rename(spooledPath, target);
    } catch (err) {
      // The series' directory is new: make it and try again (cheaper than a mkdir every time).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const first = await mkdir(directory, { recursive: true });
      await rename(spooledPath, target);
      if (first !== undefined) this.#flushEntries(directory, first);
    }
    // Directories another request made may still be on their way to disk: wait for them too.
    await Promise.all([syncDirectory(directory), this.#making.get(directory), this.#making.get(dirname(directory))]);
  }

  /** Flushes the parents of the directories made, from `deepest` up to `first`, noting them as being made until then. */
  #flushEntries(deepest: string, first: string): void {
    const made: string[] = [];
    for (let dir = deepest; ; dir = dirname(dir)) {
      made.push(dir);
      if (dir === first || dir === dirname(dir)) break;
    }
    const durable = Promise.all(made.map((dir) => syncDirectory(dirname(dir)))).then(() => undefined);
    for (const dir of made) this.#making.set(dir, durable);
    void durable.catch(() => undefined).finally(() => {
      for (const dir of made) if (this.#making.get(dir) === durable) this.#making.delete(dir);
    });
  }

  read(relativePath: string): Promise<Buffer> {
    return readFile(this.absolute(relativePath));
  }

  stream(relativePath: string): ReadStream {
    return createReadStream(this.absolute(relativePath));
  }

  /** Whether a stored file is there. */
  async exists(relativePath: string): Promise<boolean> {
    return access(this.absolute(relativePath)).then(() => true, () => false);
  }

  /** Removes a file; a file already gone is not an error. */
  async remove(relativePath: string): Promise<void> {
    await rm(this.absolute(relativePath), { force: true });
  }
}

/** Chunks are written in batches of about this size: fewer system calls for a large part. */
const WRITE_BATCH_BYTES = 1024 * 1024;

function spoolFile(path: string, handle: FileHandle): SpoolFile {
  const hash: Hash = createHash('sha256');
  let size = 0;
  let closed = false;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let flushed: Promise<void> | undefined;
  const writeBatch = async (): Promise<void> => {
    if (batch.length === 0) return;
    const chunks = batch;
    batch = [];
    batchBytes = 0;
    await handle.writev(chunks);
  };
  const flushAndClose = async (): Promise<void> => {
    await writeBatch();
    await handle.sync();
    await handle.close();
    closed = true;
  };
  return {
    path,
    async write(chunk) {
      hash.update(chunk);
      size += chunk.length;
      // Node gives each socket read its own buffer, never reused: holding the chunk is safe.
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH_BYTES) await writeBatch();
    },
    finish() {
      if (flushed) throw new Error('the spool file is already finished');
      flushed = flushAndClose();
      // Awaited by whoever places or discards the file; a failure is theirs to report.
      flushed.catch(() => undefined);
      return { sha256: hash.digest('hex'), size };
    },
    get flushed() {
      if (!flushed) throw new Error('the spool file is not finished');
      return flushed;
    },
    async discard() {
      await flushed?.catch(() => undefined);
      if (!closed) await handle.close().catch(() => undefined);
      closed = true;
      await rm(path, { force: true });
    },
  };
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
