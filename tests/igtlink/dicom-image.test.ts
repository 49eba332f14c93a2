// OpenIGTLink IMAGE to DICOM: the pixels as DICOM stores them (endianness, signed and wide types
// with a rescale that gives the values back, colour without alpha), the storage class chosen,
// the geometry turned into LPS, and files that dicom3tools' dciodvfy finds free of errors.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import dcmjs from 'dcmjs';
import { dicomImage, dicomPixels, UnstorableImageError, type ImageContent, type ImageInstance, type Matrix34, type Vec3 } from '../../igtlink/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'igtl-dicom-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function image(size: Vec3, scalarType: number, pixels: Buffer, extra: Partial<ImageContent> = {}): ImageContent {
  return {
    type: 'IMAGE', components: 1, scalarType, endian: 'little', coordinate: 'LPS', size,
    matrix: [0.5, 0, 0, 0, 0.5, 0, 0, 0, 2, 0, 0, 0], subvolumeOffset: [0, 0, 0], subvolumeSize: size, pixels, ...extra,
  };
}

const INSTANCE: ImageInstance = {
  studyUid: '2.25.1', seriesUid: '2.25.2', sopInstanceUid: '2.25.3', seriesNumber: 7, instanceNumber: 4,
  studyId: 'or-3', studyDescription: 'Operating room or-3', deviceName: 'NAV-Video', room: 'or-3',
  acquired: new Date('2026-12-03T09:15:30.250Z'), ultrasound: false,
  patient: { id: '2840512345678', issuer: { namespace: '', universalId: '1.2.250.1.213.1.4.8', universalIdType: 'ISO' }, name: 'Lefèvre^Zoé', birthDate: '19840512', sex: 'F' },
};

const read = (bytes: Buffer) => dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
const first = (dict: Record<string, { Value?: unknown }>, tag: string): unknown => (dict[tag]?.Value as unknown[] | undefined)?.[0];

/** dciodvfy's errors for the file (its warnings are advice, e.g. an empty Laterality). */
function iodErrors(bytes: Buffer, name: string): string[] {
  const path = join(dir, `${name}.dcm`);
  writeFileSync(path, bytes);
  let output: string;
  try {
    output = execFileSync('dciodvfy', [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    output = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
  }
  return output.split('\n').filter((line) => line.startsWith('Error'));
}

describe('OpenIGTLink IMAGE pixels as DICOM stores them', () => {
  it('keeps 8-bit unsigned as is and pads an odd length', () => {
    const pixels = dicomPixels(image([3, 1, 1], 3, Buffer.from([1, 2, 3])));
    assert.equal(pixels.bitsAllocated, 8);
    assert.deepEqual([...pixels.data], [1, 2, 3, 0]);
    assert.equal(pixels.rescale, undefined);
  });

  it('turns big-endian int16 into little-endian unsigned with an intercept that gives the values back', () => {
    const big = Buffer.alloc(8);
    [-32768, -1, 0, 32767].forEach((v, i) => big.writeInt16BE(v, i * 2));
    const pixels = dicomPixels(image([4, 1, 1], 4, big, { endian: 'big' }));
    assert.equal(pixels.bitsAllocated, 16);
    const stored = [0, 1, 2, 3].map((i) => pixels.data.readUInt16LE(i * 2));
    assert.deepEqual(stored.map((v) => v * (pixels.rescale?.slope ?? 1) + (pixels.rescale?.intercept ?? 0)), [-32768, -1, 0, 32767]);
  });

  it('spreads float32 over 16 bits with a slope and intercept, to 1/65535 of the range', () => {
    const values = [-1.5, 0, 2.25, 1000];
    const floats = Buffer.alloc(16);
    values.forEach((v, i) => floats.writeFloatLE(v, i * 4));
    const pixels = dicomPixels(image([4, 1, 1], 10, floats));
    const back = [0, 1, 2, 3].map((i) => pixels.data.readUInt16LE(i * 2) * (pixels.rescale?.slope ?? 1) + (pixels.rescale?.intercept ?? 0));
    back.forEach((v, i) => assert.ok(Math.abs(v - (values[i] as number)) <= (1001.5 / 65535), `${v} for ${values[i]}`));
  });

  it('drops the alpha of RGBA and refuses what DICOM has no form for', () => {
    const rgba = dicomPixels(image([2, 1, 1], 3, Buffer.from([1, 2, 3, 255, 4, 5, 6, 128]), { components: 4 }));
    assert.equal(rgba.photometric, 'RGB');
    assert.deepEqual([...rgba.data], [1, 2, 3, 4, 5, 6]);
    assert.throws(() => dicomPixels(image([1, 1, 1], 5, Buffer.alloc(4), { components: 2 })), UnstorableImageError);
    assert.throws(() => dicomPixels(image([1, 1, 1], 5, Buffer.alloc(6), { components: 3 })), UnstorableImageError);
    const nan = Buffer.alloc(4);
    nan.writeFloatLE(Number.NaN, 0);
    assert.throws(() => dicomPixels(image([1, 1, 1], 10, nan)), UnstorableImageError);
  });
});

describe('OpenIGTLink IMAGE as a DICOM instance', () => {
  it('writes a Secondary Capture with the patient, both UIDs, the device clock and the pixels', () => {
    const bytes = dicomImage(image([4, 2, 1], 3, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7])), INSTANCE);
    assert.deepEqual(iodErrors(bytes, 'sc'), []);
    const { meta, dict } = read(bytes);
    assert.equal(first(meta, '00020010'), '1.2.840.10008.1.2.1');
    assert.equal(first(dict, '00080016'), '1.2.840.10008.5.1.4.1.1.7');
    assert.equal(first(dict, '00080060'), 'OT');
    assert.equal(first(dict, '0020000D'), '2.25.1');
    assert.equal((first(dict, '00100010') as { Alphabetic: string }).Alphabetic, 'Lefèvre^Zoé');
    assert.equal(first(dict, '00100020'), '2840512345678');
    assert.equal(first((dict['00100024']?.Value as Record<string, { Value?: unknown }>[])[0] as Record<string, { Value?: unknown }>, '00400032'), '1.2.250.1.213.1.4.8');
    assert.equal(first(dict, '00080023'), '20261203');
    assert.equal(first(dict, '00080033'), '091530.250');
    assert.deepEqual([first(dict, '00280010'), first(dict, '00280011')], [2, 4]);
    assert.deepEqual([...new Uint8Array(first(dict, '7FE00010') as ArrayBuffer)], [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("writes an ultrasound device's 8-bit frame as Ultrasound Image Storage, a 16-bit one as SC with modality US", () => {
    const us = dicomImage(image([4, 2, 1], 3, Buffer.alloc(8, 9)), { ...INSTANCE, ultrasound: true });
    assert.deepEqual(iodErrors(us, 'us'), []);
    assert.equal(first(read(us).dict, '00080016'), '1.2.840.10008.5.1.4.1.1.6.1');
    const wide = read(dicomImage(image([2, 2, 1], 5, Buffer.alloc(8, 9)), { ...INSTANCE, ultrasound: true })).dict;
    assert.equal(first(wide, '00080016'), '1.2.840.10008.5.1.4.1.1.7');
    assert.equal(first(wide, '00080060'), 'US');
  });

  it('writes a volume as a multi-frame SC whose frames are its slices', () => {
    const bytes = dicomImage(image([2, 2, 3], 4, Buffer.alloc(24)), INSTANCE);
    assert.deepEqual(iodErrors(bytes, 'volume'), []);
    const { dict } = read(bytes);
    assert.equal(first(dict, '00080016'), '1.2.840.10008.5.1.4.1.1.7.3');
    assert.equal(first(dict, '00280008'), 3);
    assert.deepEqual(dict['00182005']?.Value, [0, 2, 4]);
  });

  it("places the first voxel from the message's centre, RAS turned to LPS", () => {
    // 4x2 pixels of 0.5 mm along R and A, centred at R 10, A 20, S 30.
    const matrix: Matrix34 = [0.5, 0, 0, 0, 0.5, 0, 0, 0, 1, 10, 20, 30];
    const { dict } = read(dicomImage(image([4, 2, 1], 3, Buffer.alloc(8), { coordinate: 'RAS', matrix }), INSTANCE));
    // In LPS the centre is (-10, -20, 30); the first voxel 1.5 pixels back along i and 0.5 along j.
    assert.deepEqual(dict['00200032']?.Value, [-9.25, -19.75, 30]);
    assert.deepEqual(dict['00200037']?.Value, [-1, 0, 0, 0, -1, 0]);
    assert.deepEqual(dict['00280030']?.Value, [0.5, 0.5]);
  });
});
