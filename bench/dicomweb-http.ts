/**
 * The DICOMweb bench's client, the same for Orthanc and Passerelle: one keep-alive agent per server,
 * STOW-RS bodies built here as multipart/related lists of chunks, the Accept headers a viewer sends,
 * and the checks of each answer (ReferencedSOPSequence, JSON arrays, parts that are Part 10 files)
 * that keep a failing server from looking fast. Kept apart from `dicomweb.ts`, which only orchestrates.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Instance } from './dicom-data.ts';

const REQUEST_TIMEOUT_MS = 120_000;

export const ACCEPT_JSON = 'application/dicom+json';
export const ACCEPT_STUDY = 'multipart/related; type="application/dicom"; transfer-syntax=*';

export interface Reply {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A keep-alive client of one DICOMweb server, sending bodies as lists of chunks. */
export class DicomwebClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  /** Requests sent again because a kept-alive socket had been closed by the server before it was reused. */
  retries = 0;

  readonly port: number;
  readonly base: string;

  constructor(port: number, base: string) {
    this.port = port;
    this.base = base;
  }

  async send(method: string, path: string, headers: http.OutgoingHttpHeaders, body?: readonly Buffer[]): Promise<Reply> {
    try {
      return await this.#send(method, path, headers, body);
    } catch (err) {
      // Orthanc closes idle connections after a second (Keep-Alive: timeout=1): such a socket may be
      // picked just as it closes, before any of the request reached the server.
      if (!(err instanceof StaleSocket)) throw err;
      this.retries++;
      return this.#send(method, path, headers, body);
    }
  }

  #send(method: string, path: string, headers: http.OutgoingHttpHeaders, body?: readonly Buffer[]): Promise<Reply> {
    const length = body?.reduce((sum, chunk) => sum + chunk.length, 0);
    return new Promise<Reply>((resolve, reject) => {
      let answered = false;
      const req = http.request({
        host: '127.0.0.1', port: this.port, method, path: `${this.base}${path}`, agent: this.#agent,
        headers: { ...headers, ...(length === undefined ? {} : { 'content-length': length }) },
      }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        reject(stale ? new StaleSocket(err.message) : err);
      });
      for (const chunk of body ?? []) req.write(chunk);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

class StaleSocket extends Error {}

const bodyText = (reply: Reply): string => reply.body.subarray(0, 300).toString('utf8').replace(/\s+/g, ' ').trim();
const httpProblem = (reply: Reply): string => `HTTP ${reply.status} ${reply.contentType}: ${bodyText(reply)}`;

/** A STOW-RS request body: one part per Part 10 file. @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5 */
export async function stowBody(instances: readonly Instance[]): Promise<{ chunks: Buffer[]; contentType: string }> {
  const boundary = `bench-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const instance of instances) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'));
    chunks.push(...(typeof instance.file === 'string' ? [await readFile(instance.file)] : instance.file));
    chunks.push(Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { chunks, contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

/** The SOP Instance UIDs a STOW-RS response lists as stored (ReferencedSOPSequence), or the problem. */
export function stowStored(reply: Reply, sent: readonly Instance[]): { stored: Set<string>; problem?: string } {
  const stored = new Set<string>();
  if (reply.status !== 200) return { stored, problem: httpProblem(reply) };
  let body: DicomJson;
  try {
    body = JSON.parse(reply.body.toString('utf8')) as DicomJson;
  } catch {
    return { stored, problem: `STOW answer is not JSON: ${bodyText(reply)}` };
  }
  for (const item of (body['00081199']?.Value ?? []) as DicomJson[]) {
    const sop = item['00081155']?.Value?.[0];
    if (typeof sop === 'string') stored.add(sop);
  }
  const failed = body['00081198']?.Value?.length ?? 0;
  const missing = sent.filter((i) => !stored.has(i.sopUid)).length;
  return missing === 0 && failed === 0 ? { stored } : { stored, problem: `STOW: ${missing} of ${sent.length} instances not in ReferencedSOPSequence, ${failed} in FailedSOPSequence: ${bodyText(reply)}` };
}

/** Parts and their bytes in a multipart/related answer of Part 10 files. @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.6.1.2 */
export function dicomParts(reply: Reply): { parts: number; bytes: number; problem?: string } {
  if (reply.status !== 200) return { parts: 0, bytes: 0, problem: httpProblem(reply) };
  const boundary = /boundary="?([^";]+)"?/i.exec(reply.contentType)?.[1];
  if (!reply.contentType.toLowerCase().startsWith('multipart/related') || !boundary) return { parts: 0, bytes: 0, problem: `not multipart/related: ${reply.contentType}` };
  const body = reply.body;
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let at = body.indexOf(delimiter);
  let parts = 0;
  let bytes = 0;
  while (at >= 0) {
    const after = at + delimiter.length;
    if (body.subarray(after, after + 2).toString('latin1') === '--') return { parts, bytes };
    const headersEnd = body.indexOf('\r\n\r\n', after, 'latin1');
    if (headersEnd < 0) break;
    const start = headersEnd + 4;
    const end = body.indexOf(Buffer.from(`\r\n--${boundary}`, 'latin1'), start);
    if (end < 0) break;
    if (body.subarray(start + 128, start + 132).toString('latin1') !== 'DICM') return { parts, bytes, problem: `part ${parts + 1} is not a Part 10 file` };
    parts++;
    bytes += end - start;
    at = end + 2;
  }
  return { parts, bytes, problem: 'multipart body without its closing delimiter' };
}

export function jsonArray(reply: Reply): { items: DicomJson[]; problem?: string } {
  if (reply.status !== 200) return { items: [], problem: httpProblem(reply) };
  try {
    const items = JSON.parse(reply.body.toString('utf8')) as unknown;
    return Array.isArray(items) ? { items: items as DicomJson[] } : { items: [], problem: `not a JSON array: ${bodyText(reply)}` };
  } catch {
    return { items: [], problem: `not JSON: ${bodyText(reply)}` };
  }
}

export const first = (item: DicomJson | undefined, tag: string): unknown => item?.[tag]?.Value?.[0];
