// `passerelle anonymize`, run as a process on the shared fixtures: outputs written and
// de-identified with the keys of ANON_SECRET, failures named and counted, no secret no run.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import dcmjs from 'dcmjs';
import { patientIdentity, Pseudonymizer } from '../../anonymizer/index.ts';

const SHARED = '/work/shared/fixtures';
const SECRET = 'anonymize-command-test-secret-0123456789';
const work = mkdtempSync(join(tmpdir(), 'passerelle-anonymize-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = { ANON_SECRET: SECRET }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'server/main.ts', 'anonymize', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', DATA_DIR: join(work, 'data'), ...env },
  });
}

describe('passerelle anonymize', () => {
  it('refuses to run without ANON_SECRET, and explains its usage', () => {
    const noSecret = run(['dicom', `${SHARED}/dicom`, join(work, 'never')], {});
    assert.equal(noSecret.status, 2);
    assert.match(noSecret.stderr, /ANON_SECRET must be set/);
    const usage = run(['pictures', 'a', 'b']);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /Usage: passerelle anonymize dicom\|fhir\|openehr/);
  });

  it('dicom: a directory in, a directory of de-identified Part 10 files out; a bad file is named and counted', () => {
    const input = join(work, 'dicom-in');
    mkdirSync(input);
    for (const file of ['CT_ExplVRLE_CT_small.dcm', 'MR_ImplVRLE_study1026_MR01.dcm']) copyFileSync(`${SHARED}/dicom/${file}`, join(input, file));
    writeFileSync(join(input, 'notes.txt'), 'Jean Dupont, né le 12/03/1961');
    const result = run(['dicom', input, join(work, 'dicom-out')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^notes\.txt: not a DICOM Part 10 file/m);
    assert.ok(!result.stderr.includes('Dupont'));
    assert.match(result.stdout, /2 of 3 file\(s\) de-identified/);
    const out = readFileSync(join(work, 'dicom-out', 'MR_ImplVRLE_study1026_MR01.dcm'));
    const dict = dcmjs.data.DicomMessage.readFile(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer).dict;
    assert.deepEqual(dict['00100020']?.Value, [new Pseudonymizer(SECRET).pseudonym(patientIdentity(undefined, '583295'))]);
    assert.deepEqual(dict['00120062']?.Value, ['YES']);
  });

  it('fhir: the fixtures as one set, references agreeing; openehr: a composition with --subject', () => {
    const fhirOut = join(work, 'fhir-out');
    const fhir = run(['fhir', `${SHARED}/fhir`, fhirOut]);
    assert.equal(fhir.status, 0, fhir.stderr);
    assert.equal(readdirSync(fhirOut).length, readdirSync(`${SHARED}/fhir`).length);
    const patient = JSON.parse(readFileSync(join(fhirOut, 'Patient-example.json'), 'utf8'));
    assert.equal(patient.name, undefined);
    const ehrOut = join(work, 'composition.json');
    const subject = 'urn:oid:1.2.250.1.213.1.4.8|1840512345678';
    const openehr = run(['openehr', `${SHARED}/openehr/composition_ehrb_adbm_op_consult_record.json`, ehrOut, '--subject', subject]);
    assert.equal(openehr.status, 0, openehr.stderr);
    const text = readFileSync(ehrOut, 'utf8');
    assert.ok(!text.includes('Max Mustermann') && !text.includes('XYZ Clinic'));
    assert.ok(text.includes(new Pseudonymizer(SECRET).pseudonym(subject)));
  });
});
