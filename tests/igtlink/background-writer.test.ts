// The background writer of the OpenIGTLink record: in order, one write at a time, what came
// during a write gathered into the next (up to the batch size), a failure reported without
// stopping the rest, and a bounded queue that drops the oldest when the database lags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundWriter } from '../../igtlink/bridge/background-writer.ts';

/** A write that waits until released. */
function gate(): { wait: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('BackgroundWriter', () => {
  it('writes every value in order, one write at a time, and reports a failure without stopping', async () => {
    const written: number[] = [];
    const errors: unknown[] = [];
    let inFlight = 0;
    const writer = new BackgroundWriter<number>({
      write: async ([value]) => {
        assert.equal(++inFlight, 1, 'one write at a time');
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        if (value === 3) throw new Error('refused');
        written.push(value as number);
      },
      maxBatch: 1,
      maxPending: 100,
      onError: (err) => void errors.push(err),
      onDropped: () => assert.fail('nothing is dropped below the bound'),
    });
    for (let i = 1; i <= 6; i++) writer.put(i);
    await writer.drain();
    assert.deepEqual(written, [1, 2, 4, 5, 6]);
    assert.equal(errors.length, 1);
  });

  it('gathers what came during a write into the next, up to the batch size', async () => {
    const batches: number[][] = [];
    const first = gate();
    const writer = new BackgroundWriter<number>({
      write: async (values) => {
        batches.push(values);
        if (batches.length === 1) await first.wait;
      },
      maxBatch: 3,
      maxPending: 100,
      onError: (err) => assert.fail(String(err)),
      onDropped: () => assert.fail('nothing is dropped below the bound'),
    });
    writer.put(1);
    await new Promise((resolve) => setImmediate(resolve)); // 1 is being written
    for (let i = 2; i <= 6; i++) writer.put(i);
    first.open();
    await writer.drain();
    assert.deepEqual(batches, [[1], [2, 3, 4], [5, 6]]);
  });

  it('drops the oldest waiting values beyond the bound, and counts them', async () => {
    const written: number[] = [];
    const dropped: number[] = [];
    const first = gate();
    const writer = new BackgroundWriter<number>({
      write: async ([value]) => {
        await first.wait;
        written.push(value as number);
      },
      maxBatch: 1,
      maxPending: 2,
      onError: (err) => assert.fail(String(err)),
      onDropped: (count) => void dropped.push(count),
    });
    writer.put(1);
    await new Promise((resolve) => setImmediate(resolve)); // 1 is being written
    for (let i = 2; i <= 5; i++) writer.put(i);
    first.open();
    await writer.drain();
    assert.deepEqual(written, [1, 4, 5]);
    assert.deepEqual(dropped, [1, 2]);
    assert.equal(writer.dropped, 2);
  });
});
