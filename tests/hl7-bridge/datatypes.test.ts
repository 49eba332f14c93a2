/** HL7 v2 data types to FHIR: timestamps in the sender's zone (daylight saving included), names, identifiers. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseEr7, type Er7Repetition } from '../../hl7-bridge/er7/index.ts';
import { cxIdentifier, dtDate, dtmDateTime, hdSystem, nmNumber, xpnName, xtnContact } from '../../hl7-bridge/mapping/datatypes.ts';

/** Repetition `rep` of field `n` of a segment (after a minimal MSH). */
const field = (segment: string, n: number, rep = 0): Er7Repetition =>
  parseEr7(`MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\r${segment}\r`).segments[1]?.field(n).repetitions[rep] as Er7Repetition;

describe('HL7 v2 data types', () => {
  it('reads DTM in the zone it gives, else in the configured one, across daylight saving', () => {
    assert.equal(dtmDateTime('20260301083000+0100'), '2026-03-01T08:30:00+01:00');
    assert.equal(dtmDateTime('20260115083000', 'Europe/Paris'), '2026-01-15T08:30:00+01:00');
    assert.equal(dtmDateTime('20260715083000', 'Europe/Paris'), '2026-07-15T08:30:00+02:00');
    assert.equal(dtmDateTime('20260715083000', '-0500'), '2026-07-15T08:30:00-05:00');
    assert.equal(dtmDateTime('202607150830'), '2026-07-15T08:30:00+00:00');
    assert.equal(dtmDateTime('20260715083000.1234'), '2026-07-15T08:30:00.1234+00:00');
    assert.equal(dtmDateTime('202607'), '2026-07', 'a partial date stays partial');
    assert.equal(dtmDateTime('20261315'), undefined);
    assert.equal(dtmDateTime('20260715253000'), undefined);
    assert.equal(dtmDateTime('yesterday'), undefined);
    assert.equal(dtDate('19610412'), '1961-04-12');
  });

  it('maps CX with its assigning authority as the system', () => {
    assert.deepEqual(cxIdentifier(field('PID|1||279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS', 3)), {
      value: '279035121518989', system: 'urn:oid:1.2.250.1.213.1.4.10',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'INS' }] }, assigner: { display: 'ASIP-SANTE-INS-NIR' },
    });
    assert.equal(hdSystem('CHU-X', '', ''), 'https://passerelle.health/fhir/NamingSystem/hl7v2/CHU-X');
    assert.equal(hdSystem('', 'https://ids.example/mrn', 'URI'), 'https://ids.example/mrn');
    assert.equal(cxIdentifier(field('PID|1||^^^X', 3)), undefined);
  });

  it('maps XPN and XTN', () => {
    assert.deepEqual(xpnName(field('PID|1||||Lefèvre^Hélène^Marie^^Mme^^L', 5)), { use: 'official', family: 'Lefèvre', given: ['Hélène', 'Marie'], prefix: ['Mme'] });
    assert.deepEqual(xtnContact(field('PID|1||||||||||||^NET^Internet^h.lefevre@example.fr', 13)), { value: 'h.lefevre@example.fr', system: 'email' });
    assert.deepEqual(xtnContact(field('PID|1||||||||||||0556000000^PRN^PH', 13), 'home'), { value: '0556000000', system: 'phone', use: 'home' });
  });

  it('reads NM strictly', () => {
    assert.equal(nmNumber(' 5.20 '), 5.2);
    assert.equal(nmNumber('-.5'), -0.5);
    assert.equal(nmNumber('5,2'), undefined);
    assert.equal(nmNumber('1e3'), undefined);
  });
});
