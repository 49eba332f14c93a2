/**
 * The DICOM files the DICOMweb bench sends, generated into a temporary directory: small CT studies
 * (copies of the CT fixture given new UIDs and, per patient, a name, an id and a study date by
 * `dcmodify`) and large multi-frame instances (written here by a minimal Part 10 writer, since no
 * fixture is large). Kept apart from `dicomweb.ts` so the orchestration reads without the bytes.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';

const FIXTURE = join(import.meta.dirname, '../../shared/fixtures/dicom/CT_ExplVRLE_CT_small.dcm');
/** Small studies per patient: one `dcmodify` call, and one STOW request when loading for QIDO. */
export const STUDIES_PER_PATIENT = 25;
/** Rows and columns of the large instances' frames. */
export const LARGE_SIDE = 512;

const FAMILIES = ['MARTIN', 'BERNARD', 'DUBOIS', 'THOMAS', 'ROBERT', 'RICHARD', 'PETIT', 'DURAND', 'LEROY', 'MOREAU', 'SIMON', 'LAURENT', 'LEFEBVRE', 'MICHEL', 'GARCIA', 'DAVID', 'BERTRAND', 'ROUX', 'VINCENT', 'FOURNIER'];
// First letters all differ: `FAMILY^GIV*` matches one patient until the names wrap around (500 patients).
const GIVEN = ['ALICE', 'BRUNO', 'CAMILLE', 'DENIS', 'EMMA', 'FABIEN', 'GAEL', 'HUGO', 'INES', 'JULES', 'KARINE', 'LOUIS', 'MANON', 'NOEL', 'OCEANE', 'PAUL', 'QUENTIN', 'ROSE', 'SOPHIE', 'THEO', 'URSULA', 'VICTOR', 'WILLIAM', 'XAVIER', 'YVES'];

export interface Instance {
  studyUid: string;
  sopUid: string;
  bytes: number;
  /** The Part 10 file as it is sent: a path to read, or the chunks in memory. */
  file: string | readonly Buffer[];
}

export interface SmallStudy extends Instance {
  patientName: string;
  date: string;
}

const patientName = (p: number): string => `${FAMILIES[p % FAMILIES.length]}^${GIVEN[Math.floor(p / FAMILIES.length) % GIVEN.length]}`;
const patientDate = (p: number): string => daysAfter('20150101', 3 * p);

export function daysAfter(date: string, days: number): string {
  const d = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)) + days));
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr.trim().slice(0, 500)}`))));
  });
}

/**
 * `total` small CT studies in `dir`: copies of the fixture given new UIDs and, per patient
 * (STUDIES_PER_PATIENT consecutive files, one dcmodify call), a name, an id and a study date.
 */
export async function smallStudies(dir: string, total: number): Promise<SmallStudy[]> {
  dcmjs.log.setLevel('error');
  const patients = Math.ceil(total / STUDIES_PER_PATIENT);
  let next = 0;
  const paths: string[] = [];
  await Promise.all(Array.from({ length: cpus().length }, async () => {
    while (next < patients) {
      const p = next++;
      const files: string[] = [];
      for (let i = p * STUDIES_PER_PATIENT; i < Math.min(total, (p + 1) * STUDIES_PER_PATIENT); i++) {
        const file = join(dir, `ct-${String(i).padStart(5, '0')}.dcm`);
        copyFileSync(FIXTURE, file);
        chmodSync(file, 0o644);
        files.push(file);
        paths[i] = file;
      }
      await run('dcmodify', [
        '-nb', '-gin', '-gse', '-gst',
        '-i', `(0010,0010)=${patientName(p)}`, '-i', `(0010,0020)=BENCH${String(p).padStart(5, '0')}`,
        '-i', `(0008,0020)=${patientDate(p)}`, '-i', '(0008,1030)=BENCH CT', ...files,
      ]);
    }
  }));
  return paths.map((file, i) => {
    const bytes = readFileSync(file);
    const { dict } = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, { untilTag: '7FE00010' });
    const value = (tag: string): string => String((dict[tag]?.Value as unknown[] | undefined)?.[0] ?? '');
    const p = Math.floor(i / STUDIES_PER_PATIENT);
    return { file, studyUid: value('0020000D'), sopUid: value('00080018'), bytes: bytes.length, patientName: patientName(p), date: patientDate(p) };
  });
}

// A minimal Part 10 writer (Explicit VR Little Endian) for the large multi-frame instances.
// @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7
// @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_7.1.2
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
type Value = string | number | readonly [number, number];

function element(tag: number, vr: string, value: Value, length?: number): Buffer {
  let body: Buffer;
  if (typeof value === 'string') {
    body = Buffer.from(value.length % 2 === 0 ? value : `${value}${vr === 'UI' ? '\0' : ' '}`, 'latin1');
  } else if (typeof value === 'number') {
    body = Buffer.alloc(2);
    body.writeUInt16LE(value);
  } else {
    body = Buffer.alloc(4);
    body.writeUInt16LE(value[0]);
    body.writeUInt16LE(value[1], 2);
  }
  const size = length ?? body.length;
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(tag >>> 16);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(size, 8);
  else head.writeUInt16LE(size, 6);
  return length === undefined ? Buffer.concat([head, body]) : head;
}

const uid = (): string => `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`)}`;
const MF_GRAYSCALE_WORD_SC = '1.2.840.10008.5.1.4.1.1.7.3';

/** A frame pattern shared by every large instance (a ramp, so nothing is all zeros). */
export function largePixels(frames: number): Buffer {
  const pixels = Buffer.allocUnsafe(frames * LARGE_SIDE * LARGE_SIDE * 2);
  const words = new Uint16Array(pixels.buffer, pixels.byteOffset, pixels.length / 2);
  for (let f = 0, i = 0; f < frames; f++) {
    for (let y = 0; y < LARGE_SIDE; y++) for (let x = 0; x < LARGE_SIDE; x++) words[i++] = (x + y + 7 * f) & 0x0fff;
  }
  return pixels;
}

export function largeInstance(pixels: Buffer, frames: number, n: number): Instance {
  const studyUid = uid();
  const sopUid = uid();
  const meta = Buffer.concat([
    element(0x00020001, 'OB', '\0\x01'), element(0x00020002, 'UI', MF_GRAYSCALE_WORD_SC), element(0x00020003, 'UI', sopUid),
    element(0x00020010, 'UI', '1.2.840.10008.1.2.1'), element(0x00020012, 'UI', '2.25.190760542617352097453617893616651270741'), element(0x00020013, 'SH', 'PASSERELLE_BENCH'),
  ]);
  const groupLength = Buffer.alloc(12);
  groupLength.write('\x02\0\0\0UL\x04\0', 0, 'latin1');
  groupLength.writeUInt32LE(meta.length, 8);
  const dataset = Buffer.concat([
    element(0x00080008, 'CS', 'DERIVED\\SECONDARY'), element(0x00080016, 'UI', MF_GRAYSCALE_WORD_SC), element(0x00080018, 'UI', sopUid),
    element(0x00080020, 'DA', '19990101'), element(0x00080030, 'TM', '120000'), element(0x00080050, 'SH', ''), element(0x00080060, 'CS', 'OT'),
    element(0x00080064, 'CS', 'WSD'), element(0x00080090, 'PN', ''), element(0x00081030, 'LO', 'BENCH LARGE MULTI-FRAME'),
    element(0x00100010, 'PN', 'BENCH^LARGE'), element(0x00100020, 'LO', 'BENCHLARGE'), element(0x00100030, 'DA', ''), element(0x00100040, 'CS', 'O'),
    element(0x00181063, 'DS', '40'),
    element(0x0020000d, 'UI', studyUid), element(0x0020000e, 'UI', uid()), element(0x00200010, 'SH', String(n)), element(0x00200011, 'IS', '1'),
    element(0x00200013, 'IS', '1'), element(0x00200020, 'CS', ''),
    element(0x00280002, 'US', 1), element(0x00280004, 'CS', 'MONOCHROME2'), element(0x00280008, 'IS', String(frames)),
    element(0x00280009, 'AT', [0x0018, 0x1063]), element(0x00280010, 'US', LARGE_SIDE), element(0x00280011, 'US', LARGE_SIDE),
    element(0x00280100, 'US', 16), element(0x00280101, 'US', 12), element(0x00280102, 'US', 11), element(0x00280103, 'US', 0),
    element(0x7fe00010, 'OW', '', pixels.length),
  ]);
  const head = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, meta, dataset]);
  return { studyUid, sopUid, bytes: head.length + pixels.length, file: [head, pixels] };
}
