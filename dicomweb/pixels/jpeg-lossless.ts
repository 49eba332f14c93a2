/**
 * Lossless JPEG (ITU-T T.81 process 14, Huffman coded, predictors 1 to 7, point transform),
 * the DICOM transfer syntaxes 1.2.840.10008.1.2.4.57 and .70 (selection value 1).
 * @see https://www.w3.org/Graphics/JPEG/itu-t81.pdf (Annex H lossless mode, F.2.2 decoding)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.2.1
 */
import { FrameError, RenderUnsupported } from './errors.ts';
import { MAX_SAMPLES_PER_FRAME } from './image-pixel.ts';

export interface DecodedLossless {
  rows: number;
  columns: number;
  components: number;
  precision: number;
  /** Samples colour-by-pixel, already shifted back by the point transform. */
  data: Uint16Array;
}

/** A Huffman table in the form of T.81 F.2.2.3: the largest code of each length and where its values start. */
interface HuffmanTable {
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

function buildTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    if (n > 0) {
      valPtr[length] = k;
      minCode[length] = code;
      code += n;
      k += n;
      maxCode[length] = code - 1;
    }
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, valPtr, minCode, values };
}

const corrupt = (message: string): FrameError => new FrameError('corrupt', `the lossless JPEG frame ${message}`);

/** Reads entropy-coded bits, unstuffing FF00 and stopping at markers (then feeding zeros). */
class BitReader {
  readonly bytes: Buffer;
  position: number;
  private bits = 0;
  private count = 0;

  constructor(bytes: Buffer, position: number) {
    this.bytes = bytes;
    this.position = position;
  }

  private fill(): void {
    let byte = 0;
    if (this.position < this.bytes.length) {
      byte = this.bytes[this.position]!;
      if (byte === 0xff) {
        const next = this.bytes[this.position + 1];
        if (next === 0x00) this.position += 2;
        else byte = 0; // a marker: leave it for the caller, read zeros
      } else this.position += 1;
    }
    this.bits = (this.bits << 8) | byte;
    this.count += 8;
  }

  bit(): number {
    if (this.count === 0) this.fill();
    this.count -= 1;
    return (this.bits >> this.count) & 1;
  }

  receive(length: number): number {
    let value = 0;
    for (let i = 0; i < length; i++) value = (value << 1) | this.bit();
    return value;
  }

  decode(table: HuffmanTable): number {
    let code = this.bit();
    let length = 1;
    while (code > table.maxCode[length]!) {
      code = (code << 1) | this.bit();
      length += 1;
      if (length > 16) throw corrupt('has a Huffman code that is in no table');
    }
    const value = table.values[table.valPtr[length]! + code - table.minCode[length]!];
    if (value === undefined) throw corrupt('has a Huffman code outside its table');
    return value;
  }

  /** Drops leftover bits and skips the RSTn marker expected here (T.81 F.1.2.3). */
  restart(): void {
    this.bits = 0;
    this.count = 0;
    while (this.position + 1 < this.bytes.length) {
      if (this.bytes[this.position] === 0xff && this.bytes[this.position + 1]! >= 0xd0 && this.bytes[this.position + 1]! <= 0xd7) {
        this.position += 2;
        return;
      }
      this.position += 1;
    }
  }
}

interface Component {
  id: number;
  index: number;
}

interface Frame {
  precision: number;
  rows: number;
  columns: number;
  components: Component[];
}

function readFrameHeader(bytes: Buffer, offset: number, length: number): Frame {
  if (length < 8) throw corrupt('has a short frame header');
  const precision = bytes[offset]!;
  const rows = bytes.readUInt16BE(offset + 1);
  const columns = bytes.readUInt16BE(offset + 3);
  const count = bytes[offset + 5]!;
  if (precision < 2 || precision > 16) throw corrupt(`has precision ${precision}`);
  if (rows === 0 || columns === 0 || count === 0 || length < 6 + 3 * count) throw corrupt('has an empty or short frame header');
  if (rows * columns * count > MAX_SAMPLES_PER_FRAME) throw corrupt(`is larger (${columns}x${rows}x${count}) than this server decodes`);
  const components: Component[] = [];
  for (let i = 0; i < count; i++) {
    const sampling = bytes[offset + 7 + 3 * i]!;
    if (sampling !== 0x11) throw new RenderUnsupported('lossless JPEG frames with subsampled components cannot be decoded by this server');
    components.push({ id: bytes[offset + 6 + 3 * i]!, index: i });
  }
  return { precision, rows, columns, components };
}

function predict(predictor: number, ra: number, rb: number, rc: number): number {
  switch (predictor) {
    case 1: return ra;
    case 2: return rb;
    case 3: return rc;
    case 4: return ra + rb - rc;
    case 5: return ra + ((rb - rc) >> 1);
    case 6: return rb + ((ra - rc) >> 1);
    default: return (ra + rb) >> 1;
  }
}

interface ScanComponent {
  index: number;
  table: HuffmanTable;
}

/** Decodes one scan into `out` (T.81 H.1.2): predictions per component, modulo 2^16 differences. */
function decodeScan(reader: BitReader, frame: Frame, scan: ScanComponent[], predictor: number, pointTransform: number, restartInterval: number, out: Uint16Array): void {
  const { rows, columns } = frame;
  const stride = frame.components.length;
  const initial = 1 << (frame.precision - pointTransform - 1);
  // The first line (and the line where a restart interval begins) is predicted from the left,
  // its first sample from 2^(P-Pt-1); other lines start from above (T.81 H.1.2.1).
  let mcus = 0;
  let firstLineY = 0;
  let resetX = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      if (restartInterval > 0 && mcus > 0 && mcus % restartInterval === 0) {
        reader.restart();
        firstLineY = y;
        resetX = x;
      }
      for (const { index, table } of scan) {
        const at = (y * columns + x) * stride + index;
        let prediction: number;
        if (y === firstLineY) prediction = x === resetX ? initial : out[at - stride]!;
        else if (x === 0) prediction = out[at - columns * stride]!;
        else prediction = predict(predictor, out[at - stride]!, out[at - columns * stride]!, out[at - columns * stride - stride]!);
        const ssss = reader.decode(table);
        let difference: number;
        if (ssss === 0) difference = 0;
        else if (ssss === 16) difference = 32768;
        else if (ssss > 16) throw corrupt(`has a difference category ${ssss}`);
        else {
          difference = reader.receive(ssss);
          if (difference < 1 << (ssss - 1)) difference -= (1 << ssss) - 1;
        }
        out[at] = (prediction + difference) & 0xffff;
      }
      mcus += 1;
    }
  }
}

/**
 * Decodes a lossless JPEG stream (SOF3) into unsigned samples of its precision, colour-by-pixel.
 * Throws FrameError `corrupt` for broken streams and RenderUnsupported for subsampled ones.
 */
export function decodeJpegLossless(bytes: Buffer): DecodedLossless {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw corrupt('does not start with SOI');
  const tables = new Map<number, HuffmanTable>();
  let frame: Frame | undefined;
  let restartInterval = 0;
  let out: Uint16Array | undefined;
  let pointTransform = 0;
  let scans = 0;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) {
      offset += 1; // tolerate stray bytes between segments
      continue;
    }
    const marker = bytes[offset + 1]!;
    if (marker === 0xff || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xd9) break;
    const length = bytes.readUInt16BE(offset + 2);
    const body = offset + 4;
    if (length < 2 || body + length - 2 > bytes.length) throw corrupt(`has a segment FF${marker.toString(16).toUpperCase()} longer than the stream`);
    if (marker === 0xc4) {
      let p = body;
      while (p < body + length - 2) {
        const tableId = bytes[p]!;
        const counts = bytes.subarray(p + 1, p + 17);
        const total = counts.reduce((sum, n) => sum + n, 0);
        if (counts.length < 16 || p + 17 + total > body + length - 2) throw corrupt('has a short Huffman table');
        tables.set(tableId, buildTable(Uint8Array.from(counts), Uint8Array.from(bytes.subarray(p + 17, p + 17 + total))));
        p += 17 + total;
      }
    } else if (marker === 0xc3) {
      frame = readFrameHeader(bytes, body, length);
      out = new Uint16Array(frame.rows * frame.columns * frame.components.length);
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc8 && marker !== 0xcc) {
      throw corrupt(`is not lossless Huffman coded (SOF marker FF${marker.toString(16).toUpperCase()})`);
    } else if (marker === 0xdd) {
      restartInterval = bytes.readUInt16BE(body);
    } else if (marker === 0xda) {
      if (frame === undefined || out === undefined) throw corrupt('starts a scan before its frame header');
      const count = bytes[body]!;
      const scan: ScanComponent[] = [];
      for (let i = 0; i < count; i++) {
        const id = bytes[body + 1 + 2 * i]!;
        const component = frame.components.find((c) => c.id === id);
        const table = tables.get((bytes[body + 2 + 2 * i]! >> 4) & 0x0f);
        if (component === undefined || table === undefined) throw corrupt(`has a scan with unknown component ${id} or table`);
        scan.push({ index: component.index, table });
      }
      const predictor = bytes[body + 1 + 2 * count]!;
      pointTransform = bytes[body + 3 + 2 * count]! & 0x0f;
      if (predictor < 1 || predictor > 7) throw corrupt(`has predictor ${predictor}`);
      if (pointTransform >= frame.precision) throw corrupt(`has point transform ${pointTransform}`);
      const reader = new BitReader(bytes, body + length - 2);
      decodeScan(reader, frame, scan, predictor, pointTransform, restartInterval, out);
      scans += 1;
      // Continue after the entropy-coded data: the next marker that is not a stuffed byte or RSTn.
      offset = reader.position;
      while (offset + 1 < bytes.length && !(bytes[offset] === 0xff && bytes[offset + 1] !== 0x00 && !(bytes[offset + 1]! >= 0xd0 && bytes[offset + 1]! <= 0xd7))) offset += 1;
      continue;
    }
    offset = body + length - 2;
  }
  if (frame === undefined || out === undefined || scans === 0) throw corrupt('has no frame header or no scan');
  if (pointTransform > 0) for (let i = 0; i < out.length; i++) out[i] = (out[i]! << pointTransform) & 0xffff;
  return { rows: frame.rows, columns: frame.columns, components: frame.components.length, precision: frame.precision, data: out };
}
