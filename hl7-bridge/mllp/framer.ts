/**
 * MLLP block framing as a pure state machine: bytes in, events out, no I/O.
 * A block is VT (0x0B), the payload, FS (0x1C), CR (0x0D). The framer looks at every byte
 * (not only at chunk ends), so blocks may be split across chunks at any byte and a chunk may
 * hold several blocks.
 *
 * Lenient where the standard is strict, each on purpose:
 * - FS ends the block even when CR does not follow; the frame is reported at FS (a sender
 *   that forgets the CR still gets its acknowledgement), a CR right after it (possibly at the
 *   start of the next chunk) is consumed as the trailer, any other byte is examined normally.
 * - A VT inside a block restarts the block; the unfinished one is reported as garbage.
 *
 * Memory is bounded by `maxBytes` (the held payload) plus a 64 KiB head for an oversize block,
 * whatever arrives; bytes outside blocks are counted, never kept. Time is linear in the input.
 * @see HL7 Version 2.x Transport Specification: MLLP, Release 2, section 2 (block format)
 */

export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

/** The most of an oversize block kept: enough to read MSH and build a NAK. */
export const OVERSIZE_HEAD_BYTES = 64 * 1024;

/** First allocation for a block that spans chunks; grown by doubling up to `maxBytes`. */
const MIN_CAPACITY = 16 * 1024;

export type FrameEvent =
  /** One complete block's payload (between VT and FS CR). */
  | { kind: 'frame'; payload: Buffer }
  /** A block whose payload exceeded `maxBytes`, reported when it ends: its first min(maxBytes, 64 KiB) bytes and its full size. */
  | { kind: 'oversize'; head: Buffer; size: number }
  /** Bytes outside any block (a run before a VT, or a block restarted by VT), counted, not kept. */
  | { kind: 'garbage'; bytes: number };

type State = 'outside' | 'inside' | 'afterFs';

export class MllpFramer {
  readonly #maxBytes: number;
  readonly #headBytes: number;
  #state: State = 'outside';
  /** Length of the current run of bytes outside blocks. */
  #garbage = 0;
  /** Payload bytes of the current block so far, including discarded ones. */
  #size = 0;
  /** The held payload of the current block, or the head of an oversize one. */
  #buf: Buffer | undefined;
  #held = 0;

  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    this.#maxBytes = maxBytes;
    this.#headBytes = Math.min(maxBytes, OVERSIZE_HEAD_BYTES);
  }

  /** Bytes held for an unfinished block (at most `maxBytes`; for an oversize block, its head). */
  get pending(): number {
    return this.#state === 'inside' ? this.#held : 0;
  }

  /** Feeds one chunk; returns the events it completes, in stream order. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    const length = chunk.length;
    let pos = 0;
    // Next VT / FS at or after `pos` (-1: none left in the chunk), each searched again only once
    // `pos` has passed it, so every byte is scanned at most once per delimiter.
    let nextVt = -2;
    let nextFs = -2;
    const findVt = (): number => (nextVt === -2 || (nextVt !== -1 && nextVt < pos) ? (nextVt = chunk.indexOf(VT, pos)) : nextVt);
    const findFs = (): number => (nextFs === -2 || (nextFs !== -1 && nextFs < pos) ? (nextFs = chunk.indexOf(FS, pos)) : nextFs);

    while (pos < length) {
      if (this.#state === 'afterFs') {
        if (chunk[pos] === CR) pos++;
        this.#state = 'outside';
      } else if (this.#state === 'outside') {
        const vt = findVt();
        if (vt === -1) {
          this.#garbage += length - pos;
          pos = length;
        } else {
          this.#garbage += vt - pos;
          if (this.#garbage > 0) events.push({ kind: 'garbage', bytes: this.#garbage });
          this.#garbage = 0;
          this.#resetBlock();
          this.#state = 'inside';
          pos = vt + 1;
        }
      } else {
        const vt = findVt();
        const fs = findFs();
        const end = vt === -1 ? (fs === -1 ? length : fs) : fs === -1 ? vt : Math.min(vt, fs);
        if (end === fs && this.#size === 0 && end - pos <= this.#maxBytes) {
          // The whole block is in this chunk: one copy, not holding on to the chunk.
          events.push({ kind: 'frame', payload: Buffer.from(chunk.subarray(pos, end)) });
          this.#state = 'afterFs';
        } else {
          this.#append(chunk, pos, end);
          if (end === fs) {
            events.push(this.#complete());
            this.#state = 'afterFs';
          } else if (end === vt) {
            events.push({ kind: 'garbage', bytes: 1 + this.#size });
            this.#resetBlock();
          }
        }
        pos = end === length ? length : end + 1;
      }
    }
    return events;
  }

  /**
   * The stream ended: reports what never completed (a trailing run of garbage, an unfinished
   * block with its VT) as one garbage event, and starts afresh.
   */
  end(): FrameEvent[] {
    const bytes = this.#garbage + (this.#state === 'inside' ? 1 + this.#size : 0);
    this.#resetBlock();
    this.#garbage = 0;
    this.#state = 'outside';
    return bytes > 0 ? [{ kind: 'garbage', bytes }] : [];
  }

  #resetBlock(): void {
    this.#size = 0;
    this.#buf = undefined;
    this.#held = 0;
  }

  #append(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    const size = this.#size + n;
    if (size <= this.#maxBytes) {
      const buf = this.#capacity(this.#held + n);
      chunk.copy(buf, this.#held, start, end);
      this.#held += n;
    } else if (this.#size <= this.#maxBytes) {
      // Crossing the limit: keep the head, drop the rest, count from now on.
      const head = Buffer.allocUnsafe(this.#headBytes);
      const kept = Math.min(this.#held, this.#headBytes);
      this.#buf?.copy(head, 0, 0, kept);
      chunk.copy(head, kept, start, start + (this.#headBytes - kept));
      this.#buf = head;
      this.#held = this.#headBytes;
    }
    this.#size = size;
  }

  /** The block buffer with room for `needed` bytes (never more than `maxBytes`). */
  #capacity(needed: number): Buffer {
    const current = this.#buf;
    if (current && current.length >= needed) return current;
    const grown = Buffer.allocUnsafe(Math.min(this.#maxBytes, Math.max(needed, (current?.length ?? 0) * 2, MIN_CAPACITY)));
    current?.copy(grown, 0, 0, this.#held);
    this.#buf = grown;
    return grown;
  }

  #complete(): FrameEvent {
    const buf = this.#buf ?? Buffer.alloc(0);
    const held = this.#held;
    const size = this.#size;
    this.#resetBlock();
    if (size > this.#maxBytes) return { kind: 'oversize', head: buf, size };
    // Only the written bytes are exposed; a mostly empty buffer is not kept alive for them.
    return { kind: 'frame', payload: held * 2 < buf.length ? Buffer.from(buf.subarray(0, held)) : buf.subarray(0, held) };
  }
}

/** One MLLP block: VT + payload + FS + CR, in one buffer (to be written with one write). */
export function frame(payload: Buffer): Buffer {
  const block = Buffer.allocUnsafe(payload.length + 3);
  block[0] = VT;
  payload.copy(block, 1);
  block[payload.length + 1] = FS;
  block[payload.length + 2] = CR;
  return block;
}
