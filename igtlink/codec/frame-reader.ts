/**
 * Cuts a TCP byte stream into messages: a 58-byte header, then as many body bytes as it says.
 * The header is checked as soon as it is complete, so an impossible body size is refused before
 * a byte of it is buffered. Pure: the server feeds it chunks and acts on what comes out.
 */
import { decodeHeader, DEFAULT_MAX_BODY_SIZE, HEADER_SIZE, type IgtlHeader } from './header.ts';

export interface Frame {
  header: IgtlHeader;
  body: Buffer;
}

export class FrameReader {
  readonly #maxBodySize: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #header: IgtlHeader | undefined;

  constructor(maxBodySize = DEFAULT_MAX_BODY_SIZE) {
    this.#maxBodySize = maxBodySize;
  }

  /** Bytes buffered towards the next message. */
  get buffered(): number {
    return this.#pendingBytes;
  }

  /**
   * The messages completed by this chunk.
   * @throws IgtlDecodeError on a header that cannot be (the stream is then out of step: close it)
   */
  push(chunk: Buffer): Frame[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.#header) {
        if (this.#pendingBytes < HEADER_SIZE) break;
        this.#header = decodeHeader(this.#take(HEADER_SIZE), this.#maxBodySize);
      }
      if (this.#pendingBytes < this.#header.bodySize) break;
      frames.push({ header: this.#header, body: this.#take(this.#header.bodySize) });
      this.#header = undefined;
    }
    return frames;
  }

  #take(size: number): Buffer {
    const all = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending, this.#pendingBytes);
    const taken = Buffer.from(all.subarray(0, size));
    const rest = all.subarray(size);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return taken;
  }
}
