/**
 * WADO-RS rendered and thumbnail resources (PS3.18 10.4.1.1.4 and .5): one frame of an instance
 * (the requested one, else the representative one) as image/jpeg or image/png, with the query
 * parameters of PS3.18 8.3.5.1: window=center,width[,function], viewport=width,height, quality.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.5.1
 */
import type { Request, Response } from 'express';
import { badRequest, notAcceptable } from './errors.ts';
import { parseAccept } from './multipart/index.ts';
import { frameErrorStatus, frameNumbers, loadInstance } from './send-frames.ts';
import { RenderOptionError, renderStoredFrame, representativeFrame, THUMBNAIL_VIEWPORT, type DicomDict, type RenderedMediaType, type RenderOptions } from './pixels/index.ts';
import type { Scope } from './retrieve.ts';
import type { RouteContext } from './routes.ts';

const RENDERED: readonly RenderedMediaType[] = ['image/jpeg', 'image/png'];

/** The first rendered media type the client accepts (JPEG when it takes anything). */
function renderedMediaType(accept: string | undefined): RenderedMediaType {
  for (const range of parseAccept(accept?.trim() ? accept : '*/*')) {
    if (range.q === 0) continue;
    if (range.type === '*/*' || range.type === 'image/*') return 'image/jpeg';
    const type = RENDERED.find((candidate) => candidate === range.type);
    if (type) return type;
  }
  throw notAcceptable('rendered images are served as image/jpeg or image/png, which the Accept header does not allow');
}

function numbersParameter(query: URLSearchParams, name: string, count: number): number[] | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const values = raw.split(',').slice(0, count).map((value) => Number(value.trim()));
  if (values.length < count || values.some((value) => !Number.isFinite(value))) throw badRequest(`${name} must be ${count} comma-separated numbers, not "${raw.slice(0, 80)}"`);
  return values;
}

function renderOptions(query: URLSearchParams, mediaType: RenderedMediaType, thumbnail: boolean): Omit<RenderOptions, 'frameNumber' | 'transferSyntaxUid'> {
  const options: Omit<RenderOptions, 'frameNumber' | 'transferSyntaxUid'> = { mediaType };
  const window = numbersParameter(query, 'window', 2);
  if (window) {
    const fn = query.get('window')?.split(',')[2]?.trim().toUpperCase();
    if (fn !== undefined && fn !== 'LINEAR' && fn !== 'LINEAR_EXACT' && fn !== 'SIGMOID') throw badRequest(`window function must be linear, linear-exact or sigmoid, not "${fn.slice(0, 20)}"`);
    options.window = { center: window[0] as number, width: window[1] as number, ...(fn ? { function: fn } : {}) };
  }
  const viewport = numbersParameter(query, 'viewport', 2);
  if (viewport) options.viewport = { width: viewport[0] as number, height: viewport[1] as number };
  else if (thumbnail) options.viewport = THUMBNAIL_VIEWPORT;
  const quality = query.get('quality');
  if (quality !== null) options.quality = Number(quality);
  return options;
}

export async function sendRendered(req: Request, res: Response, ctx: RouteContext, scope: Scope, frames: string | undefined, thumbnail: boolean): Promise<void> {
  const mediaType = renderedMediaType(req.get('accept'));
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  const options = renderOptions(query, mediaType, thumbnail);
  const { instance, dict } = await loadInstance(ctx, scope);
  // A rendered frame list is answered with its first frame: one image, not a multipart of them.
  const frameNumber = frames === undefined ? representativeFrame(dict as DicomDict) : (frameNumbers(frames)[0] as number);
  let image: Buffer;
  try {
    image = renderStoredFrame(dict as DicomDict, instance.transfer_syntax_uid, frameNumber, options);
  } catch (err) {
    if (err instanceof RenderOptionError) throw badRequest(err.message);
    frameErrorStatus(err);
  }
  res.status(200).type(mediaType).send(image);
}
