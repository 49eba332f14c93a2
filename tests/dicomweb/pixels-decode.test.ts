// Decoding frames (dicomweb/pixels/decode.ts, rle.ts, jpeg.ts, jpeg-lossless.ts) against DCMTK:
// dcmdrle/dcmcrle for RLE, dcmdjpeg/dcmcjpeg for JPEG; plus typed errors on damaged data.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  decodeFrame,
  decodeFrameToNative,
  type DicomDict,
  extractFrames,
  FrameError,
  readSamples,
  RenderUnsupported,
} from '../../dicomweb/pixels/index.ts';
import { decodeRle } from '../../dicomweb/pixels/rle.ts';
import { decodeJpegLossless } from '../../dicomweb/pixels/jpeg-lossless.ts';
import { requireDcmtk } from '../support/dcmtk.ts';

const FIXTURES = '/work/shared/fixtures/dicom';
const dcmjs = createRequire(import.meta.url)('dcmjs') as {
  data: { DicomMessage: { readFile(buffer: ArrayBuffer): { meta: DicomDict; dict: DicomDict } } };
};

function parse(source: string | Buffer): { dict: DicomDict; ts: string } {
  const bytes = typeof source === 'string' ? readFileSync(source.startsWith('/') ? source : join(FIXTURES, source)) : source;
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { dict, ts: String(meta['00020010']?.Value?.[0]) };
}

requireDcmtk('dcmdump', 'dcmdrle', 'dcmdjpeg', 'dcmcrle', 'dcmcjpeg');
const work = mkdtempSync(join(tmpdir(), 'pixels-decode-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs a DCMTK tool on a fixture (or a file in the work folder) and parses what it wrote. */
function dcmtk(tool: string, args: string[], input: string, name: string): { dict: DicomDict; ts: string } {
  const output = join(work, name);
  execFileSync(tool, [...args, input.startsWith('/') ? input : join(FIXTURES, input), output]);
  return parse(output);
}

/** The 30-frame US decompressed by dcmdjpeg, made once. */
let us30: string | undefined;
function us30Native(): string {
  if (us30 === undefined) {
    dcmtk('dcmdjpeg', [], 'US_JPEGBaseline_multiframe30_examples_ybr_color.dcm', 'us30-native.dcm');
    us30 = join(work, 'us30-native.dcm');
  }
  return us30;
}

/** Frame `n` decoded to native bytes. */
function nativeFrame(parsed: { dict: DicomDict; ts: string }, n = 1): Buffer {
  return decodeFrameToNative(parsed.dict, parsed.ts, extractFrames(parsed.dict, parsed.ts, [n])[0]!).data;
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

const isTyped = (err: unknown): boolean => err instanceof FrameError || err instanceof RenderUnsupported;

describe('RLE Lossless (PS3.5 Annex G)', () => {
  it('the YBR_FULL US decodes to the bytes dcmdrle writes', () => {
    const source = parse('US_RLE_YBR_FULL-RLE.dcm');
    const peer = dcmtk('dcmdrle', [], 'US_RLE_YBR_FULL-RLE.dcm', 'us-rle-decoded.dcm');
    const ours = nativeFrame(source);
    assert.equal(ours.length, 640 * 480 * 3);
    assert.ok(ours.equals(extractFrames(peer.dict, peer.ts, [1])[0]!), 'same bytes as dcmdrle (colour-by-plane, as PlanarConfiguration 1 says)');
  });

  it('16-bit signed CT and 16-bit MR compressed by dcmcrle decode back to the original pixels', () => {
    for (const file of ['CT_ExplVRLE_CT_small.dcm', 'MR_ImplVRLE_study1026_MR01.dcm']) {
      const rle = dcmtk('dcmcrle', [], file, `${file}.rle.dcm`);
      assert.equal(rle.ts, '1.2.840.10008.1.2.5');
      const original = parse(file);
      assert.ok(nativeFrame(rle).equals(extractFrames(original.dict, original.ts, [1])[0]!), file);
    }
  });

  it('a 30-frame RLE (dcmdjpeg then dcmcrle) decodes frame by frame', () => {
    const native = parse(us30Native());
    const rle = dcmtk('dcmcrle', [], us30Native(), 'us30-rle.dcm');
    for (const n of [1, 17, 30]) assert.ok(nativeFrame(rle, n).equals(extractFrames(native.dict, native.ts, [n])[0]!), `frame ${n}`);
  });

  const layout = { rows: 2, columns: 2, samplesPerPixel: 1, bitsAllocated: 8, planarConfiguration: 0 as const };
  const header = (segments: number, ...offsets: number[]): Buffer => {
    const out = Buffer.alloc(64);
    out.writeUInt32LE(segments, 0);
    offsets.forEach((offset, i) => out.writeUInt32LE(offset, 4 + 4 * i));
    return out;
  };

  it('PackBits runs and literals (and the -128 no-op) decode per G.3.1', () => {
    // -128 (no-op), a run of 3 x 7, a literal of 1: [7, 7, 7, 9].
    const segment = Buffer.from([0x80, 0xfe, 7, 0x00, 9]);
    assert.deepEqual(decodeRle(Buffer.concat([header(1, 64), segment]), layout), Buffer.from([7, 7, 7, 9]));
  });

  it('wrong segment counts, offsets outside the frame and short segments are FrameErrors', () => {
    const cases: Array<[string, Buffer]> = [
      ['short header', Buffer.alloc(10)],
      ['two segments for one sample', Buffer.concat([header(2, 64, 66), Buffer.from([0x01, 1, 2, 0x01, 3, 4])])],
      ['offset past the end', Buffer.concat([header(1, 4096), Buffer.from([0x03, 1, 2, 3, 4])])],
      ['offset inside the header', Buffer.concat([header(1, 8), Buffer.from([0x03, 1, 2, 3, 4])])],
      ['segment too short', Buffer.concat([header(1, 64), Buffer.from([0x01, 1, 2])])],
      ['huge segment count', Buffer.concat([header(0xffffffff, 64), Buffer.alloc(8)])],
    ];
    for (const [what, frame] of cases) {
      assert.throws(() => decodeRle(frame, layout), (err: unknown) => err instanceof FrameError && err.code === 'corrupt', what);
    }
  });
});

describe('JPEG', () => {
  it('lossless SV1 (the 16-bit MR) decodes to exactly what dcmdjpeg writes', () => {
    const peer = dcmtk('dcmdjpeg', [], 'MR_JPEGLosslessSV1_MR-JPEGLosslessSV1.dcm', 'mr-lossless-decoded.dcm');
    const ours = nativeFrame(parse('MR_JPEGLosslessSV1_MR-JPEGLosslessSV1.dcm'));
    assert.ok(ours.equals(extractFrames(peer.dict, peer.ts, [1])[0]!));
  });

  it('lossless with every predictor, a point transform and signed CT data round-trips through dcmcjpeg', () => {
    const original = parse('CT_ExplVRLE_CT_small.dcm');
    const pixels = extractFrames(original.dict, original.ts, [1])[0]!;
    for (const sv of [1, 2, 3, 4, 5, 6, 7]) {
      const compressed = dcmtk('dcmcjpeg', ['+el', '+sv', String(sv)], 'CT_ExplVRLE_CT_small.dcm', `ct-sv${sv}.dcm`);
      assert.equal(compressed.ts, '1.2.840.10008.1.2.4.57');
      assert.ok(nativeFrame(compressed).equals(pixels), `selection value ${sv}`);
    }
    // A point transform of 2 drops the two low bits: compare with what dcmdjpeg makes of the same file.
    dcmtk('dcmcjpeg', ['+el', '+sv', '7', '+pt', '2'], 'CT_ExplVRLE_CT_small.dcm', 'ct-pt2.dcm');
    const peer = dcmtk('dcmdjpeg', [], join(work, 'ct-pt2.dcm'), 'ct-pt2-decoded.dcm');
    assert.ok(nativeFrame(parse(join(work, 'ct-pt2.dcm'))).equals(extractFrames(peer.dict, peer.ts, [1])[0]!));
  });

  it('lossless colour (RGB, three interleaved components) round-trips', () => {
    const original = parse('US_ExplVRBE_ExplVR_BigEnd.dcm');
    // dcmcjpeg writes colour-by-pixel; compare with the converted source read the same way.
    const compressed = dcmtk('dcmcjpeg', ['+e1'], 'US_ExplVRBE_ExplVR_BigEnd.dcm', 'us-be-lossless.dcm');
    const ours = decodeFrame(compressed.dict, compressed.ts, extractFrames(compressed.dict, compressed.ts, [1])[0]!);
    const reference = decodeFrame(original.dict, original.ts, extractFrames(original.dict, original.ts, [1])[0]!);
    assert.deepEqual(ours.samples, reference.samples);
  });

  it('baseline YBR_FULL_422 (30 frames), YBR_FULL and RGB-coded streams come out RGB, close to dcmdjpeg', () => {
    const cases: Array<[string, number[]]> = [
      ['US_JPEGBaseline_multiframe30_examples_ybr_color.dcm', [1, 30]],
      ['SC_JPEGBaseline_SC_rgb_jpeg_dcmtk.dcm', [1]],
      ['XC_JPEGBaseline_JPEGwithIcon.dcm', [1]],
    ];
    for (const [file, frames] of cases) {
      const source = parse(file);
      const peer = dcmtk('dcmdjpeg', [], file, `${file}.decoded.dcm`);
      for (const n of frames) {
        const native = decodeFrameToNative(source.dict, source.ts, extractFrames(source.dict, source.ts, [n])[0]!);
        assert.equal(native.image.photometricInterpretation, 'RGB');
        assert.equal(native.image.planarConfiguration, 0);
        // Different IDCT and chroma upsampling: close, not equal.
        assert.ok(meanAbsDiff(native.data, extractFrames(peer.dict, peer.ts, [n])[0]!) < 1.5, `${file} frame ${n}`);
      }
    }
    // An RGB stream without colour transform (dcmcjpeg +cr keeps PhotometricInterpretation RGB).
    const rgb = dcmtk('dcmcjpeg', ['+eb', '+cr'], us30Native(), 'us30-rgb-baseline.dcm');
    assert.equal(rgb.dict['00280004']!.Value![0], 'RGB');
    const native = parse(us30Native());
    assert.ok(meanAbsDiff(nativeFrame(rgb, 5), extractFrames(native.dict, native.ts, [5])[0]!) < 3);
  });

  it('grayscale baseline (dcmcjpeg of the 8-bit SC) keeps its photometric interpretation', () => {
    const jpeg = dcmtk('dcmcjpeg', ['+eb'], 'SC_ExplVRLE_Latin1_chrFren.dcm', 'sc-gray-baseline.dcm');
    const native = decodeFrameToNative(jpeg.dict, jpeg.ts, extractFrames(jpeg.dict, jpeg.ts, [1])[0]!);
    assert.equal(native.image.photometricInterpretation, 'MONOCHROME2');
    const original = parse('SC_ExplVRLE_Latin1_chrFren.dcm');
    assert.ok(meanAbsDiff(native.data, extractFrames(original.dict, original.ts, [1])[0]!) < 4);
  });

  it('unsupported syntaxes say which one: JPEG-LS, JPEG 2000, 12-bit JPEG extended', () => {
    const cases: Array<[string, string]> = [
      ['MR_JPEGLSLossless_MR_small_jpeg_ls_lossless.dcm', '1.2.840.10008.1.2.4.80'],
      ['US_JPEG2000_US1_J2KI.dcm', '1.2.840.10008.1.2.4.91'],
      ['MR_JPEG2000Lossless_GH064.dcm', '1.2.840.10008.1.2.4.90'],
      ['NM_JPEGExtended_JPGExtended.dcm', '1.2.840.10008.1.2.4.51'],
    ];
    for (const [file, ts] of cases) {
      const parsed = parse(file);
      const [frame] = extractFrames(parsed.dict, parsed.ts, [1]);
      assert.throws(
        () => decodeFrame(parsed.dict, parsed.ts, frame!),
        (err: unknown) => err instanceof RenderUnsupported && err.transferSyntaxUid === ts && err.message.includes(ts),
        file,
      );
    }
  });

  it('a stream whose size differs from Rows/Columns is corrupt', () => {
    const parsed = parse('SC_JPEGBaseline_SC_rgb_jpeg_dcmtk.dcm');
    const dict = { ...parsed.dict, '00280010': { vr: 'US', Value: [99] } };
    assert.throws(() => decodeFrame(dict, parsed.ts, extractFrames(parsed.dict, parsed.ts, [1])[0]!), (err: unknown) => err instanceof FrameError && err.code === 'corrupt');
  });
});

describe('samples', () => {
  const image = {
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    pixelRepresentation: 0 as 0 | 1,
    photometricInterpretation: 'MONOCHROME2',
    planarConfiguration: 0 as 0 | 1,
    numberOfFrames: 1,
  };
  const words = (...values: number[]): Buffer => {
    const out = Buffer.alloc(values.length * 2);
    values.forEach((value, i) => out.writeUInt16LE(value, i * 2));
    return out;
  };

  it('bits above Bits Stored (e.g. overlay bits) are masked off', () => {
    assert.deepEqual([...readSamples({ data: words(0xf001, 0x0fff, 0x1000, 0x8800), image }).samples], [1, 4095, 0, 2048]);
  });

  it('signed 12-bit values are sign-extended from bit 11', () => {
    const signed = { ...image, pixelRepresentation: 1 as const };
    assert.deepEqual([...readSamples({ data: words(0x0fff, 0x0800, 0x07ff, 0xf001), image: signed }).samples], [-1, -2048, 2047, 1]);
  });

  it('a High Bit above Bits Stored - 1 shifts the stored bits down', () => {
    const high = { ...image, highBit: 15 };
    assert.deepEqual([...readSamples({ data: words(0x0010, 0xfff0, 0x000f, 0x8000), image: high }).samples], [1, 4095, 0, 2048]);
  });

  it('colour-by-plane is interleaved and native YBR_FULL_422 expanded', () => {
    const rgb = { ...image, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, highBit: 7, columns: 2, photometricInterpretation: 'RGB', planarConfiguration: 1 as const };
    assert.deepEqual([...readSamples({ data: Buffer.from([1, 2, 10, 20, 100, 200]), image: rgb }).samples], [1, 10, 100, 2, 20, 200]);
    const ybr = { ...rgb, planarConfiguration: 0 as const, photometricInterpretation: 'YBR_FULL_422' };
    const decoded = readSamples({ data: Buffer.from([50, 60, 128, 129]), image: ybr });
    assert.equal(decoded.photometricInterpretation, 'YBR_FULL');
    assert.deepEqual([...decoded.samples], [50, 128, 129, 60, 128, 129]);
  });

  it('a frame shorter than its attributes is truncated', () => {
    assert.throws(() => readSamples({ data: Buffer.alloc(3), image }), (err: unknown) => err instanceof FrameError && err.code === 'truncated');
  });
});

describe('garbage never crashes or hangs', () => {
  // A deterministic generator, so a failure can be replayed.
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

  /** Bit flips, overwritten runs and truncations of a real frame. */
  function mutate(frame: Buffer): Buffer {
    const copy = Buffer.from(frame);
    const kind = Math.floor(random() * 3);
    if (kind === 0) {
      for (let i = 0; i < 8; i++) {
        const at = Math.floor(random() * copy.length);
        copy[at] = copy[at]! ^ (1 << Math.floor(random() * 8));
      }
    }
    if (kind === 1) randomBytes(16).copy(copy, Math.floor(random() * Math.max(1, copy.length - 16)));
    return kind === 2 ? copy.subarray(0, Math.floor(random() * copy.length)) : copy;
  }

  const fixtures = [
    'US_RLE_YBR_FULL-RLE.dcm',
    'SC_JPEGBaseline_SC_rgb_jpeg_dcmtk.dcm',
    'US_JPEGBaseline_multiframe30_examples_ybr_color.dcm',
    'MR_JPEGLosslessSV1_MR-JPEGLosslessSV1.dcm',
  ];
  for (const file of fixtures) {
    it(`random and mutated frames of ${file} decode or throw a typed error`, () => {
      const parsed = parse(file);
      const [frame] = extractFrames(parsed.dict, parsed.ts, [1]);
      const started = Date.now();
      for (let round = 0; round < 60; round++) {
        const input = round < 10 ? randomBytes(Math.floor(random() * 2048)) : mutate(frame!);
        try {
          decodeFrame(parsed.dict, parsed.ts, input);
        } catch (err) {
          assert.ok(isTyped(err), `${file} round ${round}: ${(err as Error).stack}`);
        }
      }
      assert.ok(Date.now() - started < 20_000, 'no hang');
    });
  }

  it('random bytes as lossless JPEG, after a valid SOI, are corrupt', () => {
    for (let round = 0; round < 50; round++) {
      const input = Buffer.concat([Buffer.from([0xff, 0xd8]), randomBytes(200)]);
      assert.throws(() => decodeJpegLossless(input), (err: unknown) => isTyped(err));
    }
  });

  it('random native pixel data of the wrong length is truncated', () => {
    const parsed = parse('CT_ExplVRLE_CT_small.dcm');
    assert.throws(() => decodeFrame(parsed.dict, parsed.ts, randomBytes(1000)), (err: unknown) => err instanceof FrameError && err.code === 'truncated');
  });
});
