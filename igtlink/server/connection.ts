/**
 * One OpenIGTLink peer's connection: bytes cut into messages, each decoded and handed to the
 * sink in arrival order, and the protocol's answers written back:
 * - GET_CAPABIL -> CAPABILITY (the types Passerelle reads), GET_STATUS -> STATUS OK;
 * - STT_TDATA / STT_QTDATA -> RTS with status 1: Passerelle receives tracking data, it is no tracker;
 * - a message that cannot be read (bad CRC, bad content, unknown type) -> STATUS with the code
 *   (9, 10, 12...) and the connection goes on, since its length was known;
 * - a header that cannot be read (unknown version, impossible size) -> STATUS, then the
 *   connection is closed: the stream is out of step and nothing after it can be trusted.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/capability.md
 */
import type { Socket } from 'node:net';
import {
  decodeBody, encodeMessage, FrameReader, IgtlDecodeError, STATUS_CODE, SUPPORTED_TYPES, timestampFromMillis, type IgtlContent, type IgtlMessage,
} from '../codec/index.ts';

/** Where a message came from, with Passerelle's own clock (the device's is in the message). */
export interface Arrival {
  peerAddress: string;
  peerPort: number;
  receivedAt: number;
}

/** What the server does with the messages it reads (the bridge to FHIR, DICOMweb and the live stream). */
export interface IgtlSink {
  receive(message: IgtlMessage, arrival: Arrival): void | Promise<void>;
  /** A message could not be read (for metrics; never its content). */
  rejected?(reason: IgtlDecodeError, arrival: Omit<Arrival, 'receivedAt'>): void;
}

/** Types a device sends to Passerelle: what the CAPABILITY answer lists. */
const RECEIVED_TYPES = SUPPORTED_TYPES.filter((type) => !type.startsWith('RTS_') && type !== 'CAPABILITY');
/** Messages in the sink's hands before the socket stops being read (back pressure on the device). */
const MAX_IN_FLIGHT = 256;

export class IgtlConnection {
  readonly #socket: Socket;
  readonly #sink: IgtlSink;
  readonly #reader: FrameReader;
  readonly #peer: { peerAddress: string; peerPort: number };
  #chain: Promise<void> = Promise.resolve();
  #inFlight = 0;

  constructor(socket: Socket, sink: IgtlSink, maxBodySize: number) {
    this.#socket = socket;
    this.#sink = sink;
    this.#reader = new FrameReader(maxBodySize);
    this.#peer = { peerAddress: socket.remoteAddress ?? '', peerPort: socket.remotePort ?? 0 };
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  #onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.#reader.push(chunk);
    } catch (err) {
      // The header itself is wrong: answer once and stop reading a stream that is out of step.
      const reason = err instanceof IgtlDecodeError ? err : new IgtlDecodeError(STATUS_CODE.unknownError, 'unreadable header');
      this.#sink.rejected?.(reason, this.#peer);
      this.#socket.end(this.#status(undefined, reason.status, 'HEADER_ERROR', reason.message));
      return;
    }
    for (const frame of frames) {
      const receivedAt = Date.now();
      let decoded;
      try {
        decoded = decodeBody(frame.header, frame.body);
      } catch (err) {
        const reason = err instanceof IgtlDecodeError ? err : new IgtlDecodeError(STATUS_CODE.unknownError, 'unreadable message');
        this.#sink.rejected?.(reason, this.#peer);
        this.#write(this.#status(frame.header.deviceName, reason.status, reason.status === STATUS_CODE.checksumError ? 'CRC_ERROR' : 'BAD_MESSAGE', reason.message, frame.header.headerVersion === 2));
        continue;
      }
      if ('unknownType' in decoded) {
        const reason = new IgtlDecodeError(STATUS_CODE.unknownInstruction, `type ${decoded.unknownType} is not supported`);
        this.#sink.rejected?.(reason, this.#peer);
        this.#write(this.#status(frame.header.deviceName, reason.status, 'UNKNOWN_TYPE', reason.message, frame.header.headerVersion === 2));
        continue;
      }
      if (this.#answer(decoded)) continue;
      this.#deliver(decoded, { ...this.#peer, receivedAt });
    }
  }

  /** Queries answered by the connection itself; true when the message was one. */
  #answer(message: IgtlMessage): boolean {
    const reply = (content: IgtlContent): void => this.#write(encodeMessage({ version: message.version, deviceName: message.deviceName, timestamp: timestampFromMillis(Date.now()), content }));
    switch (message.content.type) {
      case 'GET_CAPABIL':
        reply({ type: 'CAPABILITY', types: [...RECEIVED_TYPES] });
        return true;
      case 'GET_STATUS':
        reply({ type: 'STATUS', code: STATUS_CODE.ok, subcode: 0n, errorName: '', message: 'Passerelle is receiving' });
        return true;
      case 'STT_TDATA':
      case 'STT_QTDATA':
        reply({ type: message.content.type === 'STT_TDATA' ? 'RTS_TDATA' : 'RTS_QTDATA', status: 1 });
        return true;
      default:
        return false;
    }
  }

  /** Hands a message to the sink after the ones before it, pausing the socket while the sink is behind. */
  #deliver(message: IgtlMessage, arrival: Arrival): void {
    this.#inFlight++;
    if (this.#inFlight >= MAX_IN_FLIGHT) this.#socket.pause();
    this.#chain = this.#chain
      .then(() => this.#sink.receive(message, arrival))
      .catch(() => {
        // The sink reports its own failures; a failed message must not stop the ones after it.
      })
      .finally(() => {
        this.#inFlight--;
        if (this.#inFlight < MAX_IN_FLIGHT / 2 && this.#socket.isPaused()) this.#socket.resume();
      });
  }

  #status(deviceName: string | undefined, code: number, errorName: string, text: string, version3 = false): Buffer {
    return encodeMessage({
      version: version3 ? 3 : 2,
      deviceName: deviceName ?? '',
      timestamp: timestampFromMillis(Date.now()),
      content: { type: 'STATUS', code, subcode: 0n, errorName, message: text },
    });
  }

  #write(bytes: Buffer): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  /** Resolves once every message read so far has been handled by the sink. */
  drained(): Promise<void> {
    return this.#chain;
  }
}
