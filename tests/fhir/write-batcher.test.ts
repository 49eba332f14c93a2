import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WriteBatcher } from '../../fhir/write-batcher.ts';
import { emptyIndexRows } from '../../fhir/search/index-rows.ts';
import type { VersionWrite } from '../../fhir/write-statement.ts';

const write = (id: string): VersionWrite => ({
  resourceType: 'Patient', id, versionId: 1, lastUpdated: '2026-11-22T10:00:00Z', method: 'POST', interaction: 'create', content: {}, index: emptyIndexRows(), previousIndexMask: 0,
});

describe('write batcher', () => {
  it('groups the writes of one event-loop turn into one store call', async () => {
    const calls: string[][] = [];
    const batcher = new WriteBatcher(async (writes) => void calls.push(writes.map((w) => w.id)));
    await Promise.all(['a', 'b', 'c'].map((id) => batcher.write([write(id)])));
    await batcher.write([write('d')]);
    assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
  });

  it('caps a group at the maximum number of writes', async () => {
    const calls: number[] = [];
    const batcher = new WriteBatcher(async (writes) => void calls.push(writes.length), 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => batcher.write([write(id)])));
    assert.deepEqual(calls, [2, 2, 1]);
  });

  it('retries members one by one when a group fails, so only the bad one fails', async () => {
    const stored: string[] = [];
    const batcher = new WriteBatcher(async (writes) => {
      if (writes.some((w) => w.id === 'bad')) throw new Error('constraint violated');
      stored.push(...writes.map((w) => w.id));
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((id) => batcher.write([write(id)])));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(stored.sort(), ['a', 'c']);
  });
});
