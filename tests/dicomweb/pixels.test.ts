// Frames out of Pixel Data (dicomweb/pixels/frames.ts) on the real fixtures, checked against
// DCMTK where a peer exists (dcmdump's values, dcmconv's big endian, dcmcjpeg's fragmentation).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type DicomDict, extractFrames, FrameError, frameCount, frameMediaType } from '../../dicomweb/pixels/index.ts';
import { requireDcmtk } from '../support/dcmtk.ts';

const FIXTURES = '/work/shared/fixtures/dicom';
const dcmjs = createRequire(import.meta.url)('dcmjs') as {
  data: { DicomMessage: { readFile(buffer: ArrayBuffer): { meta: DicomDict; dict: DicomDict } } };
};

/** Parses a Part 10 file (or its bytes) with dcmjs: the dataset and its transfer syntax. */
function parse(source: string | Buffer): { dict: DicomDict; ts: string } {
  const bytes = typeof source === 'string' ? readFileSync(source.startsWith('/') ? source : join(FIXTURES, source)) : source;
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { dict, ts: String(meta['00020010']?.Value?.[0]) };
}

requireDcmtk('dcmdump', 'dcmconv', 'dcmcjpeg', 'dcmdjpeg');
const work = mkdtempSync(join(tmpdir(), 'pixels-frames-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Every value of Pixel Data as dcmdump prints it (hex words for OW, hex bytes for OB), as little-endian bytes. */
function dcmdumpPixelBytes(file: string): Buffer {
  const line = execFileSync('dcmdump', ['+L', '+P', '7fe0,0010', file], { encoding: 'latin1', maxBuffer: 64 << 20 });
  const match = /\(7fe0,0010\) (O[BW]) ([0-9a-f\\]+)/.exec(line);
  assert.ok(match, line.slice(0, 200));
  const values = match[2]!.split('\\');
  const out = Buffer.alloc(values.length * (match[1] === 'OW' ? 2 : 1));
  values.forEach((value, i) => (match[1] === 'OW' ? out.writeUInt16LE(parseInt(value, 16), i * 2) : (out[i] = parseInt(value, 16))));
  return out;
}

/** A small synthetic image dataset in the dcmjs shape. */
function imageDict(attrs: { rows: number; columns: number; bits: number; frames?: number; spp?: number; pixelData: Buffer | Buffer[]; vr?: string; extra?: DicomDict }): DicomDict {
  const pixelData = Array.isArray(attrs.pixelData) ? attrs.pixelData : [attrs.pixelData];
  return {
    '00280002': { vr: 'US', Value: [attrs.spp ?? 1] },
    '00280004': { vr: 'CS', Value: [(attrs.spp ?? 1) === 3 ? 'RGB' : 'MONOCHROME2'] },
    '00280008': { vr: 'IS', Value: [attrs.frames ?? 1] },
    '00280010': { vr: 'US', Value: [attrs.rows] },
    '00280011': { vr: 'US', Value: [attrs.columns] },
    '00280100': { vr: 'US', Value: [attrs.bits] },
    '00280101': { vr: 'US', Value: [attrs.bits] },
    '00280102': { vr: 'US', Value: [attrs.bits - 1] },
    '00280103': { vr: 'US', Value: [0] },
    '7FE00010': { vr: attrs.vr ?? (attrs.bits > 8 ? 'OW' : 'OB'), Value: pixelData.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) },
    ...attrs.extra,
  };
}

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

describe('native frames', () => {
  it('CT explicit little endian: one frame of 128x128x2 bytes, equal to what dcmdump shows', () => {
    const { dict, ts } = parse('CT_ExplVRLE_CT_small.dcm');
    const [frame] = extractFrames(dict, ts, [1]);
    assert.equal(frame!.length, 128 * 128 * 2);
    assert.deepEqual(frame, dcmdumpPixelBytes(join(FIXTURES, 'CT_ExplVRLE_CT_small.dcm')));
  });

  it('MR implicit little endian and deflated secondary capture', () => {
    const mr = parse('MR_ImplVRLE_study1026_MR01.dcm');
    assert.equal(extractFrames(mr.dict, mr.ts, [1])[0]!.length, 256 * 256 * 2);
    const sc = parse('SC_DeflatedExplVRLE_image_dfl.dcm');
    assert.equal(sc.ts, '1.2.840.10008.1.2.1.99');
    assert.equal(extractFrames(sc.dict, sc.ts, [1])[0]!.length, 512 * 512);
  });

  it('explicit VR big endian US (8-bit RGB, OB): bytes as dcmdump shows them', () => {
    const file = join(FIXTURES, 'US_ExplVRBE_ExplVR_BigEnd.dcm');
    const { dict, ts } = parse(file);
    assert.equal(ts, '1.2.840.10008.1.2.2');
    const [frame] = extractFrames(dict, ts, [1]);
    assert.equal(frame!.length, 80 * 60 * 3);
    assert.deepEqual(frame, dcmdumpPixelBytes(file));
  });

  it('explicit VR big endian 16-bit (the CT converted by dcmconv +tb): frames come back little endian', () => {
    const bigEndian = join(work, 'ct-big-endian.dcm');
    execFileSync('dcmconv', ['+tb', join(FIXTURES, 'CT_ExplVRLE_CT_small.dcm'), bigEndian]);
    const be = parse(bigEndian);
    assert.equal(be.ts, '1.2.840.10008.1.2.2');
    // dcmjs leaves OW in file order: the raw value is big endian...
    const raw = Buffer.from(be.dict['7FE00010']!.Value![0] as ArrayBuffer);
    const le = parse('CT_ExplVRLE_CT_small.dcm');
    const [littleFrame] = extractFrames(le.dict, le.ts, [1]);
    assert.equal(raw.readUInt16BE(0), littleFrame!.readUInt16LE(0));
    // ...and the frame is swapped to the values dcmdump prints.
    const [frame] = extractFrames(be.dict, be.ts, [1]);
    assert.deepEqual(frame, littleFrame);
    assert.deepEqual(frame, dcmdumpPixelBytes(bigEndian));
  });

  it('multi-frame native: each frame its slice, in the order asked', () => {
    const data = Buffer.from([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    const dict = imageDict({ rows: 2, columns: 2, bits: 8, frames: 3, pixelData: data });
    assert.equal(frameCount(dict), 3);
    assert.deepEqual(extractFrames(dict, '1.2.840.10008.1.2.1', [3, 1]), [Buffer.from([3, 3, 3, 3]), Buffer.from([1, 1, 1, 1])]);
  });

  it('big endian OW 16-bit multi-frame is swapped per word', () => {
    const dict = imageDict({ rows: 1, columns: 2, bits: 16, frames: 2, pixelData: Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]) });
    assert.deepEqual(extractFrames(dict, '1.2.840.10008.1.2.2', [2]), [Buffer.from([0x06, 0x05, 0x08, 0x07])]);
  });

  it('1-bit frames that do not end on a byte are re-packed from bit 0', () => {
    // 3 frames of 3x3 bits, LSB first: frame 1 = 0b101010101, frame 2 = all ones, frame 3 = 0b000000001.
    const bits = [1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    const packed = Buffer.alloc(4);
    bits.forEach((bit, i) => (packed[i >> 3] = packed[i >> 3]! | (bit << (i & 7))));
    const dict = imageDict({ rows: 3, columns: 3, bits: 1, frames: 3, pixelData: packed });
    const [one, two, three] = extractFrames(dict, '1.2.840.10008.1.2.1', [1, 2, 3]);
    assert.deepEqual(one, Buffer.from([0b01010101, 0b1]));
    assert.deepEqual(two, Buffer.from([0xff, 0b1]));
    assert.deepEqual(three, Buffer.from([0b1, 0]));
  });

  it('truncated native pixel data (a fixture cut short) is a FrameError, not a short frame', () => {
    const bytes = readFileSync(join(FIXTURES, 'CT_ExplVRLE_CT_small.dcm'));
    const { dict, ts } = parse(bytes.subarray(0, bytes.length - 1000));
    assert.throws(() => extractFrames(dict, ts, [1]), (err: unknown) => err instanceof FrameError && err.code === 'truncated' && /32768/.test(err.message));
  });
});

describe('encapsulated frames', () => {
  it('the 30-frame JPEG baseline US: 30 frames, each from FFD8 to FFD9 (padding dropped)', () => {
    const { dict, ts } = parse('US_JPEGBaseline_multiframe30_examples_ybr_color.dcm');
    assert.equal(frameCount(dict), 30);
    const frames = extractFrames(dict, ts, Array.from({ length: 30 }, (_, i) => i + 1));
    assert.equal(frames.length, 30);
    for (const frame of frames) {
      assert.equal(frame.readUInt16BE(0), 0xffd8);
      assert.equal(frame.readUInt16BE(frame.length - 2), 0xffd9);
    }
    // Each frame is its fragment (the file has a Basic Offset Table), less an odd stream's pad byte.
    const fragments = dict['7FE00010']!.Value as ArrayBuffer[];
    frames.forEach((frame, i) => assert.ok([0, 1].includes(fragments[i]!.byteLength - frame.length)));
  });

  it('frames split over several fragments without an offset table (dcmcjpeg +fs 1 -ot) are found by their SOI', () => {
    const native = join(work, 'us-native.dcm');
    const fragmented = join(work, 'us-fragmented.dcm');
    execFileSync('dcmdjpeg', [join(FIXTURES, 'US_JPEGBaseline_multiframe30_examples_ybr_color.dcm'), native]);
    execFileSync('dcmcjpeg', ['+eb', '+fs', '1', '-ot', native, fragmented]);
    const { dict, ts } = parse(fragmented);
    assert.ok(dict['7FE00010']!.Value!.length > 30, 'more fragments than frames');
    const frames = extractFrames(dict, ts, [1, 15, 30]);
    for (const frame of frames) {
      assert.equal(frame.readUInt16BE(0), 0xffd8);
      assert.equal(frame.readUInt16BE(frame.length - 2), 0xffd9);
      assert.ok(frame.length > 1024, 'a frame joins its fragments');
    }
  });

  it('a single frame in several fragments is their concatenation', () => {
    const dict = imageDict({ rows: 1, columns: 1, bits: 8, pixelData: [Buffer.from([0xff, 0xd8, 1, 2]), Buffer.from([3, 4, 0xff, 0xd9])] });
    assert.deepEqual(extractFrames(dict, JPEG_BASELINE, [1]), [Buffer.from([0xff, 0xd8, 1, 2, 3, 4, 0xff, 0xd9])]);
  });

  it('the Extended Offset Table picks each frame’s fragments and trims to its length', () => {
    const fragments = [Buffer.from([0xa1, 0xa2]), Buffer.from([0xa3, 0xa4]), Buffer.from([0xb1, 0xb2, 0xb3, 0xb4]), Buffer.from([0xc1, 0xc2])];
    const offsets = Buffer.alloc(24);
    [0, 20, 32].forEach((offset, i) => offsets.writeBigUInt64LE(BigInt(offset), i * 8)); // 8 + 2, 8 + 2 -> 20; 20 + 8 + 4 -> 32
    const lengths = Buffer.alloc(24);
    [4, 3, 2].forEach((length, i) => lengths.writeBigUInt64LE(BigInt(length), i * 8));
    const dict = imageDict({
      rows: 1,
      columns: 1,
      bits: 8,
      frames: 3,
      pixelData: fragments,
      extra: { '7FE00001': { vr: 'OV', Value: [offsets.buffer.slice(offsets.byteOffset, offsets.byteOffset + 24)] }, '7FE00002': { vr: 'OV', Value: [lengths.buffer.slice(lengths.byteOffset, lengths.byteOffset + 24)] } },
    });
    assert.deepEqual(extractFrames(dict, '1.2.840.10008.1.2.4.90', [1, 2, 3]), [Buffer.from([0xa1, 0xa2, 0xa3, 0xa4]), Buffer.from([0xb1, 0xb2, 0xb3]), Buffer.from([0xc1, 0xc2])]);
  });

  it('RLE US: one fragment, its 64-byte header declaring 3 segments', () => {
    const { dict, ts } = parse('US_RLE_YBR_FULL-RLE.dcm');
    const [frame] = extractFrames(dict, ts, [1]);
    assert.equal(frame!.readUInt32LE(0), 3);
    assert.equal(frame!.readUInt32LE(4), 64);
  });

  it('JPEG-LS, JPEG 2000 and JPEG lossless frames come out as their codestreams', () => {
    const starts: Array<[string, number]> = [
      ['MR_JPEGLSLossless_MR_small_jpeg_ls_lossless.dcm', 0xffd8fff7],
      ['US_JPEG2000_US1_J2KI.dcm', 0xff4fff51],
      ['MR_JPEG2000Lossless_GH064.dcm', 0xff4fff51],
      ['MR_JPEGLosslessSV1_MR-JPEGLosslessSV1.dcm', 0xffd8ffe0],
      ['NM_JPEGExtended_JPGExtended.dcm', 0xffd8ffc1],
    ];
    for (const [file, start] of starts) {
      const { dict, ts } = parse(file);
      const [frame] = extractFrames(dict, ts, [1]);
      assert.equal(frame!.readUInt32BE(0), start, file);
    }
  });

  it('fragments that cannot be told apart, or too few of them, are typed errors', () => {
    const garbage = imageDict({ rows: 1, columns: 1, bits: 8, frames: 2, pixelData: [Buffer.from([1, 2]), Buffer.from([3, 4]), Buffer.from([5, 6])] });
    assert.throws(() => extractFrames(garbage, JPEG_BASELINE, [1]), (err: unknown) => err instanceof FrameError && err.code === 'corrupt');
    const few = imageDict({ rows: 1, columns: 1, bits: 8, frames: 3, pixelData: [Buffer.from([0xff, 0xd8])] });
    assert.throws(() => extractFrames(few, JPEG_BASELINE, [1]), (err: unknown) => err instanceof FrameError && err.code === 'truncated');
    const rle = imageDict({ rows: 1, columns: 1, bits: 8, frames: 2, pixelData: [Buffer.alloc(64), Buffer.alloc(64), Buffer.alloc(64)] });
    assert.throws(() => extractFrames(rle, '1.2.840.10008.1.2.5', [1]), (err: unknown) => err instanceof FrameError);
  });

  it('a multi-frame JPEG cut in the middle reads as fewer fragments: truncated', () => {
    const bytes = readFileSync(join(FIXTURES, 'US_JPEGBaseline_multiframe30_examples_ybr_color.dcm'));
    let parsed: { dict: DicomDict; ts: string } | undefined;
    try {
      parsed = parse(bytes.subarray(0, Math.floor(bytes.length / 2)));
    } catch {
      return; // dcmjs refusing the file is fine too: nothing reaches extractFrames
    }
    assert.throws(() => extractFrames(parsed.dict, parsed.ts, [30]), (err: unknown) => err instanceof FrameError && ['truncated', 'corrupt'].includes(err.code));
  });
});

describe('frame numbers and missing pixel data', () => {
  const { dict, ts } = parse('US_JPEGBaseline_multiframe30_examples_ybr_color.dcm');

  for (const bad of [0, 31, -1, 1.5, Number.NaN]) {
    it(`frame ${bad} of 30 is out of range`, () => {
      assert.throws(() => extractFrames(dict, ts, [1, bad]), (err: unknown) => err instanceof FrameError && err.code === 'out-of-range' && /30 frames/.test(err.message));
    });
  }

  it('an SR and an ECG have no pixel data', () => {
    for (const file of ['SR_ExplVRLE_test-SR.dcm', 'ECG_ExplVRLE_waveform_ecg.dcm']) {
      const parsed = parse(file);
      assert.throws(() => extractFrames(parsed.dict, parsed.ts, [1]), (err: unknown) => err instanceof FrameError && err.code === 'no-pixel-data');
    }
  });

  it('missing Rows or impossible Bits Allocated are invalid attributes', () => {
    const noRows = imageDict({ rows: 1, columns: 1, bits: 8, pixelData: Buffer.alloc(2) });
    delete noRows['00280010'];
    assert.throws(() => extractFrames(noRows, '1.2.840.10008.1.2.1', [1]), (err: unknown) => err instanceof FrameError && err.code === 'invalid-attributes');
    const bits12 = imageDict({ rows: 1, columns: 1, bits: 8, pixelData: Buffer.alloc(2), extra: { '00280100': { vr: 'US', Value: [12] } } });
    assert.throws(() => extractFrames(bits12, '1.2.840.10008.1.2.1', [1]), (err: unknown) => err instanceof FrameError && err.code === 'invalid-attributes');
  });
});

describe('frameMediaType (PS3.18 Table 8.7.3-5)', () => {
  const cases: Array<[string, string, string]> = [
    ['1.2.840.10008.1.2', 'application/octet-stream', '1.2.840.10008.1.2.1'],
    ['1.2.840.10008.1.2.1', 'application/octet-stream', '1.2.840.10008.1.2.1'],
    ['1.2.840.10008.1.2.1.99', 'application/octet-stream', '1.2.840.10008.1.2.1'],
    ['1.2.840.10008.1.2.2', 'application/octet-stream', '1.2.840.10008.1.2.1'],
    ['1.2.840.10008.1.2.4.50', 'image/jpeg', '1.2.840.10008.1.2.4.50'],
    ['1.2.840.10008.1.2.4.51', 'image/jpeg', '1.2.840.10008.1.2.4.51'],
    ['1.2.840.10008.1.2.4.57', 'image/jpeg', '1.2.840.10008.1.2.4.57'],
    ['1.2.840.10008.1.2.4.70', 'image/jpeg', '1.2.840.10008.1.2.4.70'],
    ['1.2.840.10008.1.2.4.80', 'image/jls', '1.2.840.10008.1.2.4.80'],
    ['1.2.840.10008.1.2.4.81', 'image/jls', '1.2.840.10008.1.2.4.81'],
    ['1.2.840.10008.1.2.4.90', 'image/jp2', '1.2.840.10008.1.2.4.90'],
    ['1.2.840.10008.1.2.4.91', 'image/jp2', '1.2.840.10008.1.2.4.91'],
    ['1.2.840.10008.1.2.4.92', 'image/jpx', '1.2.840.10008.1.2.4.92'],
    ['1.2.840.10008.1.2.4.93', 'image/jpx', '1.2.840.10008.1.2.4.93'],
    ['1.2.840.10008.1.2.4.201', 'image/jphc', '1.2.840.10008.1.2.4.201'],
    ['1.2.840.10008.1.2.5', 'image/dicom-rle', '1.2.840.10008.1.2.5'],
  ];
  for (const [ts, mediaType, transferSyntaxUid] of cases) {
    it(`${ts} -> ${mediaType}`, () => assert.deepEqual(frameMediaType(ts), { mediaType, transferSyntaxUid }));
  }
  it('MPEG video and unknown syntaxes have no frame media type', () => {
    assert.equal(frameMediaType('1.2.840.10008.1.2.4.100'), undefined);
    assert.equal(frameMediaType('1.2.3.4'), undefined);
  });
});
