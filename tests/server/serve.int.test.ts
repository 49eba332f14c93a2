/**
 * The real `passerelle serve` process: embedded storage persisted in DATA_DIR across restarts,
 * and a graceful SIGTERM that lets an in-flight transaction finish.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-serve-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  base: string;
  logs: string[];
}

async function start(): Promise<Running> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'server/main.ts', 'serve'], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line: ${logs.join('\n')}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        const entry = JSON.parse(line) as { msg: string; port?: number };
        if (entry.msg.startsWith('listening')) {
          clearTimeout(timer);
          resolve(entry.port as number);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${logs.join('\n')}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, logs };
}

async function stop(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  const [code] = await once(running.child, 'exit');
  return code as number | null;
}

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
    assert.equal(await stop(second), 0);
    assert.ok(!second.logs.some((line) => line.includes('female')), 'resource content never reaches the logs');
  });

  it('finishes requests in flight on SIGTERM, then exits 0', async () => {
    const running = await start();
    const entry = { resource: { resourceType: 'Observation', status: 'final', code: { text: 'heart rate' }, valueQuantity: { value: 72, unit: '/min' } }, request: { method: 'POST', url: 'Observation' } };
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: Array.from({ length: 400 }, () => entry) };
    const inFlight = fetch(`${running.base}/fhir`, { method: 'POST', headers: json, body: JSON.stringify(bundle) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const exit = stop(running);
    const response = await inFlight;
    assert.equal(response.status, 200);
    const body = (await response.json()) as { entry: unknown[] };
    assert.equal(body.entry.length, 400);
    assert.equal(await exit, 0);
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
