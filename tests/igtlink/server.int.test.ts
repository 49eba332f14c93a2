// The OpenIGTLink TCP server over real sockets: messages reach the sink in order with both
// clocks, queries are answered, unreadable messages get a STATUS with the protocol's code and the
// connection goes on, an unreadable header closes the connection, and a peer sending garbage
// delays no other.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  crc64, decodeBody, encodeMessage, FrameReader, startIgtlServer, timestampFromMillis, type Arrival, type IgtlContent, type IgtlMessage, type IgtlServer,
} from '../../igtlink/index.ts';

const TIME = timestampFromMillis(Date.UTC(2026, 11, 3, 10, 0, 0));
const transform = (tx: number): IgtlContent => ({ type: 'TRANSFORM', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, tx, 0, 0] });
const message = (content: IgtlContent, deviceName = 'Stylus', version: 2 | 3 = 2): Buffer => encodeMessage({ version, deviceName, timestamp: TIME, content });

/** A client socket that collects the messages the server answers with. */
async function client(port: number): Promise<{ socket: net.Socket; replies: IgtlMessage[]; closed: Promise<unknown>; next(count?: number): Promise<IgtlMessage[]> }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const replies: IgtlMessage[] = [];
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      const decoded = decodeBody(frame.header, frame.body);
      if ('content' in decoded) replies.push(decoded);
    }
  });
  const closed = once(socket, 'close');
  const next = async (count = 1): Promise<IgtlMessage[]> => {
    for (let i = 0; replies.length < count && i < 200; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return replies.splice(0, count);
  };
  return { socket, replies, closed, next };
}

describe('OpenIGTLink server', () => {
  let server: IgtlServer;
  const received: { message: IgtlMessage; arrival: Arrival }[] = [];
  const waitFor = async (count: number): Promise<void> => {
    for (let i = 0; received.length < count && i < 300; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(received.length >= count, `${received.length} of ${count} messages received`);
  };

  before(async () => {
    server = await startIgtlServer({ host: '127.0.0.1', port: 0, maxBodySize: 1 << 20, sink: { receive: (m, a) => void received.push({ message: m, arrival: a }) } });
  });
  after(() => server.close());

  it('hands every message to the sink in order, with the device clock and the receive time', async () => {
    received.length = 0;
    const { socket } = await client(server.port);
    const before = Date.now();
    // Split anywhere: TCP does not keep message boundaries.
    const bytes = Buffer.concat([1, 2, 3].map((tx) => message(transform(tx))));
    for (let at = 0; at < bytes.length; at += 17) socket.write(bytes.subarray(at, at + 17));
    await waitFor(3);
    assert.deepEqual(received.map((r) => (r.message.content as { matrix: number[] }).matrix[9]), [1, 2, 3]);
    assert.equal(received[0]?.message.deviceName, 'Stylus');
    assert.deepEqual(received[0]?.message.timestamp, TIME);
    assert.ok((received[0]?.arrival.receivedAt ?? 0) >= before);
    assert.equal(received[0]?.arrival.peerAddress, '127.0.0.1');
    socket.destroy();
  });

  it('answers GET_CAPABIL, GET_STATUS and STT_TDATA itself, in the version asked', async () => {
    const { socket, next } = await client(server.port);
    socket.write(message({ type: 'GET_CAPABIL' }, 'Nav', 3));
    const [capability] = await next();
    assert.equal(capability?.version, 3);
    assert.equal(capability?.content.type, 'CAPABILITY');
    const types = (capability?.content as { types: string[] }).types;
    for (const type of ['TRANSFORM', 'POSITION', 'QTDATA', 'TDATA', 'STATUS', 'STRING', 'POINT', 'IMAGE', 'GET_STATUS']) assert.ok(types.includes(type), type);
    socket.write(message({ type: 'GET_STATUS' }));
    assert.deepEqual((await next())[0]?.content, { type: 'STATUS', code: 1, subcode: 0n, errorName: '', message: 'Passerelle is receiving' });
    socket.write(message({ type: 'STT_TDATA', resolution: 50, coordinateName: 'RAS' }));
    assert.deepEqual((await next())[0]?.content, { type: 'RTS_TDATA', status: 1 });
    socket.destroy();
  });

  it('answers a bad CRC, a bad content and an unknown type with STATUS, and goes on', async () => {
    received.length = 0;
    const { socket, next } = await client(server.port);
    const bad = Buffer.from(message(transform(9)));
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    const wrongSize = message({ type: 'STRING', encoding: 3, value: 'x' });
    wrongSize.writeUInt16BE(50, 58 + 2); // the STRING's length field says 50
    wrongSize.writeBigUInt64BE(crc64(wrongSize.subarray(58)), 50);
    const unknown = Buffer.from(message({ type: 'GET_STATUS' }));
    unknown.fill(0, 2, 14).write('NDARRAY', 2, 'latin1');
    socket.write(Buffer.concat([bad, wrongSize, unknown, message(transform(4))]));
    const codes = (await next(3)).map((reply) => (reply.content as { code: number }).code);
    assert.deepEqual(codes, [9, 10, 12]);
    await waitFor(1);
    assert.equal((received[0]?.message.content as { matrix: number[] }).matrix[9], 4, 'the good message after them arrives');
    socket.destroy();
  });

  it('closes a connection whose header cannot be read, and another peer never notices', async () => {
    received.length = 0;
    const garbage = await client(server.port);
    const good = await client(server.port);
    const header = Buffer.from(message(transform(1)).subarray(0, 58));
    header.writeUInt16BE(7, 0);
    garbage.socket.write(header);
    good.socket.write(message(transform(5)));
    const [status] = await garbage.next();
    assert.equal((status?.content as { code: number }).code, 17, 'unknown version');
    await garbage.closed;
    await waitFor(1);
    assert.equal((received[0]?.message.content as { matrix: number[] }).matrix[9], 5);
    // A claimed body of a terabyte is refused from its header, before any of it is awaited.
    const huge = await client(server.port);
    const claim = Buffer.from(message(transform(1)).subarray(0, 58));
    claim.writeBigUInt64BE(1n << 40n, 42);
    huge.socket.write(claim);
    assert.equal(((await huge.next())[0]?.content as { code: number }).code, 11);
    await huge.closed;
    good.socket.destroy();
  });
});
