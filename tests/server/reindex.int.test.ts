/** The real `passerelle reindex` command on an embedded database in DATA_DIR. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-reindex-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function passerelle(...args: string[]): { status: number | null; logs: { msg?: string; reindexed?: number }[]; stderr: string } {
  const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'server/main.ts', ...args], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const logs = run.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string; reindexed?: number });
  return { status: run.status, logs, stderr: run.stderr };
}

describe('passerelle reindex', () => {
  it('rebuilds the index of every current resource, or of the given types', () => {
    assert.equal(passerelle('seed', '--demo', '--hospitals', '1').status, 0);
    const all = passerelle('reindex');
    assert.equal(all.status, 0, all.stderr);
    const allCount = all.logs.find((l) => l.msg === 'reindex done')?.reindexed ?? 0;
    const locations = passerelle('reindex', '--type', 'Location');
    assert.equal(locations.status, 0, locations.stderr);
    const locationCount = locations.logs.find((l) => l.msg === 'reindex done')?.reindexed ?? 0;
    assert.ok(locationCount > 0 && locationCount < allCount, `Locations (${locationCount}) are some of all (${allCount})`);
  });

  it('answers a missing --type value with its usage and exit code 2', () => {
    const run = passerelle('reindex', '--type');
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Usage: passerelle reindex/);
  });
});
