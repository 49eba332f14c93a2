/**
 * QIDO-RS (PS3.18 10.6): the query parsed, one SQL statement, DICOM JSON answered. An answer
 * cut by `limit` says how many more matches remain in a Warning header (PS3.18 8.3.4.4.1).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
 */
import type { Request, Response } from 'express';
import { acceptDicomJson } from './negotiate.ts';
import { parseQidoRequest, searchDicom, searchWarnings, type QidoLevel, type QidoScope } from './qido/index.ts';
import type { RouteContext } from './routes.ts';

export async function sendSearch(req: Request, res: Response, ctx: RouteContext, level: QidoLevel, scope: QidoScope): Promise<void> {
  acceptDicomJson(req.get('accept'));
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  const request = parseQidoRequest(level, query, scope);
  const result = await searchDicom(ctx.options.db, request, ctx.baseUrl);
  const warnings = searchWarnings(result, ctx.baseUrl);
  if (warnings.length > 0) res.set('warning', warnings);
  res.status(200).type('application/dicom+json').send(JSON.stringify(result.datasets));
}
