/**
 * WADO-RS frames and bulk data (PS3.18 10.4.1.1.3, 10.4.1.1.5): pixel data taken out of the
 * stored file. Frames go out in their stored syntax (compressed ones in their own media type,
 * PS3.18 8.7.3.3.2), or decoded to native little-endian bytes when the client asks for
 * application/octet-stream and a decoder exists here (RLE, JPEG baseline/extended/lossless).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4.1.1.3
 */
import type { Request, Response } from 'express';
import type { DcmjsDataset } from 'dcmjs';
import { badRequest, DicomwebError, notAcceptable, notFound } from './errors.ts';
import { parseAccept } from './multipart/index.ts';
import { multipartContentType, randomBoundary, writeMultipart, type OutgoingPart } from './multipart/index.ts';
import { instancePath, readPart10 } from './part10.ts';
import { instancesIn, type Scope, type StoredInstance } from './retrieve.ts';
import { decodeFrameToNative, extractFrames, frameCount, frameMediaType, FrameError, isNative, RenderUnsupported, type DicomDict } from './pixels/index.ts';
import { concatBinary } from './dataset-json.ts';
import type { RouteContext } from './routes.ts';

const OCTET_STREAM = 'application/octet-stream';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** "1,3,5" to frame numbers; 400 for anything else. */
export function frameNumbers(list: string): number[] {
  const numbers = list.split(',').map((item) => Number(item.trim()));
  if (numbers.length === 0 || numbers.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw badRequest(`frame numbers must be a comma-separated list of integers from 1, not "${list.slice(0, 80)}"`);
  }
  return numbers;
}

/** The one stored instance a URL names, read and parsed. */
export async function loadInstance(ctx: RouteContext, scope: Scope): Promise<{ instance: StoredInstance; dict: DcmjsDataset }> {
  const [instance] = (await instancesIn(ctx.options.db, scope)) as [StoredInstance];
  const { dict } = readPart10(await ctx.store.files.read(instance.file_path));
  return { instance, dict };
}

/** FrameError to the status it means for the client. */
export function frameErrorStatus(err: unknown): never {
  if (err instanceof FrameError) {
    if (err.code === 'out-of-range' || err.code === 'no-pixel-data') throw notFound(err.message);
    // Stored data that cannot be read is the server's problem, not the request's.
    throw new DicomwebError(500, `the stored pixel data cannot be read: ${err.message}`);
  }
  if (err instanceof RenderUnsupported) throw notAcceptable(err.message);
  throw err;
}

type FrameForm = 'stored' | 'native';

/** Which form of the frames the Accept header allows: as stored, or decoded to native bytes. */
function negotiateFrames(accept: string | undefined, transferSyntaxUid: string): FrameForm {
  const stored = frameMediaType(transferSyntaxUid);
  const ranges = parseAccept(accept?.trim() ? accept : '*/*').filter((range) => range.q > 0);
  for (const range of ranges) {
    const type = range.type === 'multipart/related' ? (range.params.get('type')?.toLowerCase() ?? '*/*') : range.type;
    const syntax = range.params.get('transfer-syntax');
    if (type === '*/*' || type === 'multipart/*') return 'stored';
    if (stored && type === stored.mediaType && (syntax === undefined || syntax === '*' || syntax === stored.transferSyntaxUid)) return 'stored';
    if (type === OCTET_STREAM && (syntax === undefined || syntax === '*' || syntax === EXPLICIT_LE)) return isNative(transferSyntaxUid) ? 'stored' : 'native';
  }
  throw notAcceptable(`the frames are stored as ${stored?.mediaType ?? transferSyntaxUid} (transfer syntax ${transferSyntaxUid}) and can be served as such or as application/octet-stream, which the Accept header does not allow`);
}

export async function sendFrames(req: Request, res: Response, ctx: RouteContext, scope: Scope, list: string): Promise<void> {
  const numbers = frameNumbers(list);
  const { instance, dict } = await loadInstance(ctx, scope);
  const syntax = instance.transfer_syntax_uid;
  const form = negotiateFrames(req.get('accept'), syntax);
  let frames: Buffer[];
  try {
    frames = extractFrames(dict as DicomDict, syntax, numbers);
    if (form === 'native') frames = frames.map((frame) => decodeFrameToNative(dict as DicomDict, syntax, frame).data);
  } catch (err) {
    frameErrorStatus(err);
  }
  const media = form === 'native' ? { mediaType: OCTET_STREAM, transferSyntaxUid: EXPLICIT_LE } : frameMediaType(syntax);
  if (!media) throw notAcceptable(`frames of transfer syntax ${syntax} cannot be served`);
  const base = `${ctx.baseUrl}/${instancePath(instance.study_uid, instance.series_uid, instance.sop_instance_uid)}`;
  const parts = frames.map((frame, i): OutgoingPart => ({
    contentType: `${media.mediaType}; transfer-syntax=${media.transferSyntaxUid}`,
    contentLocation: `${base}/frames/${numbers[i]}`,
    body: frame,
  }));
  const boundary = randomBoundary();
  res.status(200).set('content-type', multipartContentType(boundary, media.mediaType, { 'transfer-syntax': media.transferSyntaxUid }));
  await writeMultipart(res, boundary, parts);
}

/** A value inside the dataset by its BulkDataURI path: tag, or tag/item/tag/... into sequences. */
function valueAt(dict: DcmjsDataset, path: string[]): { tag: string; value: unknown } {
  let dataset = dict;
  for (let i = 0; i < path.length; i += 2) {
    const tag = (path[i] ?? '').toUpperCase();
    const element = /^[0-9A-F]{8}$/.test(tag) ? dataset[tag] : undefined;
    if (!element) throw notFound(`there is no bulk data at ${path.join('/')}`);
    if (i === path.length - 1) return { tag, value: element.Value };
    const item = Array.isArray(element.Value) ? element.Value[Number(path[i + 1])] : undefined;
    if (element.vr !== 'SQ' || !/^\d+$/.test(path[i + 1] ?? '') || !item) throw notFound(`there is no bulk data at ${path.join('/')}`);
    dataset = item as DcmjsDataset;
  }
  throw notFound(`there is no bulk data at ${path.join('/')}`);
}

export async function sendBulkData(req: Request, res: Response, ctx: RouteContext, scope: Scope, path: string[]): Promise<void> {
  const { instance, dict } = await loadInstance(ctx, scope);
  const { tag, value } = valueAt(dict, path);
  const url = `${ctx.baseUrl}/${instancePath(instance.study_uid, instance.series_uid, instance.sop_instance_uid)}/bulk/${path.join('/')}`;
  const encapsulated = tag === '7FE00010' && !isNative(instance.transfer_syntax_uid);
  if (encapsulated) {
    // Encapsulated pixel data is its frames, each in its compressed media type (PS3.18 8.7.3.3.2).
    const count = frameCount(dict as DicomDict);
    await sendFrames(req, res, ctx, scope, Array.from({ length: count }, (_, i) => i + 1).join(','));
    return;
  }
  const accept = parseAccept(req.get('accept')?.trim() ? (req.get('accept') as string) : '*/*');
  const ok = accept.some((range) => range.q > 0 && (['*/*', 'multipart/*', OCTET_STREAM].includes(range.type) ||
    (range.type === 'multipart/related' && [undefined, OCTET_STREAM].includes(range.params.get('type')?.toLowerCase()))));
  if (!ok) throw notAcceptable('bulk data is served as multipart/related; type="application/octet-stream", which the Accept header does not allow');
  const boundary = randomBoundary();
  res.status(200).set('content-type', multipartContentType(boundary, OCTET_STREAM));
  await writeMultipart(res, boundary, [{ contentType: OCTET_STREAM, contentLocation: url, body: concatBinary(value) }]);
}
