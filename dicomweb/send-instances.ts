/**
 * WADO-RS retrieve of a study, series or instance (PS3.18 10.4.1.1.1): the stored files,
 * byte-for-byte, as parts of a multipart/related response (or one application/dicom body for
 * one instance when that is what was asked), each file streamed from disk when its turn comes.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4.1.1.1
 */
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { notAcceptable } from './errors.ts';
import { acceptInstances, acceptsSyntax } from './negotiate.ts';
import { instancePath } from './part10.ts';
import { instancesIn, type Scope, type StoredInstance } from './retrieve.ts';
import { multipartContentType, randomBoundary, writeMultipart, type OutgoingPart } from './multipart/index.ts';
import type { RouteContext } from './routes.ts';

export async function sendInstances(req: Request, res: Response, ctx: RouteContext, scope: Scope): Promise<void> {
  const acceptance = acceptInstances(req.get('accept'), scope.sopInstanceUid !== undefined);
  const instances = await instancesIn(ctx.options.db, scope);
  const refused = instances.find((instance) => !acceptsSyntax(acceptance, instance.transfer_syntax_uid));
  if (refused) {
    throw notAcceptable(
      `instance ${refused.sop_instance_uid} is stored in transfer syntax ${refused.transfer_syntax_uid} and Passerelle does not transcode; ` +
        `ask with transfer-syntax=* (or that syntax) to receive it as stored`,
    );
  }
  if (!acceptance.multipart) {
    const [instance] = instances as [StoredInstance];
    res.status(200).type(`application/dicom; transfer-syntax=${instance.transfer_syntax_uid}`).set('content-length', String(instance.file_size));
    await writeWhole(res, ctx, instance);
    return;
  }
  const boundary = randomBoundary();
  res.status(200).set('content-type', multipartContentType(boundary, 'application/dicom'));
  const files = ctx.store.files;
  async function* parts(): AsyncGenerator<OutgoingPart> {
    for (const instance of instances) {
      yield {
        contentType: `application/dicom; transfer-syntax=${instance.transfer_syntax_uid}`,
        contentLocation: `${ctx.baseUrl}/${instancePath(instance.study_uid, instance.series_uid, instance.sop_instance_uid)}`,
        headers: { 'Content-Length': String(instance.file_size) },
        body: files.stream(instance.file_path),
      };
    }
  }
  await writeMultipart(res, boundary, parts());
}

function writeWhole(res: Response, ctx: RouteContext, instance: StoredInstance): Promise<void> {
  return pipeline(ctx.store.files.stream(instance.file_path), res);
}
