// The background writer of the OpenIGTLink record: in order, one at a time, a failure reported
// without stopping the rest, and a bounded queue that drops the oldest when the database lags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundWriter } from '../../igtlink/bridge/background-writer.ts';

describe('BackgroundWriter', () => {
  it('writes every value in order, one at a time, and reports a failure without stopping', async () => {
    const written: number[] = [];
    const errors: unknown[] = [];
    let inFlight = 0;
    const writer = new BackgroundWriter<number>({
      write: async (value) => {
        assert.equal(++inFlight, 1, 'one write at a time');
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        if (value === 3) throw new Error('refused');
        written.push(value);
      },
      onError: (err) => void errors.push(err),
      maxPending: 100,
      onDropped: () => assert.fail('nothing is dropped below the bound'),
    });
    for (let i = 1; i <= 6; i++) writer.put(i);
    await writer.drain();
    assert.deepEqual(written, [1, 2, 4, 5, 6]);
    assert.equal(errors.length, 1);
  });

  it('drops the oldest waiting values beyond the bound, and counts them', async () => {
    const written: number[] = [];
    const dropped: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = new BackgroundWriter<number>({
      write: async (value) => {
        await gate;
        written.push(value);
      },
      onError: (err) => assert.fail(String(err)),
      maxPending: 2,
      onDropped: (count) => void dropped.push(count),
    });
    writer.put(1);
    await new Promise((resolve) => setImmediate(resolve)); // 1 is being written
    for (let i = 2; i <= 5; i++) writer.put(i);
    release();
    await writer.drain();
    assert.deepEqual(written, [1, 4, 5]);
    assert.deepEqual(dropped, [1, 2]);
    assert.equal(writer.dropped, 2);
  });
});
