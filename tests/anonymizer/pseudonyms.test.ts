/**
 * Pseudonyms, date shifts and UIDs: deterministic for a secret, unrelated under another, separated
 * by purpose; dates moved with their precision and form kept; a missing or short secret refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patientIdentity, Pseudonymizer, PseudonymSecretError } from '../../anonymizer/pseudonyms.ts';
import { shiftDicomDate, shiftIsoDate } from '../../anonymizer/date-shift.ts';

const SECRET = 'a-research-secret-of-at-least-32-characters';
const OTHER = 'another-research-secret-of-32-characters!!';
const alice = patientIdentity('urn:oid:1.2.250.1.71.4.2.1', '123456789');

describe('pseudonyms', () => {
  it('gives one patient the same pseudonym, shift and UIDs for a secret, and unrelated ones under another', () => {
    const a = new Pseudonymizer(SECRET);
    const again = new Pseudonymizer(SECRET);
    const b = new Pseudonymizer(OTHER);
    assert.equal(a.pseudonym(alice), again.pseudonym(alice));
    assert.equal(a.dateShiftDays(alice), again.dateShiftDays(alice));
    assert.equal(a.uid('1.2.840.113619.2.1'), again.uid('1.2.840.113619.2.1'));
    assert.notEqual(a.pseudonym(alice), b.pseudonym(alice));
    assert.notEqual(a.uid('1.2.840.113619.2.1'), b.uid('1.2.840.113619.2.1'));
    assert.notEqual(a.pseudonym(alice), a.pseudonym(patientIdentity('urn:oid:1.2.250.1.71.4.2.1', '123456788')));
    assert.match(a.pseudonym(alice), /^[A-Z2-7]{26}$/);
  });

  it('keeps purposes apart: the pseudonym is not the hash of the same identity', () => {
    const a = new Pseudonymizer(SECRET);
    assert.ok(!a.hash(alice).toUpperCase().includes(a.pseudonym(alice)));
    assert.match(a.hash(alice), /^[0-9a-f]{64}$/);
  });

  it('makes UIDs under 2.25 of at most 64 characters, digits only', () => {
    const uid = new Pseudonymizer(SECRET).uid('1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.11');
    assert.match(uid, /^2\.25\.[1-9]\d*$/);
    assert.ok(uid.length <= 64);
  });

  it('shifts within the configured range, always into the past', () => {
    const p = new Pseudonymizer(SECRET, { minShiftDays: 10, maxShiftDays: 20 });
    for (let i = 0; i < 200; i++) {
      const shift = p.dateShiftDays(patientIdentity('s', String(i)));
      assert.ok(shift <= -10 && shift >= -20, `shift ${shift}`);
    }
    assert.throws(() => new Pseudonymizer(SECRET, { minShiftDays: 0 }), RangeError);
  });

  it('refuses to work without a secret, or with a short one', () => {
    assert.throws(() => new Pseudonymizer(undefined), PseudonymSecretError);
    assert.throws(() => new Pseudonymizer('short'), /at least 32 characters/);
  });
});

describe('date shifts', () => {
  it('moves ISO dates, dateTimes and instants by whole days, keeping time, zone and precision', () => {
    assert.equal(shiftIsoDate('1961-04-12', -30), '1961-03-13');
    assert.equal(shiftIsoDate('2024-03-01', -1), '2024-02-29');
    assert.equal(shiftIsoDate('2026-03-29T02:30:00+01:00', -7), '2026-03-22T02:30:00+01:00');
    assert.equal(shiftIsoDate('2026-12-02T10:15:30.123Z', -400), '2025-10-28T10:15:30.123Z');
    assert.equal(shiftIsoDate('2021-03', -45), '2021-01');
    assert.equal(shiftIsoDate('2021', -200), '2020');
    assert.equal(shiftIsoDate('2021', -100), '2021');
  });

  it('moves DICOM DA and DT, and refuses what is not a date', () => {
    assert.equal(shiftDicomDate('20240301', -1), '20240229');
    assert.equal(shiftDicomDate('20240301101500.000000+0100', -10), '20240220101500.000000+0100');
    assert.equal(shiftDicomDate('202403', -60), '202401');
    for (const bad of ['', 'yesterday', '20241301', '20240230', '2024-02-30', '2024T10:00']) {
      assert.equal(shiftDicomDate(bad, -1), undefined, bad);
      assert.equal(shiftIsoDate(bad, -1), undefined, bad);
    }
  });
});
