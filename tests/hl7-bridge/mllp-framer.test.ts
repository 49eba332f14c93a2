/**
 * The MLLP framer as a pure state machine: blocks split at every byte, several per chunk,
 * garbage around them, the lenient endings, and bounded memory for oversize blocks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CR, FS, frame, MllpFramer, OVERSIZE_HEAD_BYTES, VT, type FrameEvent } from '../../hl7-bridge/mllp/framer.ts';

const LF = 0x0a;
const KiB = 1024;
const MiB = 1024 * KiB;

// Two small ADT messages (segments end with CR, as in ER7).
const A04 = Buffer.from('MSH|^~\\&|EHR|HOSP|PASSERELLE|HOSP|20240101120000||ADT^A04|MSG0001|P|2.5\rPID|||12345^^^HOSP^MR||DOE^JOHN\r');
const A08 = Buffer.from('MSH|^~\\&|EHR|HOSP|PASSERELLE|HOSP|20240101120500||ADT^A08|MSG0002|P|2.5\rPID|||12345^^^HOSP^MR||DOE^JON\r');

const bytes = (...values: number[]): Buffer => Buffer.from(values);
const text = (s: string): Buffer => Buffer.from(s, 'latin1');
const frameEvent = (payload: Buffer): FrameEvent => ({ kind: 'frame', payload });

/** Feeds the chunks in order and returns every event (and checks the memory bound after each chunk). */
function feed(framer: MllpFramer, chunks: Buffer[], maxBytes: number): FrameEvent[] {
  const events: FrameEvent[] = [];
  for (const chunk of chunks) {
    events.push(...framer.push(chunk));
    assert.ok(framer.pending <= maxBytes + OVERSIZE_HEAD_BYTES, `pending ${framer.pending}`);
  }
  return events;
}

/** The stream cut at the given offsets. */
function cut(stream: Buffer, offsets: number[]): Buffer[] {
  const points = [0, ...offsets, stream.length];
  return points.slice(1).map((end, i) => stream.subarray(points[i], end));
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('MLLP framer', () => {
  it('frames a payload as VT payload FS CR', () => {
    assert.deepEqual(frame(text('x')), bytes(VT, 0x78, FS, CR));
    assert.deepEqual(frame(Buffer.alloc(0)), bytes(VT, FS, CR));
  });

  it('refuses a limit that is not a positive integer', () => {
    assert.throws(() => new MllpFramer(0), RangeError);
    assert.throws(() => new MllpFramer(1.5), RangeError);
  });

  it('finds both messages of a two-block stream cut at every byte, and at many pairs of bytes', () => {
    const stream = Buffer.concat([frame(A04), frame(A08)]);
    const expected = [frameEvent(A04), frameEvent(A08)];
    for (let i = 0; i <= stream.length; i++) {
      assert.deepEqual(feed(new MllpFramer(1 * KiB), cut(stream, [i]), 1 * KiB), expected, `cut at ${i}`);
      for (let j = i; j <= stream.length; j += 7) {
        assert.deepEqual(feed(new MllpFramer(1 * KiB), cut(stream, [i, j]), 1 * KiB), expected, `cut at ${i} and ${j}`);
      }
    }
    const oneByteAtATime = cut(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1));
    assert.deepEqual(feed(new MllpFramer(1 * KiB), oneByteAtATime, 1 * KiB), expected);
  });

  it('finds several blocks in one chunk, empty payloads included', () => {
    const payloads = [A04, A08, Buffer.alloc(0), text('MSH|x'), A04];
    const events = new MllpFramer(1 * KiB).push(Buffer.concat(payloads.map(frame)));
    assert.deepEqual(events, payloads.map(frameEvent));
  });

  it('does not keep the chunk alive through a payload', () => {
    const chunk = Buffer.concat([frame(A04), Buffer.alloc(64 * KiB)]);
    const [event] = new MllpFramer(1 * KiB).push(chunk);
    assert.equal(event?.kind, 'frame');
    if (event?.kind === 'frame') assert.notEqual(event.payload.buffer, chunk.buffer);
  });

  it('reports garbage before and between blocks once per run, even when a run spans chunks', () => {
    const framer = new MllpFramer(1 * KiB);
    assert.deepEqual(framer.push(text('hello')), [], 'a run is reported when it ends');
    assert.deepEqual(framer.push(Buffer.concat([text('!!'), frame(A04), text('\r\n'), frame(A08)])), [
      { kind: 'garbage', bytes: 7 },
      frameEvent(A04),
      { kind: 'garbage', bytes: 2 },
      frameEvent(A08),
    ]);
    assert.equal(framer.pending, 0);
  });

  it('treats FS and CR outside a block as garbage', () => {
    const events = new MllpFramer(1 * KiB).push(Buffer.concat([bytes(FS, CR, FS), frame(A04)]));
    assert.deepEqual(events, [{ kind: 'garbage', bytes: 3 }, frameEvent(A04)]);
  });

  it('restarts a block at a VT inside it, reporting the dropped part as garbage', () => {
    const framer = new MllpFramer(1 * KiB);
    const events = feed(framer, [Buffer.concat([bytes(VT), text('MSH|trunc')]), Buffer.concat([text('ated'), frame(A04)])], 1 * KiB);
    assert.deepEqual(events, [{ kind: 'garbage', bytes: 1 + 'MSH|truncated'.length }, frameEvent(A04)]);
  });

  it('ends a block at FS without CR, and examines the next byte normally', () => {
    const noCr = (payload: Buffer): Buffer => Buffer.concat([bytes(VT), payload, bytes(FS)]);
    assert.deepEqual(new MllpFramer(1 * KiB).push(Buffer.concat([noCr(A04), frame(A08)])), [frameEvent(A04), frameEvent(A08)], 'the next byte may be a VT');
    assert.deepEqual(new MllpFramer(1 * KiB).push(Buffer.concat([noCr(A04), text('x'), frame(A08)])), [frameEvent(A04), { kind: 'garbage', bytes: 1 }, frameEvent(A08)]);
    assert.deepEqual(new MllpFramer(1 * KiB).push(Buffer.concat([noCr(A04), bytes(LF), frame(A08)])), [frameEvent(A04), { kind: 'garbage', bytes: 1 }, frameEvent(A08)]);
  });

  it('reports the frame at FS and takes a CR at the start of the next chunk as its trailer', () => {
    const framer = new MllpFramer(1 * KiB);
    assert.deepEqual(framer.push(Buffer.concat([bytes(VT), A04, bytes(FS)])), [frameEvent(A04)], 'a sender that never sends CR still gets an answer');
    assert.equal(framer.pending, 0);
    assert.deepEqual(framer.push(Buffer.concat([bytes(CR), frame(A08)])), [frameEvent(A08)], 'the CR is not garbage');
    assert.deepEqual(framer.push(Buffer.concat([bytes(VT), A04, bytes(FS)])), [frameEvent(A04)]);
    assert.deepEqual(framer.push(text('z')), []);
    assert.deepEqual(framer.push(frame(A08)), [{ kind: 'garbage', bytes: 1 }, frameEvent(A08)], 'any other byte is garbage');
  });

  it('counts an unfinished block and trailing garbage at the end of the stream', () => {
    const framer = new MllpFramer(1 * KiB);
    framer.push(Buffer.concat([frame(A04), bytes(VT), text('MSH|')]));
    assert.equal(framer.pending, 4);
    assert.deepEqual(framer.end(), [{ kind: 'garbage', bytes: 5 }]);
    assert.equal(framer.pending, 0);
    framer.push(text('raw ER7 without framing\r'));
    assert.deepEqual(framer.end(), [{ kind: 'garbage', bytes: 24 }]);
    assert.deepEqual(framer.end(), []);
    assert.deepEqual(framer.push(frame(A08)), [frameEvent(A08)], 'starts afresh');
  });

  it('takes a payload of exactly the limit, and reports one byte more as oversize with a head of the limit', () => {
    const framer = new MllpFramer(10);
    assert.deepEqual(framer.push(frame(text('0123456789'))), [frameEvent(text('0123456789'))]);
    const stream = frame(text('0123456789A'));
    for (let i = 0; i <= stream.length; i++) {
      assert.deepEqual(feed(new MllpFramer(10), cut(stream, [i]), 10), [{ kind: 'oversize', head: text('0123456789'), size: 11 }], `cut at ${i}`);
    }
  });

  it('reads a 100 MB block in 1 MB chunks as one oversize event, holding at most the limit plus 64 KiB', () => {
    const maxBytes = 1 * MiB;
    const framer = new MllpFramer(maxBytes);
    const msh = text('MSH|^~\\&|PACS|HOSP|PASSERELLE|HOSP|20240101||ORU^R01|BIG1|P|2.5\rOBX|1|ED|||');
    const first = Buffer.alloc(MiB, 'A');
    first[0] = VT;
    msh.copy(first, 1);
    const middle = Buffer.alloc(MiB, 'A');
    const last = Buffer.concat([Buffer.alloc(MiB - 2, 'A'), bytes(FS, CR), frame(A04)]);
    const events: FrameEvent[] = [];
    let maxPending = 0;
    const chunks = 100;
    for (let i = 0; i < chunks; i++) {
      events.push(...framer.push(i === 0 ? first : i === chunks - 1 ? last : middle));
      maxPending = Math.max(maxPending, framer.pending);
    }
    assert.ok(maxPending <= maxBytes + OVERSIZE_HEAD_BYTES, `pending reached ${maxPending}`);
    assert.equal(events.length, 2);
    const [big, small] = events;
    assert.equal(big?.kind, 'oversize');
    if (big?.kind !== 'oversize') return;
    assert.equal(big.size, chunks * MiB - 3, 'every payload byte is counted');
    assert.equal(big.head.length, OVERSIZE_HEAD_BYTES);
    assert.deepEqual(big.head.subarray(0, msh.length), msh, 'the head starts with MSH');
    assert.deepEqual(small, frameEvent(A04), 'framing continues after the oversize block');
  });

  it('keeps a 64 KiB head when a huge block restarts, and drops it at the VT', () => {
    const framer = new MllpFramer(100 * KiB);
    framer.push(Buffer.concat([bytes(VT), Buffer.alloc(300 * KiB, 'A')]));
    assert.equal(framer.pending, OVERSIZE_HEAD_BYTES);
    assert.deepEqual(framer.push(frame(A04)), [{ kind: 'garbage', bytes: 1 + 300 * KiB }, frameEvent(A04)]);
  });

  it('gives the same events however a random stream is chunked (seeded property test)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      const int = (n: number): number => Math.floor(random() * n);
      const maxBytes = 1 + int(300);
      const headBytes = Math.min(maxBytes, OVERSIZE_HEAD_BYTES);
      // Bytes of a payload or of garbage: anything but the delimiters that would change their meaning.
      const randomBytes = (n: number, forbidden: number[]): Buffer => {
        const out = Buffer.alloc(n);
        for (let i = 0; i < n; i++) {
          let b = int(256);
          while (forbidden.includes(b)) b = int(256);
          out[i] = b;
        }
        return out;
      };
      const parts: Buffer[] = [];
      const expected: FrameEvent[] = [];
      let afterBareFs = false;
      for (let k = 0; k < 1 + int(20); k++) {
        if (random() < 0.3) {
          // Garbage: no VT; no CR first when the previous block ended without one.
          const g = randomBytes(1 + int(20), [VT]);
          if (afterBareFs && g[0] === CR) g[0] = 0x20;
          parts.push(g);
          expected.push({ kind: 'garbage', bytes: g.length });
        }
        if (random() < 0.15) {
          const dropped = randomBytes(int(2 * maxBytes), [VT, FS]);
          parts.push(bytes(VT), dropped);
          expected.push({ kind: 'garbage', bytes: 1 + dropped.length });
        }
        const payload = randomBytes(random() < 0.2 ? maxBytes + 1 + int(maxBytes) : int(maxBytes + 1), [VT, FS]);
        afterBareFs = random() < 0.2;
        parts.push(bytes(VT), payload, afterBareFs ? bytes(FS) : bytes(FS, CR));
        expected.push(payload.length > maxBytes ? { kind: 'oversize', head: payload.subarray(0, headBytes), size: payload.length } : frameEvent(payload));
      }
      const stream = Buffer.concat(parts);
      assert.deepEqual(new MllpFramer(maxBytes).push(stream), expected, `seed ${seed}, one chunk`);
      for (let round = 0; round < 5; round++) {
        const offsets: number[] = [];
        for (let at = int(8); at < stream.length; at += 1 + int(round === 0 ? 3 : 2 * maxBytes)) offsets.push(at);
        assert.deepEqual(feed(new MllpFramer(maxBytes), cut(stream, offsets), maxBytes), expected, `seed ${seed}, chunking round ${round}`);
      }
    }
  });
});
