// The OpenIGTLink codec against the reference C++ library (libopenigtlink 1.11, protocol version
// 2), both ways: what the library packs, the codec reads (CRC checked) and writes back byte for
// byte; what the codec writes, the library unpacks with a valid CRC and the same values. The
// hand-made vectors of codec.test.ts check our reading of the specification; this checks it
// against the implementation the devices in theatre are built with.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeBody, encodeMessage, FrameReader, spacingOf, type IgtlContent, type IgtlMessage, type Matrix34 } from '../../igtlink/codec/index.ts';
import { packWithReference, unpackWithReference, type PackedMessage } from '../support/igtl-reference.ts';

// 1700000000 s and half a second, exact in the header's 32.32 fixed point.
const TIME = { seconds: 1_700_000_000, fraction: 0x80000000 };
const MATRIX: Matrix34 = [1, 0, 0, 0, 0.5, -0.5, 0, 0.5, 0.5, 10.25, -20.5, 300];
const TURN: Matrix34 = [0, 1, 0, -1, 0, 0, 0, 0, 1, -4.5, 8, 0.125];

const int16le = (values: number[]): Buffer => {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((value, i) => out.writeInt16LE(value, i * 2));
  return out;
};

const fixture = (label: string, content: IgtlContent, deviceName = 'Reference'): { label: string; message: IgtlMessage } => ({
  label,
  message: { version: 2, deviceName, timestamp: TIME, content },
});

/**
 * The messages of igtl-reference.cxx, in its order and with its values (exact in float32, so a
 * round trip gives them back unchanged).
 */
const FIXTURES = [
  fixture('TRANSFORM, a full 20-character device name', { type: 'TRANSFORM', matrix: MATRIX }, 'TwentyCharDeviceName'),
  fixture('POSITION', { type: 'POSITION', position: [1.5, 2.5, -3], quaternion: [0.5, -0.5, 0.5, 0.5] }),
  fixture('QTDATA, 2 tools', {
    type: 'QTDATA',
    elements: [
      { name: 'Stylus', instrumentType: 2, position: [10.25, -20.5, 300], quaternion: [0, 0, 0, 1] },
      { name: 'Needle', instrumentType: 3, position: [1, 2, 3], quaternion: [0.5, 0.5, 0.5, 0.5] },
    ],
  }),
  fixture('TDATA, 2 tools', {
    type: 'TDATA',
    elements: [{ name: 'Reference', instrumentType: 1, matrix: MATRIX }, { name: 'Probe', instrumentType: 4, matrix: TURN }],
  }),
  fixture('STT_TDATA', { type: 'STT_TDATA', resolution: 50, coordinateName: 'Patient' }),
  fixture('STP_TDATA', { type: 'STP_TDATA' }),
  fixture('RTS_TDATA, error', { type: 'RTS_TDATA', status: 1 }),
  fixture('STATUS OK with a message', { type: 'STATUS', code: 1, subcode: 0n, errorName: '', message: 'Ready' }),
  fixture('STATUS error with subcode and name', { type: 'STATUS', code: 10, subcode: 0x0123456789abcdefn, errorName: 'ConfigError', message: 'Tool not found on port 3' }),
  fixture('STRING UTF-8', { type: 'STRING', encoding: 106, value: 'Grüße, 東京 ✓' }),
  fixture('STRING US-ASCII', { type: 'STRING', encoding: 3, value: '<cmd name="Start"/>' }),
  fixture('POINT', {
    type: 'POINT',
    points: [{ name: 'Entry', group: 'Fiducial', rgba: [255, 128, 0, 200], position: [12.5, -7.25, 30], radius: 2.5, owner: 'CT-Volume' }],
  }),
  // Big-endian is the library's default even on a little-endian host; it does not matter for bytes.
  fixture('IMAGE 2D 4x3 uint8', {
    type: 'IMAGE', components: 1, scalarType: 3, endian: 'big', coordinate: 'RAS', size: [4, 3, 1],
    matrix: [0.5, 0, 0, 0, 0.25, 0, 0, 0, 1, 10, -20.5, 0], subvolumeOffset: [0, 0, 0], subvolumeSize: [4, 3, 1],
    pixels: Buffer.from(Array.from({ length: 12 }, (_, i) => i * 20)),
  }),
  fixture('IMAGE 3D 2x2x2 int16 little-endian, LPS, turned axes', {
    type: 'IMAGE', components: 1, scalarType: 4, endian: 'little', coordinate: 'LPS', size: [2, 2, 2],
    matrix: [0, 1.5, 0, -2, 0, 0, 0, 0, 3, -100, 50.5, 7.75], subvolumeOffset: [0, 0, 0], subvolumeSize: [2, 2, 2],
    pixels: int16le([-32768, -2, -1, 0, 1, 256, 1000, 32767]),
  }),
  fixture('CAPABILITY, with a 12-character name', { type: 'CAPABILITY', types: ['TRANSFORM', 'STATUS', 'QTDATA', 'GET_TRANSFOR'] }),
  fixture('GET_STATUS', { type: 'GET_STATUS' }),
  fixture('GET_CAPABIL', { type: 'GET_CAPABIL' }),
];

/**
 * The line igtl-reference.cxx prints for a message it unpacked: the values read back through the
 * library's getters (the image's spacing, origin and unit axes rather than its matrix), numbers
 * as ostream prints them, which for these values is as String() does.
 */
function referenceLine({ deviceName, timestamp, content: c }: IgtlMessage): string {
  const q = (text: string): string => `"${text}"`;
  const fields: (string | number | bigint)[] = [deviceName, timestamp.seconds, timestamp.fraction];
  switch (c.type) {
    case 'TRANSFORM': fields.push(...c.matrix); break;
    case 'POSITION': fields.push(...c.position, ...c.quaternion); break;
    case 'QTDATA': c.elements.forEach((e) => fields.push(q(e.name), e.instrumentType, ...e.position, ...e.quaternion)); break;
    case 'TDATA': c.elements.forEach((e) => fields.push(q(e.name), e.instrumentType, ...e.matrix)); break;
    case 'STT_TDATA': fields.push(c.resolution, q(c.coordinateName)); break;
    case 'RTS_TDATA': fields.push(c.status); break;
    case 'STATUS': fields.push(c.code, c.subcode, q(c.errorName), q(c.message)); break;
    case 'STRING': fields.push(c.encoding, q(c.value)); break;
    case 'POINT': c.points.forEach((p) => fields.push(q(p.name), q(p.group), ...p.rgba, ...p.position, p.radius, q(p.owner))); break;
    case 'IMAGE': {
      const spacing = spacingOf(c);
      const axes = [0, 1, 2].flatMap((axis) => [0, 1, 2].map((k) => (c.matrix[axis * 3 + k] as number) / (spacing[axis] as number)));
      fields.push(c.components, c.scalarType, c.endian === 'big' ? 1 : 2, c.coordinate === 'RAS' ? 1 : 2, ...c.size, ...spacing, ...c.matrix.slice(9), ...axes);
      fields.push(...c.subvolumeOffset, ...c.subvolumeSize, c.pixels.toString('hex'));
      break;
    }
    case 'CAPABILITY': fields.push(...c.types.map(q)); break;
    default: break; // bodiless: the header is all
  }
  return `${c.type} ok ${fields.join(' ')}`;
}

describe('OpenIGTLink codec and the reference library (libopenigtlink 1.11)', () => {
  let packed: PackedMessage[];

  before(async () => {
    packed = await packWithReference();
  });

  it('packs the messages of the fixtures, in their order', () => {
    assert.deepEqual(packed.map(({ type }) => type), FIXTURES.map(({ message }) => message.content.type));
  });

  it("reads every message the library packed, as one stream, with the CRC checked and the fixtures' values", () => {
    // decodeBody throws on a CRC mismatch, so a value read here is a CRC agreed on.
    const frames = new FrameReader().push(Buffer.concat(packed.map(({ bytes }) => bytes)));
    assert.equal(frames.length, FIXTURES.length);
    frames.forEach((frame, i) => {
      const { label, message } = FIXTURES[i] as (typeof FIXTURES)[number];
      assert.equal(frame.header.headerVersion, 1, label);
      assert.deepEqual(decodeBody(frame.header, frame.body), message, label);
    });
  });

  describe('writes the bytes the library writes', () => {
    FIXTURES.forEach(({ label, message }, i) => {
      it(label, () => {
        // Hex, so that a difference shows where it is.
        assert.equal(encodeMessage(message).toString('hex'), packed[i]?.bytes.toString('hex'));
      });
    });
  });

  it('writes messages the library unpacks with a valid CRC and the same values', async () => {
    const lines = await unpackWithReference(FIXTURES.map(({ message }) => ({ type: message.content.type, bytes: encodeMessage(message) })));
    assert.deepEqual(lines, FIXTURES.map(({ message }) => referenceLine(message)));
  });

  it('is refused by the library when a body byte changes, so "ok" above means the CRC was checked', async () => {
    const { message } = FIXTURES[0] as (typeof FIXTURES)[number];
    const bytes = encodeMessage(message);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    assert.deepEqual(await unpackWithReference([{ type: 'TRANSFORM', bytes }]), ['TRANSFORM fail the body was not unpacked (bad CRC?)']);
  });
});
