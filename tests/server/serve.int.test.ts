/**
 * The real `passerelle serve` process: embedded storage persisted in DATA_DIR across restarts,
 * a graceful SIGTERM that lets an in-flight transaction finish, and HL7 v2 over MLLP from the
 * demo data's beds, listed and replayed with `passerelle hl7`.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { spawn } from 'node:child_process';
import { startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import http from 'node:http';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-serve-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const start = (): Promise<ServeProcess> => startServe({ DATA_DIR: dataDir });
const stop = stopServe;

const json = { 'Content-Type': 'application/fhir+json' };

describe('passerelle serve', () => {
  it('keeps resources in DATA_DIR across a restart', async () => {
    const first = await start();
    const res = await fetch(`${first.base}/fhir/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', gender: 'female' }) });
    assert.equal(res.status, 201);
    const { id } = (await res.json()) as { id: string };
    assert.equal(await stop(first), 0);

    const second = await start();
    const read = await fetch(`${second.base}/fhir/Patient/${id}`);
    assert.equal(read.status, 200);
    // Bulk export is served and announced; without ANON_SECRET only identified exports start.
    const capability = (await (await fetch(`${second.base}/fhir/metadata`)).json()) as CapabilityStatement;
    assert.deepEqual(capability.instantiates, ['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data']);
    assert.ok(capability.rest?.[0]?.resource?.find((r) => r.type === 'Group')?.operation?.some((op) => op.definition.endsWith('/group-export')));
    const async = { prefer: 'respond-async' };
    assert.equal((await fetch(`${second.base}/fhir/$export?deidentify=true`, { headers: async })).status, 503);
    const exported = await fetch(`${second.base}/fhir/Patient/$export`, { headers: async });
    assert.equal(exported.status, 202);
    assert.match(exported.headers.get('content-location') ?? '', /\/fhir\/\$export-poll-status\//);
    assert.equal(await stop(second), 0);
    assert.ok(!second.logs.some((line) => line.includes('female')), 'resource content never reaches the logs');
  });

  it('finishes requests in flight on SIGTERM, then exits 0', async () => {
    const running = await start();
    const entry = { resource: { resourceType: 'Observation', status: 'final', code: { text: 'heart rate' }, valueQuantity: { value: 72, unit: '/min' } }, request: { method: 'POST', url: 'Observation' } };
    const body = Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: Array.from({ length: 50 }, () => entry) }));
    // The request is surely in flight: its body arrives in two halves, with the SIGTERM in between.
    const { port } = new URL(running.base);
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/fhir', headers: { 'content-type': 'application/fhir+json', 'content-length': body.length } });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      request.on('error', reject);
    });
    request.write(body.subarray(0, body.length / 2));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exit = stop(running);
    await new Promise((resolve) => setTimeout(resolve, 300));
    request.end(body.subarray(body.length / 2));
    const answer = await response;
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.text) as { entry: unknown[] }).entry.length, 50);
    assert.equal(await exit, 0);
    const shutdownAt = running.logs.findIndex((line) => line.includes('shutting down'));
    const answeredAt = running.logs.findIndex((line) => line.includes('"route":"POST /fhir"'));
    assert.ok(shutdownAt >= 0 && answeredAt > shutdownAt, `the transaction was answered after shutdown began:\n${running.logs.join('\n')}`);
    assert.ok(running.logs.some((line) => line.includes('"stopped"')));
    await assert.rejects(fetch(`${running.base}/healthz`), 'no longer accepting connections');
  });

  it('refuses to start on a network address without authentication', async () => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'server/main.ts', 'serve'], {
      env: { ...process.env, HOST: '0.0.0.0', PORT: '0', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(stderr, /no authentication is configured/);
  });
});
