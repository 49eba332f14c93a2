/**
 * STOW-RS (PS3.18 10.5): a multipart/related request of Part 10 instances, streamed part by part
 * to spool files (a request of any size holds at most one instance in memory, while it is
 * parsed), then stored study by study, answered with the Store Instances Response Module:
 * ReferencedSOPSequence for what was stored, FailedSOPSequence with a reason for what was not.
 * 200 when all were stored, 202 when some were, 409 when none were.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5
 */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { DicomJson } from './dicom-json.ts';
import { badRequest, DicomwebError, unsupportedMediaType } from './errors.ts';
import { parseMediaType, readMultipart } from './multipart/index.ts';
import { instancePath, parseInstance, type ParsedInstance } from './part10.ts';
import { cannotUnderstand, FAILURE_REASON, StoreFailure } from './store-failure.ts';
import { storeStudy, type ReceivedInstance, type StoreContext, type StoreOutcome } from './store-study.ts';
import type { SpoolFile } from './file-store.ts';

/** Parts up to this size are parsed from the chunks already in memory rather than re-read from disk. */
const PARSE_FROM_MEMORY_MAX = 64 * 1024 * 1024;

export interface StowRequest {
  body: Readable;
  contentType: string | undefined;
  /** The study of the URL (`/studies/{study}`), which every instance must belong to. */
  studyUid: string | undefined;
  /** The absolute DICOMweb base, for the RetrieveURLs of the answer. */
  baseUrl: string;
  maxRequestBytes: number;
}

export interface StowResponse {
  status: 200 | 202 | 409;
  body: DicomJson;
}

/** A part that could not be read as an instance: reported without UIDs when it had none readable. */
interface RefusedPart {
  failure: StoreFailure;
  parsed?: ParsedInstance;
}

export async function stow(ctx: StoreContext, request: StowRequest): Promise<StowResponse> {
  const boundary = multipartBoundary(request.contentType);
  const received: ReceivedInstance[] = [];
  const refused: RefusedPart[] = [];
  try {
    for await (const part of readMultipart(limited(request.body, request.maxRequestBytes), boundary, {})) {
      const type = parseMediaType(part.headers.get('content-type') ?? 'application/dicom')?.type;
      if (type !== 'application/dicom') {
        refused.push({ failure: cannotUnderstand(`a part of type "${type ?? 'unreadable'}" is not a DICOM instance (application/dicom)`) });
        continue;
      }
      const outcome = await receivePart(ctx, part.body, request.studyUid);
      if ('failure' in outcome) refused.push(outcome);
      else received.push(outcome);
    }
  } catch (err) {
    await Promise.all(received.map((item) => item.spool.discard()));
    if (err instanceof DicomwebError) throw err;
    throw badRequest(`the multipart request cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (received.length === 0 && refused.length === 0) throw badRequest('the request holds no instance');

  const outcomes: StoreOutcome[] = [];
  for (const [studyUid, items] of Map.groupBy(received, (item) => item.parsed.studyUid)) {
    outcomes.push(...(await storeStudy(ctx, studyUid, items)));
  }
  return stowResponse(outcomes, refused, request);
}

function multipartBoundary(contentType: string | undefined): string {
  const media = contentType ? parseMediaType(contentType) : undefined;
  if (!media || media.type !== 'multipart/related') {
    throw unsupportedMediaType(`STOW-RS takes multipart/related; type="application/dicom", not "${contentType ?? '(none)'}"`);
  }
  const type = media.params.get('type');
  if (type !== undefined && type.toLowerCase() !== 'application/dicom') {
    throw unsupportedMediaType(`only Part 10 instances (type="application/dicom") can be stored, not type="${type}"`);
  }
  const boundary = media.params.get('boundary');
  if (!boundary) throw badRequest('the multipart/related Content-Type has no boundary parameter');
  return boundary;
}

/**
 * Counts the bytes of the request body and stops it with 413 past the limit. Stopping early
 * does not destroy the request, so the error can still be answered.
 */
async function* limited(body: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new DicomwebError(413, `the request is larger than the limit of ${maxBytes} bytes (DICOMWEB_MAX_REQUEST_BYTES)`);
    yield chunk;
  }
}

async function receivePart(ctx: StoreContext, body: AsyncIterable<Buffer>, studyUid: string | undefined): Promise<ReceivedInstance | RefusedPart> {
  const spool: SpoolFile = await ctx.files.spool();
  let chunks: Buffer[] | undefined = [];
  let length = 0;
  try {
    for await (const chunk of body) {
      await spool.write(chunk);
      length += chunk.length;
      if (chunks && length <= PARSE_FROM_MEMORY_MAX) chunks.push(chunk);
      else chunks = undefined;
    }
    // The spool goes to disk while a part held in memory is parsed and stored (placing it waits
    // for that); a larger part is read back once it is all written.
    const { sha256, size } = spool.finish();
    const inMemory = chunks ? parseOrRefuse(Buffer.concat(chunks, length)) : undefined;
    chunks = undefined;
    let parsed = inMemory;
    if (!parsed) {
      await spool.flushed;
      parsed = parseOrRefuse(await readFile(spool.path));
    }
    if ('failure' in parsed) {
      await spool.discard();
      return parsed;
    }
    if (studyUid && parsed.studyUid !== studyUid) {
      await spool.discard();
      return { parsed, failure: new StoreFailure(FAILURE_REASON.dataSetDoesNotMatch, `the instance belongs to study ${parsed.studyUid}, not to ${studyUid} of the URL`) };
    }
    return { parsed, spool, sha256, size };
  } catch (err) {
    await spool.discard();
    throw err;
  }
}

function parseOrRefuse(bytes: Buffer): ParsedInstance | RefusedPart {
  try {
    return parseInstance(bytes);
  } catch (err) {
    if (err instanceof StoreFailure) return { failure: err };
    throw err;
  }
}

function stowResponse(outcomes: StoreOutcome[], refused: RefusedPart[], request: StowRequest): StowResponse {
  const referenced = outcomes.filter((o) => o.stored).map((o) => ({
    '00081150': { vr: 'UI', Value: [o.parsed.sopClassUid] },
    '00081155': { vr: 'UI', Value: [o.parsed.sopInstanceUid] },
    '00081190': { vr: 'UR', Value: [`${request.baseUrl}/${instancePath(o.parsed.studyUid, o.parsed.seriesUid, o.parsed.sopInstanceUid)}`] },
  }));
  const failed = [...outcomes.flatMap((o) => (o.stored ? [] : [{ parsed: o.parsed, failure: o.failure }])), ...refused].map(({ parsed, failure }) => ({
    ...(parsed ? { '00081150': { vr: 'UI', Value: [parsed.sopClassUid] }, '00081155': { vr: 'UI', Value: [parsed.sopInstanceUid] } } : {}),
    '00081197': { vr: 'US', Value: [failure.reason] },
    // FailureDescription is not in the module; a readable reason in a text attribute helps whoever reads the logs of the sender.
    '00000902': { vr: 'LO', Value: [failure.message.slice(0, 64)] },
  }));
  const body: DicomJson = {};
  const studies = new Set(outcomes.filter((o) => o.stored).map((o) => o.parsed.studyUid));
  if (studies.size === 1) body['00081190'] = { vr: 'UR', Value: [`${request.baseUrl}/studies/${[...studies][0]}`] };
  if (failed.length > 0) body['00081198'] = { vr: 'SQ', Value: failed };
  if (referenced.length > 0) body['00081199'] = { vr: 'SQ', Value: referenced };
  const status = failed.length === 0 ? 200 : referenced.length === 0 ? 409 : 202;
  return { status, body };
}
