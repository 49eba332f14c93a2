/**
 * Storing one Part 10 instance made inside Passerelle (an OpenIGTLink IMAGE, say) by the same
 * path as STOW-RS: spooled, parsed, then stored with its study's index and ImagingStudy in one
 * transaction. So a viewer finds it through QIDO and WADO like any received instance.
 */
import type { Repository } from '../fhir/index.ts';
import { ensureDicomwebEndpoint } from './imaging-study.ts';
import type { StoreContext, StoreOutcome } from './store-study.ts';
import { storeStudy } from './store-study.ts';
import { parseInstance } from './part10.ts';

/** Stores the instance; the outcome says whether it was stored or why not (a StoreFailure). */
export async function storeInstance(ctx: StoreContext, bytes: Buffer): Promise<StoreOutcome> {
  const parsed = parseInstance(bytes);
  const spool = await ctx.files.spool();
  let finished: { sha256: string; size: number };
  try {
    await spool.write(bytes);
    finished = await spool.finish();
  } catch (err) {
    await spool.discard();
    throw err;
  }
  const [outcome] = await storeStudy(ctx, parsed.studyUid, [{ parsed, spoolPath: spool.path, ...finished }]);
  return outcome as StoreOutcome;
}

/**
 * A store for instances made inside Passerelle: each call stores one instance or rejects with the
 * reason (a StoreFailure), and the DICOMweb Endpoint the ImagingStudy points to exists first.
 */
export function internalStore(ctx: StoreContext & { repository: Repository; endpointAddress: string }): (bytes: Buffer) => Promise<void> {
  let endpointReady: Promise<void> | undefined;
  return async (bytes) => {
    endpointReady ??= ensureDicomwebEndpoint(ctx.repository, ctx.endpointAddress).catch((err: unknown) => {
      endpointReady = undefined;
      throw err;
    });
    await endpointReady;
    const outcome = await storeInstance(ctx, bytes);
    if (!outcome.stored) throw outcome.failure;
  };
}
