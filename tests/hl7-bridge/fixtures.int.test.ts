/**
 * The shared real-world fixtures (../shared/fixtures/hl7v2: several versions, character sets,
 * custom delimiters, Z-segments, malformed ones) sent over a real MLLP socket, framed as received:
 * each gets the acknowledgement it deserves (code, MSA-2, ERR location and code), and what was
 * applied is right, French accents included in UTF-8 and in ISO 8859-1.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Encounter, Observation, Patient } from '@medplum/fhirtypes';
import { parseSearch } from '../../fhir/index.ts';
import { connectMllp, type MllpClient } from '../../hl7-bridge/index.ts';
import { parseMessageBytes } from '../../hl7-bridge/er7/index.ts';
import { pgliteDriver } from '../support/database.ts';
import { ackOf, startHl7Bridge, type Hl7TestBridge } from '../support/hl7.ts';
import { Prng } from '../../profiles/index.ts';

const DIR = new URL('../../../shared/fixtures/hl7v2/', import.meta.url);

/** What each fixture gets: ACK code ('' for none due) and, for errors, the ERR location and 0357 code. */
const EXPECTED: Record<string, { code: string; status: string; err?: RegExp }> = {
  'ack_r01_v25_fr_ans.hl7': { code: '', status: 'rejected' }, // an ACK is not acknowledged
  'adt_a01_v23_accmgr_bom.hl7': { code: 'AE', status: 'error', err: /^ERR\|PV1\^1\^3\^204&/ }, // v2.3 ERR-1; its facility is not a hospital we know
  'adt_a01_v25_fr_pam_ans_latin1_DERIVED.hl7': { code: 'AA', status: 'applied' },
  'adt_a01_v25_fr_pam_ans_utf8_zsegs.hl7': { code: 'AA', status: 'applied' },
  'adt_a01_v28_msft.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|PV1\^1\^3\^1\^4\|204\^/ },
  'adt_a02_v28_msft.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|PV1\^1\^3\^1\^4\|204\^/ },
  'adt_a03_v25_hapi_italian.hl7': { code: 'AA', status: 'applied' },
  'adt_a04_v23_redox_bom.hl7': { code: 'AE', status: 'error', err: /^ERR\|PV1\^1\^19\^101&/ },
  'adt_a08_v28_msft.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|PV1\^1\^3\^1\^4\|204\^/ },
  'adt_a11_v28_msft.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|PV1\^1\^19\^1\|204\^/ }, // nothing to cancel
  'adt_a13_v28_msft.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|PV1\^1\^19\^1\|204\^/ },
  'adt_a24_v24_hapi_custom_delimiters.hl7': { code: 'AR', status: 'rejected', err: /^ERR\^MSH~1~9~201&/ }, // answered in its own delimiters
  'adt_a28_v28_msft.hl7': { code: 'AA', status: 'applied' },
  'adt_a31_v251_dcm4che.hl7': { code: 'AA', status: 'applied' },
  'adt_a40_v251_dcm4che_merge.hl7': { code: 'AA', status: 'applied' },
  'adt_a40_v28_msft_merge.hl7': { code: '', status: 'applied' }, // MSH-15/16 NE^NE: no acknowledgement wanted
  'malformed_adt_a03_no_msh_DERIVED.hl7': { code: 'AR', status: 'rejected', err: /^ERR\|\|MSH\^1\|100\^/ },
  'malformed_adt_a04_truncated_DERIVED.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|PV1\^1\|100\^/ },
  'malformed_bar_p01_v24_hapi_bad_encoding_chars.hl7': { code: 'AR', status: 'rejected', err: /^ERR\|\|MSH\^1\^2\^1\|102\^/ },
  'malformed_fuzz_nhapi_hang1.hl7': { code: 'AR', status: 'rejected', err: /^ERR\|\|MSH\^1\^2\^1\|102\^/ },
  'malformed_orm_o01_ti_missing_msh2.hl7': { code: 'AR', status: 'rejected', err: /^ERR\|\|MSH\^1\^2\^1\|101\^/ },
  'mdm_t02_v26_fr_ans_bio_utf8.hl7': { code: 'AR', status: 'rejected', err: /\|200\^Unsupported message type\^HL70357\|/ },
  'omg_o19_v251_dcm4che_zds.hl7': { code: 'AR', status: 'rejected', err: /\|200\^/ },
  'oml_o21_v25_hapi_utf8_spanish.hl7': { code: 'AR', status: 'rejected', err: /\|200\^/ },
  'orm_o01_v23_efferent_all_escapes.hl7': { code: 'AR', status: 'rejected', err: /^ERR\|MSH\^1\^9\^200&/ },
  'orm_o01_v23_epic_ti.hl7': { code: 'AR', status: 'rejected', err: /^ERR\|MSH\^1\^9\^200&/ },
  'orm_o01_v26_msft.hl7': { code: 'AR', status: 'rejected', err: /\|200\^/ },
  'oru_r01_v24_msft.hl7': { code: 'AA', status: 'applied' },
  'oru_r01_v251_dcm4che_sr.hl7': { code: 'AA', status: 'applied' },
  'oru_r01_v251_ti_micro_utf8.hl7': { code: 'AR', status: 'rejected', err: /^ERR\|\|MSH\^1\^11\^1\|202\^/ }, // MSH-11 "N" is not in table 0103
  'siu_s12_v251_dcm4che_hex_escape.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|SCH\^1\|100\^/ }, // it has no SCH segment
  'siu_s12_v28_msft.hl7': { code: 'AE', status: 'error', err: /^ERR\|\|AIL\^1\^3\^1\^4\|204\^/ },
};

/** MSH-10 of a readable message, undefined for one the parser refuses. */
function controlIdOf(bytes: Buffer): string | undefined {
  try {
    return parseMessageBytes(bytes).controlId;
  } catch {
    return undefined;
  }
}

describe('HL7 v2 fixtures over MLLP', () => {
  let bridge: Hl7TestBridge;
  let client: MllpClient;
  before(async () => {
    bridge = await startHl7Bridge(pgliteDriver);
    client = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
  });
  after(async () => {
    await client.close();
    await bridge.close();
  });

  it('covers every fixture', () => {
    assert.deepEqual(readdirSync(DIR).filter((f) => f.endsWith('.hl7')).sort(), Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: ${expected.code || 'no ACK'}, ${expected.status}`, async () => {
      const bytes = readFileSync(new URL(file, DIR));
      const before = await bridge.db.query<{ id: string }>('SELECT max(id) AS id FROM hl7_message');
      if (expected.code) {
        const ack = ackOf((await client.send(bytes)).toString('latin1'));
        assert.equal(ack.code, expected.code, ack.err);
        const sent = controlIdOf(bytes);
        if (sent !== undefined) assert.equal(ack.controlId, sent, 'MSA-2 echoes MSH-10');
        if (expected.err) assert.match(ack.err ?? '', expected.err);
        else assert.equal(ack.err, undefined);
      } else {
        await client.sendRaw(Buffer.concat([Buffer.from([0x0b]), bytes, Buffer.from([0x1c, 0x0d])]));
        // No reply is due: wait until the message has been processed.
        for (let i = 0; i < 100; i++) {
          const rows = await bridge.db.query<{ status: string }>(`SELECT status FROM hl7_message WHERE id > $1 AND status <> 'received'`, [before[0]?.id ?? 0]);
          if (rows.length) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      const logged = await bridge.db.query<{ status: string; raw: Uint8Array }>('SELECT status, raw FROM hl7_message WHERE id > $1 ORDER BY id', [before[0]?.id ?? 0]);
      assert.equal(logged.length, 1, 'stored once');
      assert.equal(logged[0]?.status, expected.status);
      assert.ok(Buffer.from(logged[0]?.raw as Uint8Array).equals(bytes), 'stored byte for byte');
    });
  }

  it('decodes French names right in UTF-8 and in ISO 8859-1 (MSH-18)', async () => {
    const all = (await bridge.repo.search({ ...parseSearch('Patient', new URLSearchParams({ family: 'PAT-TROIS' })), count: 10 })).resources as Patient[];
    assert.ok(all.length >= 1);
    const encounters = (await bridge.repo.search({ ...parseSearch('Encounter', new URLSearchParams({ subject: `Patient/${all[0]?.id}` })), count: 10 })).resources as Encounter[];
    const attending = encounters.flatMap((e) => e.participant ?? []).map((p) => p.individual?.display);
    assert.ok(attending.length >= 1);
    for (const display of attending) assert.equal(display, 'Pierre Réault');
    // The INS-NIR (OID 1.2.250.1.213.1.4.10) is kept as an identifier with its OID system.
    assert.ok(all[0]?.identifier?.some((i) => i.system === 'urn:oid:1.2.250.1.213.1.4.10' && i.value === '279035121518989'));
  });

  it('keeps the glucose result of the v2.4 ORU with its reference range', async () => {
    const { resources } = await bridge.repo.search({ ...parseSearch('Observation', new URLSearchParams({ code: '1554-5' })), count: 10 });
    const glucose = resources[0] as Observation;
    assert.equal(glucose.valueQuantity?.value, 182);
    assert.equal(glucose.valueQuantity?.unit, 'mg/dl');
    assert.equal(glucose.interpretation?.[0]?.coding?.[0]?.code, 'H');
    assert.deepEqual([glucose.referenceRange?.[0]?.low?.value, glucose.referenceRange?.[0]?.high?.value], [70, 105]);
  });

  it('survives mutated fixtures: every one is logged and answered in HL7 terms, the server goes on', async () => {
    const rng = new Prng(2575);
    const sources = readdirSync(DIR).filter((f) => f.endsWith('.hl7')).map((f) => readFileSync(new URL(f, DIR)));
    const codes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(sources[i % sources.length] as Buffer);
      // A few bytes overwritten with delimiters, control characters or random values, or the message cut short.
      for (let k = 0; k < 1 + Math.floor(rng.next() * 8); k++) {
        const at = Math.floor(rng.next() * bytes.length);
        bytes[at] = [0x7c, 0x5e, 0x7e, 0x5c, 0x26, 0x0d, 0x0a, 0x00, 0xff][Math.floor(rng.next() * 9)] ?? Math.floor(rng.next() * 256);
      }
      const input = rng.next() < 0.2 ? bytes.subarray(0, Math.floor(rng.next() * bytes.length)) : bytes;
      const result = await bridge.pipeline.receive(input, 'test');
      assert.ok(['applied', 'rejected', 'error'].includes(result.status), `message ${i}: ${result.status}`);
      if (result.ack) codes.add(ackOf(result.ack.toString('latin1')).code);
    }
    assert.ok(codes.has('AR') && codes.has('AE'), `refusals and errors both seen: ${[...codes].join(', ')}`);
    const internal = await bridge.db.query(`SELECT id FROM hl7_message WHERE error LIKE '%internal error%'`);
    assert.equal(internal.length, 0, 'no mutation reached an internal error (AE 207): each is refused or answered for what it is');
    const after = ackOf(await client.send(Buffer.from(readFileSync(new URL('adt_a28_v28_msft.hl7', DIR)).toString('latin1').replace('MSG00001', 'AFTER-FUZZ'), 'latin1')));
    assert.deepEqual([after.code, after.controlId], ['AA', 'AFTER-FUZZ']);
  });
});

