/**
 * Storing Part 10 instances made inside Passerelle (OpenIGTLink images, say) by the same path as
 * STOW-RS: spooled, parsed, then stored study by study, each study's index rows and ImagingStudy
 * in one transaction. So a viewer finds them through QIDO and WADO like any received instance.
 * Several instances of one study stored together rebuild its ImagingStudy once, not once each.
 */
import type { Repository } from '../fhir/index.ts';
import { ensureDicomwebEndpoint } from './imaging-study.ts';
import { storeStudy, type ReceivedInstance, type StoreContext, type StoreOutcome } from './store-study.ts';
import { parseInstance } from './part10.ts';

/** Stores the instances; each outcome says whether it was stored or why not (a StoreFailure). */
export async function storeInstances(ctx: StoreContext, instances: Buffer[]): Promise<StoreOutcome[]> {
  const received: ReceivedInstance[] = [];
  try {
    for (const bytes of instances) received.push(await spooled(ctx, bytes));
  } catch (err) {
    await Promise.all(received.map((item) => item.spool.discard()));
    throw err;
  }
  const outcomes: StoreOutcome[] = [];
  for (const [studyUid, items] of Map.groupBy(received, (item) => item.parsed.studyUid)) outcomes.push(...(await storeStudy(ctx, studyUid, items)));
  return outcomes;
}

async function spooled(ctx: StoreContext, bytes: Buffer): Promise<ReceivedInstance> {
  const parsed = parseInstance(bytes);
  const spool = await ctx.files.spool();
  try {
    await spool.write(bytes);
    return { parsed, spool, ...spool.finish() };
  } catch (err) {
    await spool.discard();
    throw err;
  }
}

/**
 * A store for instances made inside Passerelle: each call stores its instances or rejects with
 * the reason of the first that was not stored (a StoreFailure; the others are stored), and the
 * DICOMweb Endpoint the ImagingStudy points to exists first.
 */
export function internalStore(ctx: StoreContext & { repository: Repository; endpointAddress: string }): (instances: Buffer[]) => Promise<void> {
  let endpointReady: Promise<void> | undefined;
  return async (instances) => {
    endpointReady ??= ensureDicomwebEndpoint(ctx.repository, ctx.endpointAddress).catch((err: unknown) => {
      endpointReady = undefined;
      throw err;
    });
    await endpointReady;
    const failed = (await storeInstances(ctx, instances)).find((outcome) => !outcome.stored);
    if (failed && !failed.stored) throw failed.failure;
  };
}
