// Rendering (dicomweb/pixels/grayscale.ts, color.ts, resize.ts, png.ts, render.ts): the PS3.3
// window formulas on small synthetic datasets, DCMTK's dcm2pnm as the peer on the fixtures, PNG
// files read back by an independent reader, JPEG files read back by jpeg-js.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32, inflateSync } from 'node:zlib';
import { decode as decodeJpeg } from 'jpeg-js';
import {
  applyWindow,
  decodeFrame,
  type DecodedFrame,
  type DicomDict,
  encodePng,
  extractFrames,
  FrameError,
  type Raster,
  renderFrame,
  RenderOptionError,
  renderStoredFrame,
  representativeFrame,
  THUMBNAIL_VIEWPORT,
  toRaster,
} from '../../dicomweb/pixels/index.ts';
import { fitSize, resize } from '../../dicomweb/pixels/resize.ts';
import { requireDcmtk } from '../support/dcmtk.ts';

const FIXTURES = '/work/shared/fixtures/dicom';
const dcmjs = createRequire(import.meta.url)('dcmjs') as {
  data: { DicomMessage: { readFile(buffer: ArrayBuffer): { meta: DicomDict; dict: DicomDict } } };
};

function parse(file: string): { dict: DicomDict; ts: string } {
  const bytes = readFileSync(file.startsWith('/') ? file : join(FIXTURES, file));
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { dict, ts: String(meta['00020010']?.Value?.[0]) };
}

function decoded(file: string, frame = 1): { dict: DicomDict; ts: string; frame: DecodedFrame } {
  const { dict, ts } = parse(file);
  return { dict, ts, frame: decodeFrame(dict, ts, extractFrames(dict, ts, [frame])[0]!) };
}

requireDcmtk('dcm2pnm');
const work = mkdtempSync(join(tmpdir(), 'pixels-render-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** dcm2pnm's binary PGM/PPM (P5/P6) output: size and samples. */
function dcm2pnm(file: string, args: string[]): Raster {
  const out = join(work, `${Math.random().toString(36).slice(2)}.pnm`);
  execFileSync('dcm2pnm', ['-q', ...args, join(FIXTURES, file), out]);
  const bytes = readFileSync(out);
  const fields: string[] = [];
  let offset = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(bytes[offset]!))) offset++;
    const start = offset;
    while (!/\s/.test(String.fromCharCode(bytes[offset]!))) offset++;
    fields.push(bytes.toString('latin1', start, offset));
  }
  return { width: Number(fields[1]), height: Number(fields[2]), channels: fields[0] === 'P6' ? 3 : 1, data: bytes.subarray(offset + 1) };
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** An independent PNG reader: chunk CRCs, IHDR, inflated and unfiltered IDAT. */
function readPng(png: Buffer): Raster & { colourType: number } {
  assert.deepEqual(png.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    assert.equal(png.readUInt32BE(offset + 8 + length), crc32(png.subarray(offset + 4, offset + 8 + length)) >>> 0, `${type} CRC`);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      colourType = data[9]!;
      assert.deepEqual([data[10], data[11], data[12]], [0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  assert.equal(types[0], 'IHDR');
  assert.equal(types.at(-1), 'IEND');
  const channels = colourType === 2 ? 3 : 1;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (stride + 1));
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      assert.ok(predictor !== undefined, `filter ${filter}`);
      out[y * stride + x] = (raw[y * (stride + 1) + 1 + x]! + predictor) & 0xff;
    }
  }
  return { width, height, channels, data: out, colourType };
}

/** A grayscale dataset of one row of 16-bit stored values. */
function grayDict(values: number[], extra: DicomDict = {}, signed = false): { dict: DicomDict; frame: DecodedFrame } {
  const data = Buffer.alloc(values.length * 2);
  values.forEach((value, i) => (signed ? data.writeInt16LE(value, i * 2) : data.writeUInt16LE(value, i * 2)));
  const dict: DicomDict = {
    '00280002': { vr: 'US', Value: [1] },
    '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
    '00280010': { vr: 'US', Value: [1] },
    '00280011': { vr: 'US', Value: [values.length] },
    '00280100': { vr: 'US', Value: [16] },
    '00280101': { vr: 'US', Value: [16] },
    '00280102': { vr: 'US', Value: [15] },
    '00280103': { vr: 'US', Value: [signed ? 1 : 0] },
    '7FE00010': { vr: 'OW', Value: [data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)] },
    ...extra,
  };
  return { dict, frame: decodeFrame(dict, '1.2.840.10008.1.2.1', extractFrames(dict, '1.2.840.10008.1.2.1', [1])[0]!) };
}

const gray = (dict: DicomDict, frame: DecodedFrame, window?: { center: number; width: number; function?: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' }): number[] => [
  ...toRaster(dict, frame, window === undefined ? {} : { window }).data,
];

describe('VOI window functions (PS3.3 C.11.2.1.2)', () => {
  const window = { center: 100, width: 50 };
  it('LINEAR: the center maps to about 128, beyond the edges to 0 and 255', () => {
    assert.ok(Math.abs(applyWindow(100, window) - 127.5) < 3);
    assert.equal(applyWindow(100 - 25 - 1, window), 0);
    assert.equal(applyWindow(100 - 0.5 - 24.5, window), 0); // x <= c - 0.5 - (w-1)/2
    assert.equal(applyWindow(100 + 25, window), 255);
    assert.ok(applyWindow(90, window) < applyWindow(110, window));
  });
  it('LINEAR_EXACT: ((x - c) / w + 0.5) * 255', () => {
    const exact = { ...window, function: 'LINEAR_EXACT' as const };
    assert.equal(applyWindow(100, exact), 127.5);
    assert.equal(applyWindow(75, exact), 0);
    assert.equal(applyWindow(112.5, exact), 0.75 * 255);
    assert.equal(applyWindow(126, exact), 255);
  });
  it('SIGMOID: 255 / (1 + exp(-4 (x - c) / w))', () => {
    const sigmoid = { ...window, function: 'SIGMOID' as const };
    assert.equal(applyWindow(100, sigmoid), 127.5);
    assert.ok(Math.abs(applyWindow(125, sigmoid) - 255 / (1 + Math.exp(-2))) < 1e-9);
    assert.ok(applyWindow(1000, sigmoid) > 254.9 && applyWindow(-1000, sigmoid) < 0.1);
  });
});

describe('grayscale pipeline', () => {
  it('the option window: center to ~128, below center - width/2 to 0, above center + width/2 to 255', () => {
    const { dict, frame } = grayDict([499, 1000, 1501, 500, 1500]);
    const [below, center, above, lowEdge, highEdge] = gray(dict, frame, { center: 1000, width: 1000 });
    assert.deepEqual([below, above, lowEdge, highEdge], [0, 255, 0, 255]);
    assert.ok(Math.abs(center! - 128) <= 1);
  });

  it('Rescale Slope and Intercept apply before the window (CT: stored 1024 + -1024 = 0 HU)', () => {
    const extra = { '00281053': { vr: 'DS', Value: [1] }, '00281052': { vr: 'DS', Value: [-1024] } };
    const { dict, frame } = grayDict([1024, 0, 2048], extra);
    const [center, low, high] = gray(dict, frame, { center: 0, width: 400 });
    assert.ok(Math.abs(center! - 128) <= 1);
    assert.equal(low, 0);
    assert.equal(high, 255);
    const doubled = grayDict([50, 60], { '00281053': { vr: 'DS', Value: [2] }, '00281052': { vr: 'DS', Value: [0] } });
    assert.deepEqual(gray(doubled.dict, doubled.frame, { center: 110, width: 20, function: 'LINEAR_EXACT' }), [0, 255]);
  });

  it('signed pixel data: negative stored values window as negatives', () => {
    const { dict, frame } = grayDict([-1000, 0, 1000], {}, true);
    const [low, mid, high] = gray(dict, frame, { center: 0, width: 1000 });
    assert.equal(low, 0);
    assert.ok(Math.abs(mid! - 128) <= 1);
    assert.equal(high, 255);
  });

  it('MONOCHROME1 is inverted', () => {
    const { dict, frame } = grayDict([0, 4095]);
    const inverted = { ...frame, photometricInterpretation: 'MONOCHROME1' };
    assert.deepEqual(gray(dict, inverted, { center: 2048, width: 4096 }), [255, 0]);
  });

  it('the dataset window (first of several) applies when the request names none, and the option wins', () => {
    const extra = { '00281050': { vr: 'DS', Value: [100, 5000] }, '00281051': { vr: 'DS', Value: [20, 10] } };
    const { dict, frame } = grayDict([80, 100, 120], extra);
    const stored = gray(dict, frame);
    assert.equal(stored[0], 0);
    assert.equal(stored[2], 255);
    assert.deepEqual(gray(dict, frame, { center: 5000, width: 10 }), [0, 0, 0]);
  });

  it('the dataset VOI LUT Function SIGMOID is honoured', () => {
    const extra = { '00281050': { vr: 'DS', Value: [100] }, '00281051': { vr: 'DS', Value: [20] }, '00281056': { vr: 'CS', Value: ['SIGMOID'] } };
    const { dict, frame } = grayDict([100, 110], extra);
    assert.deepEqual(gray(dict, frame), [128, Math.round(255 / (1 + Math.exp(-2)))]);
  });

  it('without any window the frame range maps min to 0 and max to 255', () => {
    const { dict, frame } = grayDict([300, 400, 500]);
    assert.deepEqual(gray(dict, frame), [0, 128, 255]);
    const flat = grayDict([7, 7]);
    assert.deepEqual(gray(flat.dict, flat.frame), [0, 0]);
  });

  it('a VOI LUT Sequence applies when there is no window', () => {
    const lut = { '00283002': { vr: 'US', Value: [3, 10, 8] }, '00283006': { vr: 'US', Value: [0, 100, 255] } };
    const { dict, frame } = grayDict([5, 10, 11, 12, 99], { '00283010': { vr: 'SQ', Value: [lut] } });
    assert.deepEqual(gray(dict, frame), [0, 0, 100, 255, 255]);
  });

  it('per-frame functional groups give each frame its own window', () => {
    const frameVoi = (center: number): DicomDict => ({ '00289132': { vr: 'SQ', Value: [{ '00281050': { vr: 'DS', Value: [center] }, '00281051': { vr: 'DS', Value: [10] } }] } });
    const { dict, frame } = grayDict([100], { '52009230': { vr: 'SQ', Value: [frameVoi(0), frameVoi(1000)] } });
    assert.deepEqual([...toRaster(dict, frame, { frameNumber: 1 }).data], [255]);
    assert.deepEqual([...toRaster(dict, frame, { frameNumber: 2 }).data], [0]);
  });

  it('unusable windows are RenderOptionErrors', () => {
    const { dict, frame } = grayDict([1]);
    for (const window of [{ center: 0, width: 0.5 }, { center: 0, width: 0, function: 'SIGMOID' as const }, { center: Number.NaN, width: 10 }]) {
      assert.throws(() => toRaster(dict, frame, { window }), RenderOptionError);
    }
  });

  it('matches dcm2pnm: CT with a set window, MR with its stored window, CT min-max', () => {
    const ct = decoded('CT_ExplVRLE_CT_small.dcm');
    assert.ok(maxDiff(toRaster(ct.dict, ct.frame, { window: { center: 40, width: 400 } }).data, dcm2pnm('CT_ExplVRLE_CT_small.dcm', ['+Ww', '40', '400']).data) <= 1);
    const mr = decoded('MR_ImplVRLE_study1026_MR01.dcm');
    assert.ok(maxDiff(toRaster(mr.dict, mr.frame).data, dcm2pnm('MR_ImplVRLE_study1026_MR01.dcm', ['+Wi', '1']).data) <= 1);
    assert.ok(maxDiff(toRaster(ct.dict, ct.frame).data, dcm2pnm('CT_ExplVRLE_CT_small.dcm', ['+Wm']).data) <= 1);
    const sigmoid = toRaster(ct.dict, ct.frame, { window: { center: 40, width: 400, function: 'SIGMOID' } }).data;
    assert.ok(maxDiff(sigmoid, dcm2pnm('CT_ExplVRLE_CT_small.dcm', ['+Ww', '40', '400', '+Wfs']).data) <= 1);
  });
});

describe('colour', () => {
  it('YBR_FULL (RLE) and RGB big endian planar render as dcm2pnm does', () => {
    // DCMTK converts YBR with integer approximations, up to 2 off the PS3.3 equations we use.
    for (const [file, tolerance] of [['US_RLE_YBR_FULL-RLE.dcm', 2], ['US_ExplVRBE_ExplVR_BigEnd.dcm', 0]] as const) {
      const { dict, frame } = decoded(file);
      const ours = toRaster(dict, frame);
      const peer = dcm2pnm(file, []);
      assert.deepEqual([ours.width, ours.height, ours.channels], [peer.width, peer.height, 3]);
      assert.ok(maxDiff(ours.data, peer.data) <= tolerance, file);
    }
  });

  it('YBR_FULL conversion: neutral chroma is gray, Cr pushes red', () => {
    const frame: DecodedFrame = { rows: 1, columns: 2, samplesPerPixel: 3, photometricInterpretation: 'YBR_FULL', bitsStored: 8, pixelRepresentation: 0, samples: Int32Array.from([128, 128, 128, 128, 128, 228]) };
    assert.deepEqual([...toRaster({}, frame).data], [128, 128, 128, 128 + 140, 128 - 71, 128].map((v) => Math.min(255, Math.max(0, v))));
  });

  const palette = (bits: number, data: number[][]): DicomDict => {
    const element = (values: number[]): { vr: string; Value: ArrayBuffer[] } => {
      const bytes = Buffer.alloc(values.length * 2);
      values.forEach((value, i) => bytes.writeUInt16LE(value, i * 2));
      return { vr: 'OW', Value: [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)] };
    };
    return {
      '00281101': { vr: 'US', Value: [3, 10, bits] },
      '00281102': { vr: 'US', Value: [3, 10, bits] },
      '00281103': { vr: 'US', Value: [3, 10, bits] },
      '00281201': element(data[0]!),
      '00281202': element(data[1]!),
      '00281203': element(data[2]!),
    };
  };
  const indexed: DecodedFrame = { rows: 1, columns: 4, samplesPerPixel: 1, photometricInterpretation: 'PALETTE COLOR', bitsStored: 8, pixelRepresentation: 0, samples: Int32Array.from([10, 11, 12, 200]) };

  it('PALETTE COLOR with 16-bit entries (first mapped 10; out-of-range values take the last entry)', () => {
    const dict = palette(16, [[0xffff, 0, 0], [0, 0xffff, 0], [0, 0, 0x8080]]);
    assert.deepEqual([...toRaster(dict, indexed).data], [255, 0, 0, 0, 255, 0, 0, 0, 128, 0, 0, 128]);
  });

  it('PALETTE COLOR with 8-bit entries', () => {
    const dict = palette(8, [[255, 0, 1], [0, 255, 2], [0, 0, 3]]);
    assert.deepEqual([...toRaster(dict, indexed).data.subarray(0, 9)], [255, 0, 0, 0, 255, 0, 1, 2, 3]);
  });

  it('PALETTE COLOR without its LUTs is a FrameError', () => {
    assert.throws(() => toRaster({}, indexed), (err: unknown) => err instanceof FrameError && err.code === 'invalid-attributes');
  });
});

describe('viewport and region', () => {
  it('fits keeping the aspect ratio, down and up', () => {
    assert.deepEqual(fitSize(640, 480, THUMBNAIL_VIEWPORT), { width: 128, height: 96 });
    assert.deepEqual(fitSize(128, 128, { width: 64, height: 32 }), { width: 32, height: 32 });
    assert.deepEqual(fitSize(32, 32, { width: 100, height: 50 }), { width: 50, height: 50 });
    assert.deepEqual(fitSize(1, 1000, { width: 10, height: 10 }), { width: 1, height: 10 });
  });

  it('the box filter averages the pixels each output pixel covers; enlarging repeats them', () => {
    const raster: Raster = { width: 4, height: 2, channels: 1, data: Uint8Array.from([0, 10, 100, 110, 20, 30, 120, 130]) };
    assert.deepEqual([...resize(raster, 2, 1).data], [15, 115]);
    assert.deepEqual([...resize({ width: 2, height: 1, channels: 1, data: Uint8Array.from([1, 2]) }, 4, 2).data], [1, 1, 2, 2, 1, 1, 2, 2]);
  });

  it('renders the CT into a 64x32 viewport as 32x32 and cuts a region first', () => {
    const { dict, frame } = decoded('CT_ExplVRLE_CT_small.dcm');
    assert.equal(toRaster(dict, frame, { viewport: { width: 64, height: 32 } }).width, 32);
    const full = toRaster(dict, frame);
    const quarter = toRaster(dict, frame, { region: { xmin: 0.5, ymin: 0.5, xmax: 1, ymax: 1 } });
    assert.deepEqual([quarter.width, quarter.height], [64, 64]);
    assert.equal(quarter.data[0], full.data[64 * 128 + 64]);
  });

  it('bad viewports and regions are RenderOptionErrors', () => {
    const { dict, frame } = grayDict([1, 2]);
    for (const viewport of [{ width: 0, height: 10 }, { width: 10.5, height: 10 }, { width: 100000, height: 10 }]) {
      assert.throws(() => toRaster(dict, frame, { viewport }), RenderOptionError);
    }
    assert.throws(() => toRaster(dict, frame, { region: { xmin: 0.5, ymin: 0, xmax: 0.5, ymax: 1 } }), RenderOptionError);
  });
});

describe('encoding', () => {
  it('PNG grayscale: a valid file whose pixels are the raster', () => {
    const { dict, frame } = decoded('CT_ExplVRLE_CT_small.dcm');
    const raster = toRaster(dict, frame, { window: { center: 40, width: 400 } });
    const png = readPng(renderFrame(dict, frame, { mediaType: 'image/png', window: { center: 40, width: 400 } }));
    assert.deepEqual([png.width, png.height, png.colourType], [128, 128, 0]);
    assert.deepEqual(png.data, raster.data);
  });

  it('PNG RGB of the RLE US, and of a raster made to exercise every filter', () => {
    const { dict, frame } = decoded('US_RLE_YBR_FULL-RLE.dcm');
    const png = readPng(renderFrame(dict, frame, { mediaType: 'image/png' }));
    assert.deepEqual([png.width, png.height, png.colourType], [640, 480, 2]);
    assert.deepEqual(png.data, toRaster(dict, frame).data);
    const noise: Raster = { width: 7, height: 5, channels: 3, data: Uint8Array.from({ length: 105 }, (_, i) => (i * 37 + ((i * i) % 11)) & 0xff) };
    assert.deepEqual(readPng(encodePng(noise)).data, noise.data);
  });

  it('JPEG: decodable by jpeg-js at the rendered size, close to the raster', () => {
    const { dict, frame } = decoded('MR_ImplVRLE_study1026_MR01.dcm');
    const jpeg = renderFrame(dict, frame, { mediaType: 'image/jpeg', quality: 95 });
    assert.equal(jpeg.readUInt16BE(0), 0xffd8);
    const image = decodeJpeg(jpeg, { useTArray: true, formatAsRGBA: false });
    assert.deepEqual([image.width, image.height], [256, 256]);
    const raster = toRaster(dict, frame).data;
    let sum = 0;
    for (let p = 0; p < raster.length; p++) sum += Math.abs(image.data[p * 3]! - raster[p]!);
    assert.ok(sum / raster.length < 3);
    assert.throws(() => renderFrame(dict, frame, { mediaType: 'image/jpeg', quality: 0 }), RenderOptionError);
  });

  it('a thumbnail of the 30-frame US: its representative frame, JPEG, fitted to 128x128', () => {
    const { dict, ts } = parse('US_JPEGBaseline_multiframe30_examples_ybr_color.dcm');
    const thumbnail = renderStoredFrame(dict, ts, representativeFrame(dict), { mediaType: 'image/jpeg', viewport: THUMBNAIL_VIEWPORT });
    const image = decodeJpeg(thumbnail, { useTArray: true });
    assert.deepEqual([image.width, image.height], [128, 96]);
    assert.equal(representativeFrame({ ...dict, '00286010': { vr: 'US', Value: [12] } }), 12);
    assert.equal(representativeFrame({ ...dict, '00286010': { vr: 'US', Value: [99] } }), 1);
  });

  it('rendering frame 31 of 30, or a JPEG 2000 frame, fails with the typed errors', () => {
    const mf = parse('US_JPEGBaseline_multiframe30_examples_ybr_color.dcm');
    assert.throws(() => renderStoredFrame(mf.dict, mf.ts, 31, { mediaType: 'image/png' }), (err: unknown) => err instanceof FrameError && err.code === 'out-of-range');
    const j2k = parse('US_JPEG2000_US1_J2KI.dcm');
    assert.throws(() => renderStoredFrame(j2k.dict, j2k.ts, 1, { mediaType: 'image/png' }), { name: 'RenderUnsupported' });
  });
});
