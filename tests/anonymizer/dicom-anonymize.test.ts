// The de-identified files as a whole: readable by DCMTK without any original identity in them,
// pixel data untouched, deterministic per secret, one study staying one study, and refusals.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import dcmjs, { type DcmjsDataset, type DcmjsElement } from 'dcmjs';
import { anonymizeDicom, BurnedInAnnotationError, dicomPatientIdentity, UnreadableDicomError } from '../../anonymizer/dicom/index.ts';
import { patientIdentity, Pseudonymizer, shiftDicomDate } from '../../anonymizer/index.ts';
import { assigningAuthoritySystem } from '../../profiles/index.ts';
import { requireDcmtk, requireDicom3tools } from '../support/dcmtk.ts';

const FIXTURES = '/work/shared/fixtures/dicom';
const SECRET = 'dicom-anonymize-test-secret-0123456789';
const pseudonymizer = new Pseudonymizer(SECRET);
const files = readdirSync(FIXTURES).sort();
const originals = new Map(files.map((file) => [file, readFileSync(join(FIXTURES, file))]));
const work = mkdtempSync(join(tmpdir(), 'passerelle-anon-'));
after(() => rmSync(work, { recursive: true, force: true }));

const read = (bytes: Buffer): { meta: DcmjsDataset; dict: DcmjsDataset } =>
  dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
const first = (dict: DcmjsDataset, tag: string): unknown => (Array.isArray(dict[tag]?.Value) ? (dict[tag]?.Value as unknown[])[0] : undefined);
const str = (dict: DcmjsDataset, tag: string): string | undefined => {
  const value = first(dict, tag);
  if (value && typeof value === 'object' && 'Alphabetic' in value) return String((value as { Alphabetic: string }).Alphabetic);
  return typeof value === 'string' ? value : undefined;
};

/** Identifying strings of the input (at the top level) that must not survive (unless they also name the make, which is kept). */
function identifyingValues(dict: DcmjsDataset): string[] {
  const make = new Set([str(dict, '00080070'), str(dict, '00081090')].map((v) => v?.trim()));
  const tags = ['00100010', '00100020', '00080080', '00080090', '00081050', '00081070', '00081010', '00080050', '00380010', '00321032', '00081048', '00081060'];
  return tags.flatMap((tag) => {
    const value = str(dict, tag)?.trim() ?? '';
    return value.length >= 3 && !/^\^+$/.test(value) && ![...make].some((m) => m?.includes(value)) ? [value] : [];
  });
}

function pixelBytes(dict: DcmjsDataset): Buffer {
  const value = dict['7FE00010']?.Value;
  const parts = (Array.isArray(value) ? value : []).flat() as ArrayBuffer[];
  return Buffer.concat(parts.map((part) => Buffer.from(part instanceof ArrayBuffer ? part : (part as Uint8Array).buffer)));
}

test('every fixture: DCMTK reads the output, no original identity is in it, pixel data is byte-identical', () => {
  requireDcmtk('dcmdump');
  for (const file of files) {
    const input = originals.get(file) as Buffer;
    const result = anonymizeDicom(input, pseudonymizer, { allowBurnedInAnnotation: true });
    const path = join(work, file);
    writeFileSync(path, result.bytes);
    // dcmftest: a Part 10 file (preamble, DICM, meta); dcmdump: the whole dataset parses.
    assert.match(execFileSync('dcmftest', [path], { encoding: 'utf8' }), /^yes:/, `${file}: DCMTK sees a Part 10 file`);
    const dump = execFileSync('dcmdump', ['+L', '+U8', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const before = read(input).dict;
    for (const value of identifyingValues(before)) assert.ok(!dump.includes(value), `${file}: an original value is still in the output`);
    assert.match(dump, /\(0012,0062\) CS \[YES\]/, `${file}: PatientIdentityRemoved YES`);
    assert.ok(dump.includes(result.patient.pseudonym), `${file}: the pseudonym is PatientID`);
    const after = read(result.bytes).dict;
    assert.ok(pixelBytes(before).equals(pixelBytes(after)), `${file}: the pixel data is unchanged`);
  }
});

/** dciodvfy's errors, with UIDs blanked (they are replaced) so that input and output compare. */
function iodErrors(path: string): string[] {
  const result = spawnSync('dciodvfy', [path], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return `${result.stdout}${result.stderr}`
    .split('\n')
    .filter((line) => line.startsWith('Error'))
    .map((line) => line.replace(/\d+(\.\d+){2,}/g, '<uid>'));
}

test('every fixture: dciodvfy finds no IOD error that the input did not have, but the emptied Type 3 sequences', () => {
  requireDcmtk('dcmdump');
  requireDicom3tools();
  for (const file of files) {
    const path = join(work, `iod-${file}`);
    writeFileSync(path, anonymizeDicom(originals.get(file) as Buffer, pseudonymizer, { allowBurnedInAnnotation: true }).bytes);
    const before = new Set(iodErrors(join(FIXTURES, file)));
    // X/Z becomes Z whatever the IOD Type (see profile-table.ts): a Type 3 sequence such as
    // Referenced Study Sequence is then present with no item, which dciodvfy reports.
    const emptied = /Bad Sequence number of Items 0|Bad attribute Value Multiplicity Type 3/;
    const added = iodErrors(path).filter((line) => !before.has(line) && !emptied.test(line));
    assert.deepEqual(added, [], `${file}: errors the input did not have`);
  }
});

test('encapsulated pixel data: the element bytes themselves are copied (fragments and offset table as they were)', () => {
  const file = 'US_JPEGBaseline_multiframe30_examples_ybr_color.dcm';
  const input = originals.get(file) as Buffer;
  const output = anonymizeDicom(input, pseudonymizer).bytes;
  const pixelTag = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42]); // (7FE0,0010) OB, little endian
  const inputElement = input.subarray(input.lastIndexOf(pixelTag));
  assert.ok(output.subarray(output.length - inputElement.length).equals(inputElement));
});

test('PatientName and PatientID are the pseudonym of the identity the FHIR side uses', () => {
  const input = originals.get('MR_ImplVRLE_study1026_MR01.dcm') as Buffer;
  const before = read(input).dict;
  const result = anonymizeDicom(input, pseudonymizer);
  const identity = patientIdentity(assigningAuthoritySystem('', '', ''), '583295');
  assert.equal(result.patient.identity, identity);
  assert.equal(result.patient.pseudonym, pseudonymizer.pseudonym(identity));
  const after = read(result.bytes).dict;
  assert.equal(str(after, '00100020'), result.patient.pseudonym);
  assert.equal(str(after, '00100010'), result.patient.pseudonym);
  // With an issuer, the system is the issuer's, exactly as dicomweb maps it to a Patient identifier.
  const withIssuer: DcmjsDataset = { ...before, '00100021': { vr: 'LO', Value: ['HOSP'] } };
  assert.equal(dicomPatientIdentity(withIssuer), patientIdentity(assigningAuthoritySystem('HOSP', '', ''), '583295'));
  const qualified: DcmjsDataset = {
    ...before,
    '00100024': { vr: 'SQ', Value: [{ '00400032': { vr: 'UT', Value: ['1.2.3.4'] }, '00400033': { vr: 'CS', Value: ['ISO'] } }] },
  };
  assert.equal(dicomPatientIdentity(qualified), 'urn:oid:1.2.3.4|583295');
});

test('the same secret gives identical bytes; another secret gives other UIDs and pseudonym', () => {
  const input = originals.get('CT_ExplVRLE_CT_small.dcm') as Buffer;
  const once = anonymizeDicom(input, pseudonymizer);
  const twice = anonymizeDicom(input, new Pseudonymizer(SECRET));
  assert.ok(once.bytes.equals(twice.bytes));
  const other = anonymizeDicom(input, new Pseudonymizer(`${SECRET}-other`));
  assert.notEqual(other.studyInstanceUID, once.studyInstanceUID);
  assert.notEqual(other.sopInstanceUID, once.sopInstanceUID);
  assert.notEqual(other.patient.pseudonym, once.patient.pseudonym);
  assert.match(once.studyInstanceUID, /^2\.25\.\d+$/);
});

test('the three MR instances of one study stay one study and one series, references and dates agreeing', () => {
  const names = ['MR_ImplVRLE_study1026_MR01.dcm', 'MR_ImplVRLE_study1026_MR02.dcm', 'MR_ImplVRLE_study1026_MR03.dcm'];
  const results = names.map((name) => ({ before: read(originals.get(name) as Buffer).dict, result: anonymizeDicom(originals.get(name) as Buffer, pseudonymizer) }));
  const outs = results.map(({ result }) => read(result.bytes).dict);
  assert.equal(new Set(results.map(({ result }) => result.studyInstanceUID)).size, 1);
  assert.equal(new Set(results.map(({ result }) => result.seriesInstanceUID)).size, 1);
  assert.equal(new Set(results.map(({ result }) => result.sopInstanceUID)).size, 3);
  assert.equal(new Set(outs.map((dict) => str(dict, '00200052'))).size, 1, 'one frame of reference');
  assert.equal(new Set(results.map(({ result }) => result.patient.pseudonym)).size, 1);
  const shift = pseudonymizer.dateShiftDays(results[0]?.result.patient.identity as string);
  results.forEach(({ before, result }, i) => {
    const out = outs[i] as DcmjsDataset;
    assert.equal(result.studyInstanceUID, pseudonymizer.uid(str(before, '0020000D') as string));
    assert.equal(str(out, '00080020'), shiftDicomDate(str(before, '00080020') as string, shift));
    assert.notEqual(str(out, '00080020'), str(before, '00080020'));
    // The references that stay (Referenced Performed Procedure Step, X/Z/D -> D: kept, UIDs mapped;
    // Referenced Study Sequence is X/Z -> Z: emptied) map like the instances they name.
    const refs = referencedInstances(before).map((uid) => pseudonymizer.uid(uid));
    const kept = referencedInstances(out);
    assert.ok(kept.length > 0 && kept.every((uid) => refs.includes(uid)));
    assert.deepEqual(kept, referencedInstances(outs[0] as DcmjsDataset), 'the three instances reference the same step');
  });
});

function referencedInstances(dict: DcmjsDataset): string[] {
  const found: string[] = [];
  const walk = (ds: DcmjsDataset): void => {
    for (const [tag, el] of Object.entries(ds) as [string, DcmjsElement][]) {
      if (tag === '00081155') found.push(...((el.Value ?? []) as string[]));
      if (el.vr === 'SQ') for (const item of (el.Value ?? []) as DcmjsDataset[]) walk(item);
    }
  };
  walk(dict);
  return found;
}

/** A fixture with changes, written back as Part 10 by dcmjs. */
function rewritten(name: string, change: (dict: DcmjsDataset) => void): Buffer {
  const parsed = read(originals.get(name) as Buffer);
  change(parsed.dict);
  const DicomDict = (dcmjs.data as unknown as { DicomDict: new (meta: DcmjsDataset) => { dict: DcmjsDataset; write(): ArrayBuffer } }).DicomDict;
  const file = new DicomDict(parsed.meta);
  file.dict = parsed.dict;
  return Buffer.from(file.write());
}

test('BurnedInAnnotation YES is refused unless allowed', () => {
  const burned = rewritten('SC_ExplVRLE_Latin1_chrFren.dcm', (dict) => {
    dict['00280301'] = { vr: 'CS', Value: ['YES'] };
  });
  assert.throws(() => anonymizeDicom(burned, pseudonymizer), BurnedInAnnotationError);
  assert.ok(anonymizeDicom(burned, pseudonymizer, { allowBurnedInAnnotation: true }).bytes.length > 0);
});

test('overlays, curves, private blocks and nested identity go; nested references are mapped', () => {
  const input = rewritten('SC_ExplVRLE_Latin1_chrFren.dcm', (dict) => {
    dict['60000010'] = { vr: 'US', Value: [4] }; // Overlay Rows: not a table row, but its plane loses its data
    dict['60003000'] = { vr: 'OW', Value: [new ArrayBuffer(2)] }; // Overlay Data (60xx,3000) X
    dict['60004000'] = { vr: 'LT', Value: ['drawn by Dr. Who'] }; // Overlay Comments (60xx,4000) X
    dict['50023000'] = { vr: 'OB', Value: [new ArrayBuffer(2)] }; // Curve Data (50xx,xxxx) X
    dict['00090010'] = { vr: 'LO', Value: ['ACME'] };
    dict['00091001'] = { vr: 'LO', Value: ['hidden identity'] };
    dict['00081140'] = {
      vr: 'SQ',
      Value: [{ '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] }, '00081155': { vr: 'UI', Value: ['1.2.3.4.5.6'] }, '00080080': { vr: 'LO', Value: ['NESTED HOSPITAL'] }, '00290010': { vr: 'LO', Value: ['ACME'] } }],
    };
  });
  const dict = read(anonymizeDicom(input, pseudonymizer).bytes).dict;
  assert.deepEqual(Object.keys(dict).filter((tag) => /^(5|6)0/.test(tag) || tag.startsWith('0009')), []);
  const item = (dict['00081140']?.Value as DcmjsDataset[])[0] as DcmjsDataset;
  assert.equal(str(item, '00081155'), pseudonymizer.uid('1.2.3.4.5.6'));
  assert.equal(str(item, '00081150'), '1.2.840.10008.5.1.4.1.1.7', 'SOP classes are not instance UIDs: kept');
  assert.ok(str(item, '00080080') !== 'NESTED HOSPITAL' && str(item, '00080080'), 'Institution Name (X/Z/D) gets a dummy inside sequences too');
  assert.equal(item['00290010'], undefined);
});

test('garbage is refused with UnreadableDicomError', () => {
  assert.throws(() => anonymizeDicom(Buffer.from('not a dicom file at all'), pseudonymizer), UnreadableDicomError);
  const prefixOnly = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00, 0xff, 0xff, 0x00, 0x00]), Buffer.alloc(40, 0xee)]);
  assert.throws(() => anonymizeDicom(prefixOnly, pseudonymizer), UnreadableDicomError);
  const truncated = (originals.get('CT_ExplVRLE_CT_small.dcm') as Buffer).subarray(0, 600);
  assert.throws(() => anonymizeDicom(truncated, pseudonymizer), UnreadableDicomError);
});

test('the de-identification method and its CID 7050 codes name the options used', () => {
  const input = originals.get('CT_ExplVRLE_CT_small.dcm') as Buffer;
  const codes = (options: Parameters<typeof anonymizeDicom>[2]): string[] => {
    const dict = read(anonymizeDicom(input, pseudonymizer, options).bytes).dict;
    return ((dict['00120064']?.Value ?? []) as DcmjsDataset[]).map((item) => `${str(item, '00080102')}:${str(item, '00080100')}`);
  };
  assert.deepEqual(codes({}), ['DCM:113100', 'DCM:113107']);
  assert.deepEqual(codes({ retainLongitudinalModifiedDates: false }), ['DCM:113100']);
  assert.deepEqual(
    codes({ cleanDescriptors: true, retainPatientCharacteristics: true, retainDeviceIdentity: true, retainUids: true, retainInstitutionIdentity: true, safePrivate: [{ creator: 'GEMS_ACQU_01', tag: '0019xx10' }] }),
    ['DCM:113100', 'DCM:113105', 'DCM:113107', 'DCM:113108', 'DCM:113109', 'DCM:113110', 'DCM:113112', 'DCM:113111'],
  );
  const dict = read(anonymizeDicom(input, pseudonymizer, { retainLongitudinalModifiedDates: false }).bytes).dict;
  assert.equal(str(dict, '00280303'), 'REMOVED');
  assert.equal(str(dict, '00120063'), 'Basic Application Confidentiality Profile');
});

test('private attributes go, except those declared safe (with their creator)', () => {
  const file = files.find((name) => {
    const dict = read(originals.get(name) as Buffer).dict;
    return Object.keys(dict).some((tag) => tag.startsWith('0019') && str(dict, tag) === 'GEMS_ACQU_01');
  }) as string;
  assert.ok(file, 'a fixture with a GEMS_ACQU_01 block');
  const before = read(originals.get(file) as Buffer).dict;
  const creatorTag = Object.keys(before).find((tag) => tag.startsWith('0019') && str(before, tag) === 'GEMS_ACQU_01') as string;
  const block = creatorTag.slice(6);
  const safeTag = Object.keys(before).find((tag) => tag.startsWith(`0019${block}`)) as string;
  const after = read(anonymizeDicom(originals.get(file) as Buffer, pseudonymizer, { safePrivate: [{ creator: 'GEMS_ACQU_01', tag: `0019xx${safeTag.slice(6)}` }] }).bytes).dict;
  const privateTags = Object.keys(after).filter((tag) => parseInt(tag.slice(0, 4), 16) & 1);
  assert.deepEqual(privateTags.sort(), [creatorTag, safeTag].sort());
  assert.deepEqual(after[safeTag]?.Value, before[safeTag]?.Value);
  const none = read(anonymizeDicom(originals.get(file) as Buffer, pseudonymizer).bytes).dict;
  assert.deepEqual(Object.keys(none).filter((tag) => parseInt(tag.slice(0, 4), 16) & 1), []);
});
