/**
 * A DICOMweb server for tests: the real HTTP app (as `serve` builds it) on a test database with
 * its DICOM files in a temporary directory, listening on a free loopback port, and a real
 * client for it: the `dicomweb-client` npm package (OHIF's), which speaks XMLHttpRequest, given
 * Node's missing XMLHttpRequest by `xhr2`.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomweb from 'dicomweb-client';
import XMLHttpRequest from 'xhr2';
import { ProfileRegistry, Repository, loadR4Definitions, type Database } from '../../fhir/index.ts';
import { createApp } from '../../server/app.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import type { TestDriver } from './database.ts';
import type { DicomJson } from '../../dicomweb/dicom-json.ts';

(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= XMLHttpRequest;

export const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/dicom');

type Uids = { studyInstanceUID: string; seriesInstanceUID?: string; sopInstanceUID?: string };
type MediaTypes = { mediaTypes?: { mediaType: string; transferSyntaxUID?: string }[] };

/**
 * The calls of dicomweb-client the tests make, typed as the library documents them (its bundled
 * typings mark every option as required).
 */
export interface DicomwebClient {
  storeInstances(options: { datasets: ArrayBuffer[]; studyInstanceUID?: string }): Promise<string>;
  searchForStudies(options?: { queryParams?: Record<string, string | number | boolean> }): Promise<DicomJson[]>;
  searchForSeries(options?: { studyInstanceUID?: string; queryParams?: Record<string, string | number | boolean> }): Promise<DicomJson[]>;
  searchForInstances(options?: { studyInstanceUID?: string; seriesInstanceUID?: string; queryParams?: Record<string, string | number | boolean> }): Promise<DicomJson[]>;
  retrieveStudy(options: Uids): Promise<ArrayBuffer[]>;
  retrieveInstance(options: Uids & MediaTypes): Promise<ArrayBuffer>;
  retrieveStudyMetadata(options: Uids): Promise<DicomJson[]>;
  retrieveInstanceMetadata(options: Uids): Promise<DicomJson[]>;
  retrieveBulkData(options: { BulkDataURI: string } & MediaTypes): Promise<ArrayBuffer[]>;
  retrieveInstanceFrames(options: Uids & MediaTypes & { frameNumbers: number[] }): Promise<ArrayBuffer[]>;
  /** A single-part answer comes back as a one-element array. */
  retrieveInstanceRendered(options: Uids & MediaTypes & { queryParams?: Record<string, string> }): Promise<ArrayBuffer[]>;
  retrieveInstanceThumbnail(options: Uids & MediaTypes): Promise<ArrayBuffer[]>;
}

export interface DicomwebTestServer {
  db: Database;
  repo: Repository;
  /** The DICOM store's root directory. */
  dicomDir: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `http://127.0.0.1:<port>/dicomweb` */
  base: string;
  client: DicomwebClient;
  close(): Promise<void>;
}

export async function startDicomweb(driver: TestDriver, options: { maxRequestBytes?: number } = {}): Promise<DicomwebTestServer> {
  loadR4Definitions();
  const db = await driver.open();
  const dicomDir = mkdtempSync(join(tmpdir(), 'passerelle-dicom-'));
  const app = createApp({
    db, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), metrics: createMetrics(), profiles: [], maxBodyBytes: 1024 * 1024,
    dicomweb: { dicomDir, maxRequestBytes: options.maxRequestBytes ?? 256 * 1024 * 1024 },
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  const base = `${origin}/dicomweb`;
  return {
    db,
    repo: new Repository(db, new ProfileRegistry([])),
    dicomDir,
    origin,
    base,
    client: new dicomweb.api.DICOMwebClient({ url: base, singlepart: false, verbose: false }) as unknown as DicomwebClient,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.close();
      rmSync(dicomDir, { recursive: true, force: true });
    },
  };
}

/** A fixture file's bytes as the ArrayBuffer dicomweb-client sends. */
export function fixture(name: string): ArrayBuffer {
  const bytes = readFileSync(join(FIXTURES, name));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES).filter((name) => name.endsWith('.dcm')).sort();
}

/** Every file under a directory (to check nothing was left half-written). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** A multipart/related body built by hand, for what a well-behaved client would never send. */
export function multipartBody(parts: { type?: string; body: Buffer }[], boundary = 'test-boundary-0123'): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${part.type ?? 'application/dicom'}\r\n\r\n`), part.body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}
