/**
 * multipart/related for DICOMweb: the streaming reader (split at every byte, random chunk sizes,
 * look-alike boundaries, a 50 MB part in bounded chunks, garbage that must fail cleanly), the
 * writer read back by the reader, and media-type / Accept parsing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import {
  MultipartError,
  formatMediaType,
  isValidBoundary,
  multipartContentType,
  parseAccept,
  parseMediaType,
  randomBoundary,
  readMultipart,
  readPartBody,
  writeMultipart,
  type OutgoingPart,
  type ReadMultipartOptions,
} from '../../dicomweb/multipart/index.ts';

const text = (s: string): Buffer => Buffer.from(s, 'latin1');
const B = 'XbOuNdArY.7';

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

// Content that tries every trap: all byte values, a delimiter cut short, look-alikes that are
// not delimiters (`--boundary` without CRLF, `--boundaryZ`, `--boundary-x`), stray CRs.
const TRICKY = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  text(`\r\n--${B.slice(0, 5)}`),
  text(`--${B}\r\n`),
  text(`\r\n--${B}Z`),
  text(`\r\r\n\r`),
  text(`\r\n--${B}-x`),
  text('\r\n\r\n'),
]);

// preamble, three parts (padding after the second boundary, the third without headers and content), epilogue.
const REQUEST = Buffer.concat([
  text('This is the preamble.\r\n'),
  text(`--${B}\r\nContent-Type: application/dicom\r\nContent-Location: a.dcm\r\n\r\n`),
  TRICKY,
  text(`\r\n--${B} \t \r\ncontent-type: application/dicom+json\r\n\r\n`),
  text(`{"x": "--${B} is not a delimiter here"}`),
  text(`\r\n--${B}\r\n\r\n`),
  text(`\r\n--${B}--\r\nepilogue with --${B}-- again\r\n`),
]);
const EXPECTED: Part[] = [
  { headers: { 'content-type': 'application/dicom', 'content-location': 'a.dcm' }, body: TRICKY },
  { headers: { 'content-type': 'application/dicom+json' }, body: text(`{"x": "--${B} is not a delimiter here"}`) },
  { headers: {}, body: Buffer.alloc(0) },
];
const CLOSE_END = REQUEST.indexOf(`\r\n--${B}--`) + `\r\n--${B}--`.length;

async function* fromChunks(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** The stream cut at the given offsets. */
function cut(stream: Buffer, offsets: number[]): Buffer[] {
  const points = [0, ...offsets, stream.length];
  return points.slice(1).map((end, i) => stream.subarray(points[i], end));
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads every part fully; `maxChunk` is the largest body chunk handed to the consumer. */
async function readAll(source: AsyncIterable<Uint8Array> | Readable, boundary = B, options: ReadMultipartOptions = {}): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of readMultipart(source, boundary, options)) {
    const chunks: Buffer[] = [];
    for await (const chunk of part.body) chunks.push(Buffer.from(chunk));
    parts.push({ headers: Object.fromEntries(part.headers), body: Buffer.concat(chunks) });
  }
  return parts;
}

const parse = (chunks: Buffer[], boundary = B, options: ReadMultipartOptions = {}): Promise<Part[]> => readAll(fromChunks(chunks), boundary, options);
const rejectsMultipart = (promise: Promise<unknown>, message: RegExp): Promise<void> =>
  assert.rejects(promise, (error: unknown) => error instanceof MultipartError && message.test(error.message));

describe('multipart reader', () => {
  it('reads parts with their headers, dropping preamble and epilogue, the CRLF before each boundary belonging to it', async () => {
    assert.deepEqual(await parse([REQUEST]), EXPECTED);
  });

  it('gives the same parts for the request cut at every byte, in 1-byte chunks and in random chunk sizes', async () => {
    for (let i = 0; i <= REQUEST.length; i++) assert.deepEqual(await parse(cut(REQUEST, [i])), EXPECTED, `cut at ${i}`);
    assert.deepEqual(await parse(cut(REQUEST, Array.from({ length: REQUEST.length - 1 }, (_, i) => i + 1))), EXPECTED);
    for (let seed = 1; seed <= 300; seed++) {
      const random = prng(seed);
      const offsets: number[] = [];
      for (let at = 1 + Math.floor(random() * 40); at < REQUEST.length; at += 1 + Math.floor(random() * 40)) offsets.push(at);
      assert.deepEqual(await parse(cut(REQUEST, offsets)), EXPECTED, `seed ${seed}`);
    }
  });

  it('reads many parts from one chunk', async () => {
    const parts = Array.from({ length: 200 }, (_, i) => `--${B}\r\nContent-Type: text/plain\r\nX-Index: ${i}\r\n\r\npart ${i}\r\n`);
    const parsed = await parse([text(parts.join('') + `--${B}--`)]);
    assert.equal(parsed.length, 200);
    parsed.forEach((part, i) => assert.deepEqual(part, { headers: { 'content-type': 'text/plain', 'x-index': String(i) }, body: text(`part ${i}`) }));
  });

  it('accepts a first boundary that opens the body, padding after the close delimiter, and no CRLF after it', async () => {
    const one = { headers: { a: '1' }, body: text('x') };
    assert.deepEqual(await parse([text(`--${B}\r\nA: 1\r\n\r\nx\r\n--${B}--`)]), [one]);
    assert.deepEqual(await parse([text(`--${B}\t\r\nA: 1\r\n\r\nx\r\n--${B}--  \r\n`)]), [one]);
  });

  it('reads a part whose header fields run straight into the next boundary as one without content', async () => {
    assert.deepEqual(await parse([text(`--${B}\r\nA: 1\r\n\r\n--${B}\r\n\r\ny\r\n--${B}--`)]), [
      { headers: { a: '1' }, body: Buffer.alloc(0) },
      { headers: {}, body: text('y') },
    ]);
  });

  it('treats look-alike boundaries at the start of a part as content', async () => {
    const body = text(`--${B}Z and --${B}-y`);
    assert.deepEqual(await parse([text(`--${B}\r\n\r\n`), body, text(`\r\n--${B}--`)]), [{ headers: {}, body }]);
  });

  it('gives no part for a body that is only the close delimiter', async () => {
    assert.deepEqual(await parse([text(`--${B}--\r\n`)]), []);
  });

  it('lowercases header names, trims values, joins folded lines and repeated fields', async () => {
    const head = `--${B}\r\nCONTENT-Type :  application/dicom \r\nX-Long: one\r\n\ttwo\r\nX-Dup: a\r\nx-dup: b\r\n\r\n`;
    const [part] = await parse([text(`${head}z\r\n--${B}--`)]);
    assert.deepEqual(part?.headers, { 'content-type': 'application/dicom', 'x-long': 'one two', 'x-dup': 'a, b' });
  });

  it('streams a 50 MB part in chunks no larger than the source chunks', { timeout: 60_000 }, async () => {
    const CHUNK = 64 * 1024;
    const COUNT = 800; // 50 MiB
    const block = Buffer.from(Array.from({ length: CHUNK }, (_, i) => (i * 7919 + (i >> 8)) & 0xff));
    const sent = createHash('sha256');
    async function* source(): AsyncGenerator<Buffer> {
      yield text(`--${B}\r\nContent-Type: application/dicom\r\n\r\n`);
      for (let i = 0; i < COUNT; i++) {
        const chunk = Buffer.from(block);
        chunk.writeUInt32BE(i, 0);
        sent.update(chunk);
        yield chunk;
      }
      yield text(`\r\n--${B}--\r\n`);
    }
    let size = 0;
    let largest = 0;
    const received = createHash('sha256');
    for await (const part of readMultipart(source(), B)) {
      for await (const chunk of part.body) {
        largest = Math.max(largest, chunk.length);
        size += chunk.length;
        received.update(chunk);
      }
    }
    assert.equal(size, CHUNK * COUNT);
    assert.ok(largest <= CHUNK, `largest chunk ${largest}`);
    assert.equal(received.digest('hex'), sent.digest('hex'));
  });

  it('accepts Uint8Array chunks and Readable sources, and refuses strings', async () => {
    assert.deepEqual(await readAll(fromChunks([new Uint8Array(REQUEST)])), EXPECTED);
    assert.deepEqual(await readAll(Readable.from(cut(REQUEST, [10, 300]))), EXPECTED);
    await assert.rejects(readAll(fromChunks([REQUEST.toString('latin1') as unknown as Uint8Array])), TypeError);
  });
});

describe('multipart reader and its consumer', () => {
  it('drains the bodies a consumer skips or leaves half-read', async () => {
    const headers: string[] = [];
    let index = 0;
    for await (const part of readMultipart(fromChunks(cut(REQUEST, [100, 200, 300])), B)) {
      headers.push(part.headers.get('content-type') ?? '');
      if (index++ === 0) for await (const _ of part.body) break;
    }
    assert.deepEqual(headers, ['application/dicom', 'application/dicom+json', '']);
  });

  it('refuses to read a body after the next part was requested', async () => {
    const parts = readMultipart(fromChunks([REQUEST]), B);
    const first = await parts.next();
    await parts.next();
    assert.ok(!first.done);
    await assert.rejects(first.value.body[Symbol.asyncIterator]().next(), /after the next part/);
    await parts.return();
  });

  it('reports a body cut inside a part from the body, then again from the part list', async () => {
    const parts = readMultipart(fromChunks([REQUEST.subarray(0, 200)]), B);
    const first = await parts.next();
    assert.ok(!first.done);
    await rejectsMultipart(readPartBody(first.value.body, 1e6), /ended before the closing boundary/);
    await rejectsMultipart(parts.next(), /ended before the closing boundary/);
  });

  it('collects a small body, and refuses one over the limit', async () => {
    const parts = readMultipart(fromChunks(cut(REQUEST, [200, 201])), B);
    const first = await parts.next();
    assert.ok(!first.done);
    await rejectsMultipart(readPartBody(first.value.body, 100), /larger than 100 bytes/);
    const second = await parts.next();
    assert.ok(!second.done);
    assert.deepEqual(await readPartBody(second.value.body, 1000), EXPECTED[1]?.body);
  });

  it('leaves a Readable source undestroyed when the consumer stops early, and returns other sources', async () => {
    const stream = Readable.from(cut(REQUEST, [50]));
    for await (const _ of readMultipart(stream, B)) break;
    assert.equal(stream.destroyed, false);
    let returned = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield REQUEST;
      } finally {
        returned = true;
      }
    }
    for await (const _ of readMultipart(source(), B)) break;
    assert.equal(returned, true);
  });
});

describe('multipart reader on bad input', () => {
  it('refuses an unusable boundary', async () => {
    for (const boundary of ['', 'a\r\nb', 'x'.repeat(71), 'trailing ', 'é']) {
      assert.equal(isValidBoundary(boundary), false, boundary);
      await rejectsMultipart(parse([REQUEST], boundary), /boundary parameter/);
    }
  });

  it('says the boundary was not found in a body without it, or without it at a line start', async () => {
    await rejectsMultipart(parse([]), /not found/);
    await rejectsMultipart(parse([text('no multipart here at all')]), /not found/);
    await rejectsMultipart(parse([text(`preamble --${B}\r\n\r\nx --${B}--`)]), /not found/);
    await rejectsMultipart(parse([REQUEST], 'OtherBoundary'), /not found/);
  });

  it('stops looking for the boundary after maxPreambleBytes', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024, 0x41);
      }
    }
    await rejectsMultipart(readAll(endless(), B, { maxPreambleBytes: 10_000 }), /not found in the first 10000 bytes/);
    assert.ok(pulled <= 10, `pulled ${pulled}`);
  });

  it('says the body ended before the closing boundary for every truncation of a request', async () => {
    for (let length = 1; length <= REQUEST.length; length++) {
      const chunks = cut(REQUEST.subarray(0, length), [Math.floor(length / 2)]);
      if (length >= CLOSE_END) assert.deepEqual(await parse(chunks), EXPECTED, `length ${length}`);
      else await rejectsMultipart(parse(chunks), /ended before the closing boundary|not found/);
    }
    await rejectsMultipart(parse([text(`--${B}\r\nA: 1\r\n\r\nx`)]), /ended before the closing boundary/);
  });

  it('refuses a header section over the limit, and accepts one exactly at it', async () => {
    const field = (n: number): string => `X: ${'h'.repeat(n - 7)}\r\n\r\n`; // n bytes, blank line included
    await rejectsMultipart(parse([text(`--${B}\r\n${field(17_000)}x\r\n--${B}--`)]), /header section is larger than 16384 bytes/);
    assert.equal((await parse([text(`--${B}\r\n${field(100)}x\r\n--${B}--`)], B, { maxPartHeaderBytes: 100 })).length, 1);
    await rejectsMultipart(parse([text(`--${B}\r\n${field(101)}x\r\n--${B}--`)], B, { maxPartHeaderBytes: 100 }), /larger than 100 bytes/);
    // An endless header section fails without reading the rest.
    await rejectsMultipart(parse([text(`--${B}\r\n`), ...Array.from({ length: 100 }, () => Buffer.alloc(1024, 0x61))]), /larger than/);
  });

  it('refuses malformed boundary lines and header lines', async () => {
    await rejectsMultipart(parse([text(`--${B}  x\r\n\r\nx\r\n--${B}--`)]), /malformed boundary line/);
    await rejectsMultipart(parse([text(`--${B}\rx\r\n\r\nx\r\n--${B}--`)]), /malformed boundary line/);
    await rejectsMultipart(parse([text(`--${B}\nA: 1\n\nx\n--${B}--`)]), /malformed boundary line/);
    await rejectsMultipart(parse([text(`--${B}\r\nno colon here\r\n\r\nx\r\n--${B}--`)]), /malformed part header line/);
    await rejectsMultipart(parse([text(`--${B}\r\n: empty name\r\n\r\nx\r\n--${B}--`)]), /malformed part header line/);
  });

  it('never fails with anything but MultipartError on random bytes and mutated requests', { timeout: 60_000 }, async () => {
    const alphabet = text(`\r\n-: \tXb${B}`);
    for (let seed = 1; seed <= 400; seed++) {
      const random = prng(seed);
      const input =
        seed % 2 === 0
          ? Buffer.from(Array.from({ length: Math.floor(random() * 400) }, () => alphabet[Math.floor(random() * alphabet.length)] ?? 0))
          : Buffer.from(REQUEST);
      if (seed % 2 === 1) for (let k = 0; k < 3; k++) input[Math.floor(random() * input.length)] = alphabet[Math.floor(random() * alphabet.length)] ?? 0;
      const offsets = [Math.floor(random() * input.length), Math.floor(random() * input.length)].sort((a, b) => a - b);
      try {
        await parse(cut(input, offsets), B, { maxPartHeaderBytes: 64 });
      } catch (error) {
        assert.ok(error instanceof MultipartError, `seed ${seed}: ${String(error)}`);
      }
    }
  });
});

describe('multipart writer', () => {
  /** Writes the parts through a PassThrough while the reader reads them back. */
  async function roundTrip(parts: OutgoingPart[]): Promise<Part[]> {
    const boundary = randomBoundary();
    const pipe = new PassThrough();
    const [, parsed] = await Promise.all([writeMultipart(pipe, boundary, parts), readAll(pipe, boundary)]);
    return parsed;
  }

  it('writes parts the reader reads back: bytes, streams, locations, extra headers, empty bodies', async () => {
    const big = Buffer.alloc(300_000, 0x5a);
    async function* generated(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([1, 2]);
      yield new Uint8Array([3]);
    }
    const parts = await roundTrip([
      { contentType: 'application/dicom', contentLocation: '/studies/1.2/series/3.4/instances/5.6', body: TRICKY },
      { contentType: 'application/octet-stream', headers: { 'Content-Length': String(big.length) }, body: Readable.from([big.subarray(0, 1000), big.subarray(1000)]) },
      { contentType: 'application/dicom+json', body: Buffer.alloc(0) },
      { contentType: 'application/octet-stream', body: generated() },
    ]);
    assert.deepEqual(parts, [
      { headers: { 'content-type': 'application/dicom', 'content-location': '/studies/1.2/series/3.4/instances/5.6' }, body: TRICKY },
      { headers: { 'content-type': 'application/octet-stream', 'content-length': '300000' }, body: big },
      { headers: { 'content-type': 'application/dicom+json' }, body: Buffer.alloc(0) },
      { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([1, 2, 3]) },
    ]);
    assert.deepEqual(await roundTrip([]), []);
  });

  it('waits for drain: the destination never holds more than its high-water mark plus one chunk', async () => {
    let largest = 0;
    let received = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback): void {
        largest = Math.max(largest, this.writableLength);
        received += chunk.length;
        setImmediate(callback);
      },
    });
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(16 * 1024, 1));
    await writeMultipart(out, 'b', [{ contentType: 'application/dicom', body: Readable.from(chunks) }]);
    assert.ok(largest <= 1024 + 16 * 1024, `writableLength reached ${largest}`);
    assert.ok(received > 64 * 16 * 1024);
    assert.equal(out.writableFinished, true);
  });

  it('destroys the destination and rejects when a part fails', async () => {
    const failing = new Readable({
      read(): void {
        this.destroy(new Error('disk read failed'));
      },
    });
    const out = new PassThrough();
    out.resume();
    await assert.rejects(writeMultipart(out, 'b', [{ contentType: 'application/dicom', body: failing }]), /disk read failed/);
    assert.equal(out.destroyed, true);
    const injected = new PassThrough();
    await assert.rejects(writeMultipart(injected, 'b', [{ contentType: 'text/plain\r\nX-Evil: 1', body: Buffer.alloc(1) }]), TypeError);
    assert.equal(injected.destroyed, true);
    await assert.rejects(writeMultipart(new PassThrough(), 'bad\r\n', []), TypeError);
  });

  it('makes unique usable boundaries and the Content-Type that announces them', () => {
    const boundaries = new Set(Array.from({ length: 100 }, randomBoundary));
    assert.equal(boundaries.size, 100);
    for (const boundary of boundaries) assert.ok(isValidBoundary(boundary), boundary);
    const [b] = boundaries;
    const contentType = multipartContentType(b ?? '', 'application/dicom', { 'transfer-syntax': '1.2.840.10008.1.2.1' });
    assert.equal(contentType, `multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1; boundary=${b}`);
    assert.equal(parseMediaType(contentType)?.params.get('boundary'), b);
    assert.equal(multipartContentType('a b', 'application/dicom'), 'multipart/related; type="application/dicom"; boundary="a b"');
  });
});

describe('media types', () => {
  const params = (value: string): Record<string, string> | undefined => {
    const parsed = parseMediaType(value);
    return parsed && Object.fromEntries(parsed.params);
  };

  it('lowercases the type and parameter names, keeps value case, unquotes with escapes', () => {
    const parsed = parseMediaType('Multipart/Related; Type="application/dicom"; BOUNDARY="Ab:C d"');
    assert.equal(parsed?.type, 'multipart/related');
    assert.deepEqual(params('Multipart/Related; Type="application/dicom"; BOUNDARY="Ab:C d"'), { type: 'application/dicom', boundary: 'Ab:C d' });
    assert.deepEqual(params('text/plain; x="a\\"b\\\\c;d"; y=2'), { x: 'a"b\\c;d', y: '2' });
  });

  it('tolerates spaces, unquoted non-token values, commas, valueless and repeated parameters, an open quote', () => {
    assert.deepEqual(params(' multipart/related ; type = application/dicom ; boundary = xyz '), { type: 'application/dicom', boundary: 'xyz' });
    assert.deepEqual(params('multipart/related;type=application/dicom;boundary=a,b'), { type: 'application/dicom', boundary: 'a,b' });
    assert.deepEqual(params('multipart/related; boundary; type=a/b; type=c/d'), { type: 'a/b' });
    assert.deepEqual(params('multipart/related; boundary="abc'), { boundary: 'abc' });
    assert.deepEqual(params('multipart/related; boundary="abc" junk; x=1'), { boundary: 'abc', x: '1' });
  });

  it('gives undefined without a type/subtype', () => {
    for (const value of ['', 'multipart', '/related', 'multipart/', 'a/b/c', 'a b/c', '; boundary=x']) assert.equal(parseMediaType(value), undefined, value);
  });

  it('writes parameters back, quoting only where needed, and refuses control characters', () => {
    const written = formatMediaType('application/dicom', { 'transfer-syntax': '1.2.840.10008.1.2.4.50', x: 'say "hi"\\' });
    assert.equal(written, 'application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50; x="say \\"hi\\"\\\\"');
    assert.deepEqual(params(written), { 'transfer-syntax': '1.2.840.10008.1.2.4.50', x: 'say "hi"\\' });
    assert.throws(() => formatMediaType('application/dicom', { x: 'a\r\nb' }), TypeError);
    assert.throws(() => formatMediaType('not a type'), TypeError);
  });
});

describe('Accept', () => {
  const summary = (value: string): Array<[string, number, Record<string, string>]> => parseAccept(value).map((r) => [r.type, r.q, Object.fromEntries(r.params)]);

  it('reads PS3.18 media ranges with their parameters', () => {
    assert.deepEqual(summary('multipart/related; type="application/dicom"; transfer-syntax=*'), [
      ['multipart/related', 1, { type: 'application/dicom', 'transfer-syntax': '*' }],
    ]);
    assert.deepEqual(summary('application/dicom+json, */*;q=0.5'), [
      ['application/dicom+json', 1, {}],
      ['*/*', 0.5, {}],
    ]);
  });

  it('sorts by q, highest first, ties in the order written; keeps q=0 last', () => {
    assert.deepEqual(
      summary('a/b;q=0.2, c/d, e/f;q=0.9, g/h, i/j;q=0').map(([type, q]) => [type, q]),
      [['c/d', 1], ['g/h', 1], ['e/f', 0.9], ['a/b', 0.2], ['i/j', 0]],
    );
  });

  it('tolerates a bare *, q without a leading zero, parameters after q, commas in quotes, empty elements', () => {
    assert.deepEqual(summary('*; q=.2'), [['*/*', 0.2, {}]]);
    assert.deepEqual(summary('multipart/related; type="application/dicom"; q=0.5; transfer-syntax=1.2.840.10008.1.2.1'), [
      ['multipart/related', 0.5, { type: 'application/dicom', 'transfer-syntax': '1.2.840.10008.1.2.1' }],
    ]);
    assert.deepEqual(summary('multipart/related; type="application/dicom, x", application/json'), [
      ['multipart/related', 1, { type: 'application/dicom, x' }],
      ['application/json', 1, {}],
    ]);
    assert.deepEqual(summary(' , ,Application/JSON, '), [['application/json', 1, {}]]);
    assert.deepEqual(summary(''), []);
  });

  it('skips elements it cannot read', () => {
    assert.deepEqual(summary('a/b;q=2, c/d;q=x, e, f/g;q=-1, h/i'), [['h/i', 1, {}]]);
  });
});
