/**
 * Files are named by their content, so two requests storing the same bytes share a file: a
 * removal (by a request that failed, a replacement, a delete) and a store meet under the study's
 * file lock. Here a removal wins the race (PostgreSQL, a real second session holding the lock):
 * the store sees its file gone and fails cleanly, nothing of it half-stored; sent again, it is stored.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { postgresDriver } from '../support/database.ts';
import { FIXTURES, multipartBody, startDicomweb, type DicomwebTestServer } from '../support/dicomweb.ts';

const CT_STUDY = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const PROCESSING_FAILURE = 0x0110;

const postgres = postgresDriver();
if (postgres) describe('DICOM file removal racing a store of the same bytes (postgres)', () => {
  let server: DicomwebTestServer;
  before(async () => {
    server = await startDicomweb(postgres);
  });
  after(() => server.close());

  const files = (): string[] => {
    const study = join(server.dicomDir, CT_STUDY);
    if (!existsSync(study)) return [];
    return readdirSync(study).flatMap((series) => readdirSync(join(study, series)).map((name) => join(study, series, name)));
  };
  type StoreAnswer = Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }>;
  const store = async (): Promise<{ status: number; body: StoreAnswer }> => {
    const { body, contentType } = multipartBody([{ body: readFileSync(join(FIXTURES, 'CT_ExplVRLE_CT_small.dcm')) }]);
    const res = await fetch(`${server.base}/studies`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType, accept: 'application/dicom+json' } });
    return { status: res.status, body: (await res.json()) as StoreAnswer };
  };

  it('fails the store whose file was removed before it held the lock, and stores it when sent again', async () => {
    const schema = (await server.db.query<{ schema: string }>('SELECT current_schema() AS schema'))[0]?.schema as string;
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL, options: `-c search_path=${schema}` });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 2))', [`dicom-files:${CT_STUDY}`]);
    const storing = store();
    const waiting = async (): Promise<boolean> =>
      Number((await holder.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n) > 0;
    while (files().length === 0 || !(await waiting())) await new Promise((resolve) => setTimeout(resolve, 10));
    // What another request's cleanup does under the lock: no committed row points to the file, so it goes.
    for (const file of files()) rmSync(file);
    await holder.query('COMMIT');
    await holder.end();

    const failed = await storing;
    assert.notEqual(failed.status, 200);
    const reason = failed.body['00081198']?.Value?.[0]?.['00081197']?.Value?.[0];
    assert.equal(reason, PROCESSING_FAILURE);
    assert.deepEqual(await server.db.query('SELECT 1 FROM dicom_instance WHERE study_uid = $1', [CT_STUDY]), [], 'no index row');
    assert.equal(await server.repo.readIfExists('ImagingStudy', CT_STUDY), undefined, 'no ImagingStudy');

    const again = await store();
    assert.equal(again.status, 200);
    assert.equal(files().length, 1);
    assert.equal((await server.db.query('SELECT 1 FROM dicom_instance WHERE study_uid = $1', [CT_STUDY])).length, 1);
  });
});
