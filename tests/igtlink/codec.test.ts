// The OpenIGTLink codec against byte vectors assembled by hand from the specification (header
// layout, CRC-64 ECMA-182, each content layout), round trips of every type in versions 2 and 3,
// and malformed input: every failure is an IgtlDecodeError with the STATUS code to answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  crc64, decodeBody, encodeMessage, FrameReader, IgtlDecodeError, SUPPORTED_TYPES, type IgtlContent, type IgtlMessage,
} from '../../igtlink/codec/index.ts';

const be16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const be64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(56 - i * 8)) & 0xffn));
const f32 = (x: number): number[] => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(x);
  return [...b];
};
const text = (s: string, length: number): number[] => [...Buffer.from(s.padEnd(length, '\0'), 'latin1')];
const TIME = { seconds: 1_700_000_000, fraction: 0x80000000 };

/** A whole message written field by field as the specification lays it out. */
function specMessage(type: string, device: string, body: number[], headerVersion = 1): Buffer {
  const bytes = Buffer.from(body);
  return Buffer.from([...be16(headerVersion), ...text(type, 12), ...text(device, 20), ...be32(TIME.seconds), ...be32(TIME.fraction), ...be64(BigInt(bytes.length)), ...be64(crc64(bytes)), ...bytes]);
}

function decodeAll(bytes: Buffer): IgtlMessage {
  const frames = new FrameReader().push(bytes);
  assert.equal(frames.length, 1);
  const frame = frames[0] as NonNullable<(typeof frames)[0]>;
  const message = decodeBody(frame.header, frame.body);
  assert.ok('content' in message, 'a known type');
  return message;
}

const MATRIX = [1, 0, 0, 0, 0.5, -0.5, 0, 0.5, 0.5, 10.25, -20.5, 300] as const;

describe('CRC-64 ECMA-182', () => {
  it('gives the check value of "123456789" and 0 for nothing', () => {
    assert.equal(crc64(Buffer.from('123456789')), 0x6c40df5f0b497347n);
    assert.equal(crc64(Buffer.alloc(0)), 0n);
  });
});

describe('OpenIGTLink codec: the specification\'s byte layouts', () => {
  const vectors: { name: string; content: IgtlContent; body: number[] }[] = [
    { name: 'TRANSFORM: 12 float32, rotation columns then translation', content: { type: 'TRANSFORM', matrix: [...MATRIX] }, body: MATRIX.flatMap(f32) },
    { name: 'POSITION: position then (ox, oy, oz, w)', content: { type: 'POSITION', position: [1.5, 2.5, -3], quaternion: [0, 0, 0.5, 0.75] }, body: [1.5, 2.5, -3, 0, 0, 0.5, 0.75].flatMap(f32) },
    {
      name: 'QTDATA: 50 bytes a tool',
      content: { type: 'QTDATA', elements: [{ name: 'Stylus', instrumentType: 2, position: [1, 2, 3], quaternion: [0, 0, 0, 1] }] },
      body: [...text('Stylus', 20), 2, 0, ...[1, 2, 3, 0, 0, 0, 1].flatMap(f32)],
    },
    {
      name: 'TDATA: 70 bytes a tool',
      content: { type: 'TDATA', elements: [{ name: 'Reference', instrumentType: 1, matrix: [...MATRIX] }] },
      body: [...text('Reference', 20), 1, 0, ...MATRIX.flatMap(f32)],
    },
    { name: 'STT_TDATA: resolution and coordinate name', content: { type: 'STT_TDATA', resolution: 50, coordinateName: 'RAS' }, body: [...be32(50), ...text('RAS', 32)] },
    { name: 'STP_TDATA: empty', content: { type: 'STP_TDATA' }, body: [] },
    { name: 'RTS_QTDATA: one status byte', content: { type: 'RTS_QTDATA', status: 1 }, body: [1] },
    {
      name: 'STATUS: code, subcode, error name, NUL-terminated message',
      content: { type: 'STATUS', code: 13, subcode: -2n, errorName: 'NOT_READY', message: 'Laser warming up' },
      body: [...be16(13), ...be64(0xfffffffffffffffen), ...text('NOT_READY', 20), ...Buffer.from('Laser warming up\0')],
    },
    { name: 'STRING: MIBenum, length, UTF-8 bytes', content: { type: 'STRING', encoding: 106, value: 'Salle 3 prête' }, body: [...be16(106), ...be16(Buffer.byteLength('Salle 3 prête')), ...Buffer.from('Salle 3 prête')] },
    {
      name: 'POINT: 136 bytes a point',
      content: { type: 'POINT', points: [{ name: 'Entry', group: 'Fiducial', rgba: [255, 0, 0, 255], position: [10, 20, 30], radius: 2.5, owner: 'CT' }] },
      body: [...text('Entry', 64), ...text('Fiducial', 32), 255, 0, 0, 255, ...[10, 20, 30, 2.5].flatMap(f32), ...text('CT', 20)],
    },
    {
      name: 'IMAGE: 72-byte image header then the subvolume\'s pixels',
      content: {
        type: 'IMAGE', components: 1, scalarType: 3, endian: 'little', coordinate: 'LPS', size: [2, 2, 1],
        matrix: [0.5, 0, 0, 0, 0.5, 0, 0, 0, 1, 1, 2, 3], subvolumeOffset: [0, 0, 0], subvolumeSize: [2, 2, 1], pixels: Buffer.from([1, 2, 3, 4]),
      },
      body: [...be16(1), 1, 3, 2, 2, ...be16(2), ...be16(2), ...be16(1), ...[0.5, 0, 0, 0, 0.5, 0, 0, 0, 1, 1, 2, 3].flatMap(f32), 0, 0, 0, 0, 0, 0, ...be16(2), ...be16(2), ...be16(1), 1, 2, 3, 4],
    },
    { name: 'CAPABILITY: 12 bytes a type', content: { type: 'CAPABILITY', types: ['TRANSFORM', 'STATUS'] }, body: [...text('TRANSFORM', 12), ...text('STATUS', 12)] },
    { name: 'GET_CAPABIL: empty', content: { type: 'GET_CAPABIL' }, body: [] },
  ];

  for (const vector of vectors) {
    it(vector.name, () => {
      const expected = specMessage(vector.content.type, 'Tracker01', vector.body);
      const encoded = encodeMessage({ version: 2, deviceName: 'Tracker01', timestamp: TIME, content: vector.content });
      assert.equal(encoded.toString('hex'), expected.toString('hex'));
      const decoded = decodeAll(expected);
      assert.deepEqual(decoded.content, vector.content);
      assert.equal(decoded.deviceName, 'Tracker01');
      assert.deepEqual(decoded.timestamp, TIME);
    });
  }

  it('covers every supported type', () => {
    const covered = new Set(vectors.map((v) => v.content.type));
    const rest = SUPPORTED_TYPES.filter((type) => !covered.has(type));
    // The remaining ones share a layout with a covered type (STT_QTDATA with STT_TDATA, the other empty queries...).
    for (const type of rest) {
      const content = (type.startsWith('STT_') ? { type, resolution: 0, coordinateName: '' } : type.startsWith('RTS_') ? { type, status: 0 } : { type }) as IgtlContent;
      assert.deepEqual(decodeAll(encodeMessage({ version: 2, deviceName: 'd', timestamp: TIME, content })).content, content, type);
    }
  });
});

describe('OpenIGTLink codec: version 3', () => {
  it('writes the extended header, the content, the metadata index and the metadata', () => {
    const content: IgtlContent = { type: 'STRING', encoding: 3, value: 'hi' };
    const message = encodeMessage({ version: 3, deviceName: 'Nav', timestamp: TIME, content, messageId: 7, metadata: [['PatientPosition', 'HFS'], ['Unité', 'mm']] });
    const key2 = Buffer.from('Unité');
    const expectedBody = [
      ...be16(12), ...be16(2 + 2 * 8), ...be32(15 + 3 + key2.length + 2), ...be32(7),
      ...be16(3), ...be16(2), ...Buffer.from('hi'),
      ...be16(2), ...be16(15), ...be16(106), ...be32(3), ...be16(key2.length), ...be16(106), ...be32(2),
      ...Buffer.from('PatientPosition'), ...Buffer.from('HFS'), ...key2, ...Buffer.from('mm'),
    ];
    assert.equal(message.toString('hex'), specMessage('STRING', 'Nav', expectedBody, 2).toString('hex'));
    const decoded = decodeAll(message);
    assert.equal(decoded.version, 3);
    assert.equal(decoded.messageId, 7);
    assert.deepEqual(decoded.metadata, [['PatientPosition', 'HFS'], ['Unité', 'mm']]);
    assert.deepEqual(decoded.content, content);
  });

  it('reads a version 3 body without metadata', () => {
    const decoded = decodeAll(encodeMessage({ version: 3, deviceName: 'Nav', timestamp: TIME, content: { type: 'RTS_TDATA', status: 0 } }));
    assert.deepEqual(decoded.metadata, []);
    assert.deepEqual(decoded.content, { type: 'RTS_TDATA', status: 0 });
  });
});

describe('OpenIGTLink codec: malformed input', () => {
  const good = encodeMessage({ version: 2, deviceName: 'Tracker01', timestamp: TIME, content: { type: 'TRANSFORM', matrix: [...MATRIX] } });
  const statusOf = (work: () => unknown): number => {
    try {
      work();
    } catch (err) {
      assert.ok(err instanceof IgtlDecodeError, `an IgtlDecodeError, not ${String(err)}`);
      return err.status;
    }
    return assert.fail('accepted');
  };
  const decodeBytes = (bytes: Buffer): void => {
    for (const frame of new FrameReader(1 << 20).push(bytes)) decodeBody(frame.header, frame.body);
  };

  it('refuses a bad CRC with checksum error (9)', () => {
    const bad = Buffer.from(good);
    bad[good.length - 1] = (bad[good.length - 1] as number) ^ 1;
    assert.equal(statusOf(() => decodeBytes(bad)), 9);
  });

  it('refuses an unknown header version (17) and an impossible body size before buffering it (11)', () => {
    const version = Buffer.from(good);
    version.writeUInt16BE(9, 0);
    assert.equal(statusOf(() => decodeBytes(version)), 17);
    const huge = Buffer.from(good.subarray(0, 58));
    huge.writeBigUInt64BE(1n << 40n, 42);
    const reader = new FrameReader(1 << 20);
    assert.equal(statusOf(() => reader.push(huge)), 11);
  });

  it('refuses contents of the wrong size and out-of-range fields', () => {
    const cases: [string, number[]][] = [
      ['TRANSFORM', [1, 2, 3]],
      ['POSITION', Array(20).fill(0)],
      ['QTDATA', Array(49).fill(0)],
      ['TDATA', [...text('x', 20), 9, 0, ...Array(48).fill(0)]],
      ['STRING', [...be16(106), ...be16(10), 65]],
      ['STRING', [...be16(1015), ...be16(1), 65]],
      ['STRING', [...be16(106), ...be16(2), 0xc3, 0x28]],
      ['STATUS', [0, 1]],
      ['IMAGE', [...be16(1), 1, 3, 2, 1, ...be16(2), ...be16(2), ...be16(1), ...Array(48).fill(0), ...Array(6).fill(0), ...be16(2), ...be16(2), ...be16(1), 1, 2]],
      ['IMAGE', [...be16(1), 1, 99, 2, 1, ...Array(66).fill(0)]],
      ['CAPABILITY', [65]],
      ['GET_STATUS', [1]],
    ];
    for (const [type, body] of cases) assert.equal(statusOf(() => decodeBytes(specMessage(type, 'd', body))), 10, `${type} ${body.length} bytes`);
  });

  it('reads an unknown type as unknown (for an RTS/STATUS answer), not as garbage', () => {
    const frame = new FrameReader().push(specMessage('NDARRAY', 'd', [1, 2, 3]))[0] as NonNullable<ReturnType<FrameReader['push']>[0]>;
    const result = decodeBody(frame.header, frame.body);
    assert.ok('unknownType' in result && result.unknownType === 'NDARRAY');
  });

  it('frames messages split at every byte and several in one chunk', () => {
    const two = Buffer.concat([good, good]);
    for (let cut = 1; cut < two.length; cut++) {
      const reader = new FrameReader();
      const frames = [...reader.push(two.subarray(0, cut)), ...reader.push(two.subarray(cut))];
      assert.equal(frames.length, 2, `cut at ${cut}`);
      assert.equal(reader.buffered, 0);
    }
  });

  it('survives garbage: random bytes only ever give IgtlDecodeError', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.from(Array.from({ length: 58 + (random() % 200) }, random));
      if (round % 2 === 0) {
        // A plausible header with a random body and its right CRC: the content codecs face the garbage.
        bytes.writeUInt16BE(1 + (round % 4 === 0 ? 1 : 0), 0);
        const type = SUPPORTED_TYPES[round % SUPPORTED_TYPES.length] as string;
        bytes.fill(0, 2, 14).write(type, 2, 'latin1');
        bytes.fill(0, 14, 34);
        bytes.writeBigUInt64BE(BigInt(bytes.length - 58), 42);
        bytes.writeBigUInt64BE(crc64(bytes.subarray(58)), 50);
      }
      try {
        decodeBytes(bytes);
      } catch (err) {
        assert.ok(err instanceof IgtlDecodeError, `round ${round}: ${String(err)}`);
      }
    }
  });
});
