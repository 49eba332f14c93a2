import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  DEFAULT_DELIMITERS,
  Er7Error,
  decodeMessage,
  decoderLabel,
  encodeMessage,
  escape,
  formatMessage,
  formatSegment,
  parseEr7,
  parseMessageBytes,
  unescape,
  type Delimiters,
  type Er7Message,
  type FieldValue,
} from '../../hl7-bridge/er7/index.ts';

const DIR = '/work/shared/fixtures/hl7v2/';
const bytesOf = (name: string): Buffer => readFileSync(DIR + name);
const fixture = (name: string): Er7Message => parseMessageBytes(bytesOf(name));

/** MSH-9.1, MSH-9.2, MSH-10, MSH-12.1 of every readable fixture (types and versions as in MANIFEST.md). */
const HEADERS: Record<string, [string, string, string, string]> = {
  'ack_r01_v25_fr_ans.hl7': ['ACK', 'R01', '016', '2.5'],
  'adt_a01_v23_accmgr_bom.hl7': ['ADT', 'A01', '599102', '2.3'],
  'adt_a01_v25_fr_pam_ans_latin1_DERIVED.hl7': ['ADT', 'A01', '3978', '2.5'],
  'adt_a01_v25_fr_pam_ans_utf8_zsegs.hl7': ['ADT', 'A01', '3975', '2.5'],
  'adt_a01_v28_msft.hl7': ['ADT', 'A01', 'MSG00001', '2.8'],
  'adt_a02_v28_msft.hl7': ['ADT', 'A02', 'MSG00001', '2.8'],
  'adt_a03_v25_hapi_italian.hl7': ['ADT', 'A03', '263206', '2.5'],
  'adt_a04_v23_redox_bom.hl7': ['ADT', 'A04', '1270326314', '2.3'],
  'adt_a08_v28_msft.hl7': ['ADT', 'A08', 'MSG00001', '2.8'],
  'adt_a11_v28_msft.hl7': ['ADT', 'A11', 'MSG00001', '2.8'],
  'adt_a13_v28_msft.hl7': ['ADT', 'A13', 'MSG00001', '2.8'],
  'adt_a24_v24_hapi_custom_delimiters.hl7': ['ADT', 'A24', '2003582144', '2.4'],
  'adt_a28_v28_msft.hl7': ['ADT', 'A28', 'MSG00001', '2.8'],
  'adt_a31_v251_dcm4che.hl7': ['ADT', 'A31', '100212', '2.5.1'],
  'adt_a40_v251_dcm4che_merge.hl7': ['ADT', 'A40', '1002122', '2.5.1'],
  'adt_a40_v28_msft_merge.hl7': ['ADT', 'A40', '8919-40', '2.8'],
  'mdm_t02_v26_fr_ans_bio_utf8.hl7': ['MDM', 'T02', '015', '2.6'],
  'omg_o19_v251_dcm4che_zds.hl7': ['OMG', 'O19', '1001124', '2.5.1'],
  'oml_o21_v25_hapi_utf8_spanish.hl7': ['OML', 'O21', '', '2.5'], // empty MSH-10 in the source
  'orm_o01_v23_efferent_all_escapes.hl7': ['ORM', 'O01', '23', '2.3'],
  'orm_o01_v23_epic_ti.hl7': ['ORM', 'O01', '550162', '2.3'],
  'orm_o01_v26_msft.hl7': ['ORM', 'O01', 'MSG00018', '2.6'],
  'oru_r01_v24_msft.hl7': ['ORU', 'R01', 'CNTRL-3456', '2.4'],
  'oru_r01_v251_dcm4che_sr.hl7': ['ORU', 'R01', '1001129', '2.5.1'],
  'oru_r01_v251_ti_micro_utf8.hl7': ['ORU', 'R01', '008', '2.5.1'],
  'siu_s12_v251_dcm4che_hex_escape.hl7': ['SIU', 'S12', '1001127', '2.5.1'],
  'siu_s12_v28_msft.hl7': ['SIU', 'S12', 'MSG00012', '2.8'],
};

/** Reads every value of a parsed message, as a mapping would. */
function walk(message: Er7Message): number {
  let values = 0;
  for (const segment of message.segments) {
    for (let n = 1; n <= segment.fieldCount + 1; n++) {
      const field = segment.field(n);
      field.isEmpty();
      for (const repetition of field.repetitions) for (const parts of repetition.components) values += parts.length;
      segment.get(n, 2, 2, 1);
    }
  }
  return values + message.messageCode.length + message.controlId.length + message.version.length;
}

/** mulberry32: a small seeded PRNG, so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertEr7Error(run: () => unknown, code: string, location: object): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof Er7Error, `expected an Er7Error, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.deepEqual(err.location, location);
    return true;
  });
}

describe('ER7 fixtures', () => {
  it('parses every non-malformed fixture with its MSH-9, MSH-10 and MSH-12', () => {
    const files = readdirSync(DIR).filter((name) => name.endsWith('.hl7') && !name.startsWith('malformed_'));
    assert.deepEqual(files.sort(), Object.keys(HEADERS).sort());
    for (const name of files) {
      const message = fixture(name);
      const got = [message.messageCode, message.triggerEvent, message.controlId, message.version];
      assert.deepEqual(got, HEADERS[name], name);
      assert.equal(message.header.name, 'MSH');
      assert.ok(walk(message) > 10, name);
    }
  });

  it('decodes French names from UTF-8 and from Latin-1 bytes', () => {
    const latin1 = bytesOf('adt_a01_v25_fr_pam_ans_latin1_DERIVED.hl7');
    assert.ok(latin1.includes(Buffer.from('R\xE9ault', 'latin1')), 'the fixture holds Latin-1 bytes');
    assert.equal(fixture('adt_a01_v25_fr_pam_ans_utf8_zsegs.hl7').segment('PV1')?.get(7, 2), 'Réault');
    const message = parseMessageBytes(latin1);
    assert.equal(message.charset, '8859/1');
    assert.equal(message.segment('PV1')?.get(7, 2), 'Réault');
    assert.equal(message.segment('PV1')?.get(17, 2), 'Réault');
  });

  it('decodes \\Xhh\\ escapes in the message charset', () => {
    assert.equal(fixture('siu_s12_v251_dcm4che_hex_escape.hl7').segment('AIS')?.get(3, 2), 'SEPTOPLASTIA (OPERAÇÃO ISOLADA)');
    assert.equal(fixture('orm_o01_v23_efferent_all_escapes.hl7').segment('PID')?.get(5, 1), 'Smith|^~\\&');
    assert.equal(fixture('orm_o01_v23_efferent_all_escapes.hl7').segment('PID')?.field(5).raw, 'Smith\\F\\\\S\\\\R\\\\E\\\\T\\^John');
  });

  it('reads files starting with a BOM', () => {
    for (const name of ['adt_a01_v23_accmgr_bom.hl7', 'adt_a04_v23_redox_bom.hl7', 'orm_o01_v26_msft.hl7']) {
      assert.deepEqual([...bytesOf(name).subarray(0, 3)], [0xef, 0xbb, 0xbf], name);
      const { text } = decodeMessage(bytesOf(name));
      assert.ok(text.startsWith('MSH|^~\\&|'), name);
      assert.equal(fixture(name).header.get(3).length > 0, true, name);
    }
    assert.equal(fixture('adt_a04_v23_redox_bom.hl7').header.get(3), 'REDOX');
    const text = bytesOf('adt_a04_v23_redox_bom.hl7').toString('utf8');
    assert.ok(text.startsWith('\uFEFF'));
    assert.equal(parseEr7(text).controlId, '1270326314');
  });

  it('reads custom delimiters (MSH^~|\\&^)', () => {
    const message = fixture('adt_a24_v24_hapi_custom_delimiters.hl7');
    assert.deepEqual({ ...message.delimiters }, { segment: '\r', field: '^', component: '~', repetition: '|', escape: '\\', subcomponent: '&' });
    assert.equal(message.header.get(1), '^');
    assert.equal(message.header.get(2), '~|\\&');
    assert.equal(message.header.get(3), 'SENDING');
    const pids = message.all('PID');
    assert.deepEqual(pids.map((pid) => [pid.position, pid.sequence, pid.get(1), pid.get(3), pid.get(3, 4, 3), pid.get(5, 2)]), [
      [3, 1, '1', '11111', '0363', 'JOHN'],
      [4, 2, '2', '22222', '0363', 'JOHN'],
    ]);
    assert.equal(message.segment('PID'), pids[0]);
  });

  it('splits repetitions and subcomponents', () => {
    const pid = fixture('adt_a01_v25_fr_pam_ans_utf8_zsegs.hl7').segment('PID');
    assert.ok(pid);
    assert.equal(pid.field(3).repetitions.length, 2);
    assert.equal(pid.get(3, 1, 1, 0), '000003');
    assert.equal(pid.get(3, 4, 1, 0), 'CHU-X');
    assert.equal(pid.get(3, 4, 2, 1), '1.2.250.1.213.1.4.10');
    assert.equal(pid.field(3).repetitions[1]?.get(5), 'INS');
    assert.equal(pid.get(3, 4, 2, 2), '');
    assert.equal(pid.get(3, 99), '');
  });

  it('keeps Z-segments', () => {
    const message = fixture('adt_a01_v25_fr_pam_ans_utf8_zsegs.hl7');
    assert.deepEqual(
      ['ZBE', 'ZFA', 'ZFM', 'ZFD'].map((name) => message.segment(name)?.name),
      ['ZBE', 'ZFA', 'ZFM', 'ZFD'],
    );
    assert.equal(message.segment('ZBE')?.get(1, 2), 'CHU-X');
    assert.equal(message.segment('ZBE')?.get(4), 'INSERT');
    assert.equal(fixture('omg_o19_v251_dcm4che_zds.hl7').segment('ZDS')?.name, 'ZDS');
  });

  it('reads the UTF-8 unit µmol/L in OBX-6 without MSH-18', () => {
    const message = fixture('oru_r01_v251_ti_micro_utf8.hl7');
    assert.equal(message.charset, '');
    assert.equal(message.segment('OBX')?.get(6), '\u00B5mol/L');
  });
});

describe('ER7 malformed input', () => {
  it('rejects a message without MSH', () => {
    assertEr7Error(() => fixture('malformed_adt_a03_no_msh_DERIVED.hl7'), '100', { segment: 'MSH', sequence: 1 });
  });

  it('rejects bad or missing encoding characters', () => {
    const msh2 = { segment: 'MSH', sequence: 1, field: 2 };
    assertEr7Error(() => fixture('malformed_bar_p01_v24_hapi_bad_encoding_chars.hl7'), '102', msh2);
    assertEr7Error(() => fixture('malformed_orm_o01_ti_missing_msh2.hl7'), '101', msh2);
    assertEr7Error(() => parseEr7('MSH|^~\\^|A'), '102', msh2); // not distinct
    assertEr7Error(() => parseEr7('MSH|^~a&|A'), '102', msh2); // alphanumeric
    assertEr7Error(() => parseEr7('MSH|^~\\&#!|A'), '102', msh2); // six characters
    assertEr7Error(() => parseEr7('MSH'), '101', { segment: 'MSH', sequence: 1, field: 1 });
    assertEr7Error(() => parseEr7('MSHA^~\\&'), '102', { segment: 'MSH', sequence: 1, field: 1 });
  });

  it('rejects a bad segment name where it is', () => {
    assertEr7Error(() => parseEr7('MSH|^~\\&|A\rPID|1\rpv1|1\r'), '100', { segment: 'pv1', sequence: 1 });
    assertEr7Error(() => parseEr7('MSH|^~\\&|A\rPIDX|1\r'), '100', { segment: 'PID', sequence: 1 });
    assertEr7Error(() => parseEr7('MSH|^~\\&|A\rPI|1\rPI\r'), '100', { segment: 'PI', sequence: 1 });
  });

  it('parses or rejects the fuzz and truncated fixtures quickly', () => {
    for (const name of ['malformed_fuzz_nhapi_hang1.hl7', 'malformed_adt_a04_truncated_DERIVED.hl7']) {
      const start = performance.now();
      try {
        walk(fixture(name));
      } catch (err) {
        assert.ok(err instanceof Er7Error, name);
      }
      assert.ok(performance.now() - start < 50, name);
    }
    const truncated = fixture('malformed_adt_a04_truncated_DERIVED.hl7');
    assert.equal(truncated.segments.at(-1)?.name, 'PID');
    assert.equal(truncated.segments.at(-1)?.get(3, 1), 'PATI');
  });

  it('throws nothing but Er7Error on garbage and mutated fixtures', () => {
    const random = prng(20261122);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const seeds = readdirSync(DIR).map((name) => bytesOf(name));
    const special = [...Buffer.from('|^~\\&#\r\n\x0b\x1cXMSH.0D"'), 0xc3, 0xe9, 0xff, 0xfe, 0x00];
    let parsed = 0;
    const start = performance.now();
    for (let n = 0; n < 2000; n++) {
      let bytes: number[];
      if (n % 4 === 0) {
        bytes = Array.from({ length: Math.floor(random() * 300) }, () => (random() < 0.5 ? pick(special) : Math.floor(random() * 256)));
        if (random() < 0.5) bytes = [...Buffer.from('MSH|^~\\&|'), ...bytes];
      } else {
        bytes = [...pick(seeds)];
        for (let m = 1 + Math.floor(random() * 8); m > 0; m--) {
          const at = Math.floor(random() * (bytes.length + 1));
          const op = random();
          if (op < 0.4) bytes[at] = pick(special);
          else if (op < 0.6) bytes.splice(at, 0, pick(special), pick(special));
          else if (op < 0.8) bytes.splice(at, 1 + Math.floor(random() * 20));
          else bytes.splice(at, 0, ...bytes.slice(at, at + Math.floor(random() * 200)));
        }
      }
      try {
        walk(parseMessageBytes(Uint8Array.from(bytes)));
        parsed++;
      } catch (err) {
        if (!(err instanceof Er7Error)) assert.fail(`case ${n}: ${String(err)} for ${JSON.stringify(Buffer.from(bytes).toString('latin1'))}`);
      }
    }
    assert.ok(parsed > 500 && parsed < 2000, `some cases parse, some fail (${parsed})`);
    assert.ok(performance.now() - start < 5000);
  });
});

describe('ER7 framing and layout', () => {
  it('tolerates MLLP bytes, leading whitespace, LF, CRLF and empty lines', () => {
    for (const text of [
      '\x0bMSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1||42\r\x1c\r',
      '  \r\nMSH|^~\\&|A||||||ADT^A01|1|P|2.5\r\n\r\nPID|1||42\r\n',
      'MSH|^~\\&|A||||||ADT^A01|1|P|2.5\nPID|1||42\n\n   \n',
    ]) {
      const message = parseEr7(text);
      assert.deepEqual(
        message.segments.map((segment) => segment.name),
        ['MSH', 'PID'],
      );
      assert.equal(message.segment('PID')?.get(3), '42');
      assert.equal(message.segment('PID')?.position, 2);
    }
  });

  it('keeps a LF inside a CR-terminated message as data, and "" as two characters', () => {
    const message = parseEr7('MSH|^~\\&|A\rOBX|1|TX|||line 1\nline 2|""\r');
    assert.equal(message.segment('OBX')?.get(5), 'line 1\nline 2');
    assert.equal(message.segment('OBX')?.get(6), '""');
    assert.equal(message.segment('OBX')?.field(6).isEmpty(), false);
  });

  it('numbers MSH fields as the standard does', () => {
    const msh = parseEr7('MSH|^~\\&|APP|FAC|||||ADT^A01^ADT_A01|7|P^T|2.5^FRA|||||||\r').header;
    assert.equal(msh.field(1).raw, '|');
    assert.equal(msh.field(2).get(), '^~\\&');
    assert.equal(msh.field(2).repetitions.length, 1);
    assert.equal(msh.get(3), 'APP');
    assert.equal(msh.fieldCount, 19);
    assert.equal(msh.field(40).isEmpty(), true);
    assert.equal(msh.field(0).raw, '');
    const message = parseEr7(msh.raw);
    assert.deepEqual(
      [message.messageCode, message.triggerEvent, message.messageStructure, message.controlId, message.processingId, message.version],
      ['ADT', 'A01', 'ADT_A01', '7', 'P', '2.5'],
    );
    assert.equal(parseEr7('MSH|^~\\&|A\rEVN\r').segment('EVN')?.fieldCount, 0);
  });

  it('parses a 5 MB message in well under 100 ms, and reads it in linear time', () => {
    const obx = 'OBX|1|TX|11526-1^Pathology^LN||Text with \\T\\ escapes \\XC3A9\\ and ^components^~repetitions~|||N|||F\r';
    const text = 'MSH|^~\\&|A||||||ORU^R01|1|P|2.5\r' + obx.repeat(Math.ceil(5_000_000 / obx.length));
    assert.ok(text.length >= 5_000_000);
    parseEr7(text);
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const start = performance.now();
      parseEr7(text);
      best = Math.min(best, performance.now() - start);
    }
    assert.ok(best < 100, `parsed in ${best.toFixed(1)} ms`);
    const start = performance.now();
    const message = parseEr7(text);
    assert.ok(walk(message) > 500_000);
    assert.equal(message.segments.at(-1)?.get(5, 1), 'Text with & escapes é and ');
    assert.ok(performance.now() - start < 3000);
  });

  it('stays linear on pathological escapes and line ends', () => {
    const start = performance.now();
    for (const body of ['\\'.repeat(1_000_000), '\\X'.repeat(500_000), '\\XFF\\'.repeat(200_000), '\\.sp999999\\'.repeat(100_000)]) {
      const message = parseEr7(`MSH|^~\\&|A\rNTE|1||${body}\r`);
      assert.ok((message.segment('NTE')?.get(3).length ?? 0) > 0);
    }
    assert.equal(parseEr7('MSH|^~\\&|A' + '\r'.repeat(1_000_000) + 'PID').segments.length, 2);
    assert.ok(performance.now() - start < 3000);
  });
});

describe('ER7 escape sequences', () => {
  const d = DEFAULT_DELIMITERS;

  it('unescapes delimiters, hex data, formatting and ignores highlighting and charset switches', () => {
    assert.equal(unescape('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', d, ''), 'a|b^c&d~e\\f');
    assert.equal(unescape('\\XC7\\\\XC3\\O', d, '8859/1'), 'ÇÃO');
    assert.equal(unescape('\\XC3\\\\X87\\', d, 'UNICODE UTF-8'), 'Ç');
    assert.equal(unescape('\\XC3A9\\t\\XC3\\', d, 'UNICODE UTF-8'), 'ét\uFFFD');
    assert.equal(unescape('\\XE9\\', d, ''), 'é'); // not valid UTF-8: Latin-1 guess
    assert.equal(unescape('one\\.br\\two\\.sp2\\three', d, ''), 'one\ntwo\n\nthree');
    assert.equal(unescape('\\H\\bold\\N\\ \\C2842\\\\M2442\\\\Zlocal\\.', d, ''), 'bold .');
    assert.equal(unescape('\\P\\', { ...d, truncation: '#' }, ''), '#');
  });

  it('leaves unterminated, unknown and malformed escapes as text', () => {
    for (const text of ['end\\', '\\F', 'a\\Q\\b', '\\X0\\', '\\XZZ\\', '\\X\\', '\\\\', '\\P\\']) {
      assert.equal(unescape(text, d, ''), text);
    }
    assert.equal(unescape('\\Q\\\\F\\', d, ''), '\\Q\\|');
  });

  it('escapes what unescape reads back, with any delimiters', () => {
    const custom: Delimiters = { segment: '\r', field: '^', component: '~', repetition: '|', escape: '!', subcomponent: '&', truncation: '#' };
    assert.equal(escape('a|b^c&d~e\\f\ng\rh', d), 'a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\X0D\\h');
    assert.equal(escape('plain', d), 'plain');
    const random = prng(7);
    const alphabet = [...'|^~\\&!#\n\r X0D.brFSTé€😀a1'];
    for (let n = 0; n < 300; n++) {
      const value = Array.from({ length: Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      for (const delimiters of [d, custom]) {
        for (const charset of ['', 'UNICODE UTF-8', '8859/1']) assert.equal(unescape(escape(value, delimiters), delimiters, charset), value);
      }
    }
  });
});

describe('ER7 writing', () => {
  const d = DEFAULT_DELIMITERS;

  it('formats segments with escaping and trailing empties trimmed', () => {
    assert.equal(
      formatSegment('MSH', ['APP', 'FAC', undefined, undefined, '20240101', undefined, ['ACK', 'A01', 'ACK'], '1', 'P', '2.5', '', undefined], d),
      'MSH|^~\\&|APP|FAC|||20240101||ACK^A01^ACK|1|P|2.5',
    );
    assert.equal(formatSegment('MSA', ['AE', '42', 'Bad | value^'], d), 'MSA|AE|42|Bad \\F\\ value\\S\\');
    assert.equal(formatSegment('ERR', [undefined, [['PID', '1'], undefined, '', ['']], [], ''], d), 'ERR||PID&1');
    assert.equal(formatSegment('NTE', [], d), 'NTE');
    assert.equal(formatSegment('MSH', [], { ...d, truncation: '#' }), 'MSH|^~\\&#');
    assert.throws(() => formatSegment('pid', [], d), RangeError);
    assert.equal(formatMessage(['MSH|^~\\&', 'MSA|AA']), 'MSH|^~\\&\rMSA|AA\r');
  });

  it('writes what the parser reads back', () => {
    const fields: FieldValue[] = ['1', '""', ['Doe|Jr', 'Jane', undefined, ['a&b', 'c^d']], 'line 1\nline 2', undefined, 'é~€'];
    for (const delimiters of [d, { ...d, field: '^', component: '~', repetition: '|' } satisfies Delimiters]) {
      const text = formatMessage([formatSegment('MSH', ['APP', '', '', '', '', '', ['ADT', 'A01']], delimiters), formatSegment('ZPI', fields, delimiters)]);
      const message = parseEr7(text);
      assert.equal(message.messageCode, 'ADT');
      const zpi = message.segment('ZPI');
      assert.deepEqual(
        [zpi?.get(1), zpi?.get(2), zpi?.get(3, 1), zpi?.get(3, 2), zpi?.get(3, 3), zpi?.get(3, 4, 1), zpi?.get(3, 4, 2), zpi?.get(4), zpi?.get(6)],
        ['1', '""', 'Doe|Jr', 'Jane', '', 'a&b', 'c^d', 'line 1\nline 2', 'é~€'],
      );
    }
  });
});

describe('ER7 character sets', () => {
  const msh = (charset: string): string => `MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||${charset}\rPID|1||||Réault^Zoë\r`;

  it('maps table 0211 values to decoders', () => {
    assert.equal(decoderLabel('8859/1'), 'iso-8859-1');
    assert.equal(decoderLabel(' unicode  utf-8 '), 'utf-8');
    assert.equal(decoderLabel('8859/15'), 'iso-8859-15');
    assert.equal(decoderLabel('ISO-8859-2'), 'iso-8859-2');
    assert.equal(decoderLabel('GB 18030-2000'), 'gb18030');
    assert.equal(decoderLabel('ISO IR87'), 'iso-2022-jp');
    assert.equal(decoderLabel('UNICODE UTF-32'), undefined);
    assert.equal(decoderLabel('EBCDIC'), undefined);
  });

  it('decodes and encodes Latin-1 and UTF-8', () => {
    const latin1 = encodeMessage(msh('8859/1'), '8859/1');
    assert.ok(latin1.includes(Buffer.from([0x52, 0xe9, 0x61])));
    assert.deepEqual(decodeMessage(latin1), { text: msh('8859/1'), charset: '8859/1' });
    const utf8 = encodeMessage(msh('UNICODE UTF-8'), 'UNICODE UTF-8');
    assert.ok(utf8.includes(Buffer.from('Réault', 'utf8')));
    assert.equal(parseMessageBytes(utf8).segment('PID')?.get(5, 2), 'Zoë');
    assert.deepEqual([...encodeMessage('é', '')], [0xc3, 0xa9]);
    assert.deepEqual([...encodeMessage('é€Ł😀', 'ASCII')], [0xe9, 0x80, 0x3f, 0x3f]);
    assert.deepEqual([...encodeMessage('Łé', '8859/2')], [0xa3, 0xe9]);
    assert.deepEqual([...encodeMessage('Aé', 'KS X 1001')], [0x41, 0x3f]);
    assert.deepEqual([...encodeMessage('é', 'no such charset')], [0x3f]);
  });

  it('guesses UTF-8 or Latin-1 when MSH-18 is absent', () => {
    assert.equal(parseMessageBytes(Buffer.from(msh(''), 'latin1')).segment('PID')?.get(5), 'Réault');
    assert.equal(parseMessageBytes(Buffer.from(msh(''), 'utf8')).segment('PID')?.get(5), 'Réault');
    assert.equal(decodeMessage(Buffer.from(msh(''), 'latin1')).charset, '');
  });

  it('reads UTF-16 with or without a BOM', () => {
    const text = msh('UNICODE UTF-16');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(text, 'utf16le').swap16();
    for (const bytes of [le, be, Buffer.from(text, 'utf16le'), encodeMessage(text, 'UNICODE UTF-16')]) {
      assert.deepEqual(decodeMessage(bytes), { text, charset: 'UNICODE UTF-16' });
    }
  });

  it('decodes ISO 8859-2 and rejects an unsupported MSH-18 with 103', () => {
    const name = [0x52, 0xe9, 0x61, 0x75, 0x6c, 0x74, 0x20, 0xa3]; // "Réault Ł" in ISO 8859-2
    const bytes = Buffer.concat([Buffer.from(msh('8859/2').split('Réault')[0] ?? ''), Buffer.from(name), Buffer.from('\r')]);
    assert.equal(parseMessageBytes(bytes).segment('PID')?.get(5), 'Réault Ł');
    assertEr7Error(() => decodeMessage(Buffer.from(msh('EBCDIC'))), '103', { segment: 'MSH', sequence: 1, field: 18, repetition: 1 });
  });
});
