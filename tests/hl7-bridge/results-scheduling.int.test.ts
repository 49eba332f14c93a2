/**
 * ORU^R01 results become Observations (numeric with UCUM units, structured numeric, coded,
 * string), linked to the Patient and the visit's Encounter; SIU^S12 to S15 bookings of an
 * operating room become Appointments with the room, the staff and the procedure.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Appointment, Observation } from '@medplum/fhirtypes';
import { parseSearch } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';
import { ackOf, adt, startHl7Bridge, type Hl7TestBridge } from '../support/hl7.ts';

const msh = (type: string, id: string, version = '2.5.1'): string => `MSH|^~\\&|LAB|HOSP|PASSERELLE|HOSP|20260302101500||${type}|${id}|P|${version}|||||FRA|UNICODE UTF-8`;
const pid = 'PID|1||R001^^^HOSP&1.2.250.1.999.1&ISO^PI||Dupont^Amélie||19800101|F';

for (const driver of testDrivers()) {
  describe(`HL7 v2 results and scheduling (${driver.name})`, () => {
    let bridge: Hl7TestBridge;
    const receive = async (segments: string[]) => bridge.pipeline.receive(Buffer.from(segments.join('\r') + '\r', 'utf8'), 'test');
    const observations = async (): Promise<Observation[]> =>
      (await bridge.repo.search({ ...parseSearch('Observation', new URLSearchParams({ 'subject:Patient.identifier': 'urn:oid:1.2.250.1.999.1|R001' })), count: 100 })).resources as Observation[];

    before(async () => {
      bridge = await startHl7Bridge(driver);
    });
    after(() => bridge.close());

    it('maps OBX values by type, with UCUM units, ranges, interpretation and the visit', async () => {
      const admit = await bridge.pipeline.receive(Buffer.from(adt({ finess: bridge.finess, controlId: 'ADM-R', event: 'A01', mrn: 'R001', visit: 'VR1' })), 'test');
      assert.equal(admit.status, 'applied');
      const result = await receive([
        msh('ORU^R01^ORU_R01', 'LAB-1'),
        pid,
        'PV1|1|I|||||||||||||||||VR1^^^HOSP&1.2.250.1.999.1&ISO^VN',
        'OBR|1|PLAC1|FILL1|24331-1^Lipid panel^LN|||20260302080000',
        'OBX|1|NM|2093-3^Cholesterol^LN||5.2|mmol/L^millimole per liter^UCUM|3.5-5.0|H|||F|||20260302081000',
        'OBX|2|SN|2085-9^HDL^LN||>^1.2|mmol/L^^UCUM||N|||P',
        'OBX|3|CWE|883-9^ABO group^LN||A^Group A^L||||||F',
        'OBX|4|ST|8251-1^Service comment^LN||Échantillon hémolysé||||||C',
        'OBX|5|ED|11502-2^Report^LN||^application^pdf^Base64^JVBERi0=||||||F',
      ]);
      assert.equal(result.status, 'applied', ackOf(result.ack).err);
      const found = await observations();
      assert.equal(found.length, 4, 'one Observation per OBX of a mapped type (the ED document is not one)');
      const byCode = (code: string): Observation => found.find((o) => o.code.coding?.[0]?.code === code) as Observation;
      const cholesterol = byCode('2093-3');
      assert.deepEqual(cholesterol.valueQuantity, { value: 5.2, unit: 'millimole per liter', system: 'http://unitsofmeasure.org', code: 'mmol/L' });
      assert.deepEqual(cholesterol.referenceRange?.[0]?.low?.value, 3.5);
      assert.deepEqual(cholesterol.interpretation?.[0]?.coding?.[0]?.code, 'H');
      assert.equal(cholesterol.status, 'final');
      assert.equal(cholesterol.effectiveDateTime, '2026-03-02T08:10:00+00:00');
      assert.equal(cholesterol.code.coding?.[0]?.system, 'http://loinc.org');
      assert.match(cholesterol.encounter?.reference ?? '', /^Encounter\/enc-/);
      assert.deepEqual(byCode('2085-9').valueQuantity, { value: 1.2, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L', comparator: '>' });
      assert.equal(byCode('2085-9').status, 'preliminary');
      assert.equal(byCode('2085-9').effectiveDateTime, '2026-03-02T08:00:00+00:00', 'OBR-7 when OBX-14 is empty');
      assert.equal(byCode('883-9').valueCodeableConcept?.coding?.[0]?.code, 'A');
      assert.equal(byCode('8251-1').valueString, 'Échantillon hémolysé');
      assert.equal(byCode('8251-1').status, 'corrected');
    });

    it('overwrites an observation when its correction arrives (same order and code)', async () => {
      const correction = await receive([
        msh('ORU^R01^ORU_R01', 'LAB-2'), pid,
        'OBR|1|PLAC1|FILL1|24331-1^Lipid panel^LN|||20260302080000',
        'OBX|1|NM|2093-3^Cholesterol^LN||4.9|mmol/L^^UCUM|3.5-5.0|N|||C|||20260302081000',
      ]);
      assert.equal(correction.status, 'applied');
      const cholesterol = (await observations()).filter((o) => o.code.coding?.[0]?.code === '2093-3');
      assert.equal(cholesterol.length, 1);
      assert.equal(cholesterol[0]?.valueQuantity?.value, 4.9);
      assert.equal(cholesterol[0]?.status, 'corrected');
    });

    it('answers AE 102 for a numeric value that is not a number, at OBX-5', async () => {
      const result = await receive([msh('ORU^R01^ORU_R01', 'LAB-3'), pid, 'OBR|1||F2|x^y^LN', 'OBX|1|NM|2093-3^Cholesterol^LN||high|mmol/L^^UCUM']);
      assert.equal(result.status, 'error');
      assert.match(ackOf(result.ack).err ?? '', /^ERR\|\|OBX\^1\^5\^1\|102\^Data type error\^HL70357\|E\|/);
    });

    it('books, reschedules and cancels an operating room (SIU S12, S13, S15)', async () => {
      const room = bridge.hospital.operatingRooms[0]?.id as string;
      const roomCode = room.split('-').at(-1) as string;
      const booking = (event: string, id: string, start: string) => [
        msh(`SIU^${event}^SIU_S12`, id),
        'SCH|PL100^EHR|FI200^OR||||SURG^Surgery^L|ROUTINE^Routine',
        pid,
        'RGS|1|A',
        `AIS|1|A|0JB30ZZ^Appendectomy^ICD10PCS|${start}|||90|min`,
        `AIL|1|A|^${roomCode}^^HOSP&${bridge.finess}&M`,
        'AIP|1|A|4455^Durand^Claire^^^Dr|SURG^Surgeon^L',
        'AIG|1|A|ROBOT^Surgical robot^L',
      ];
      assert.equal((await receive(booking('S12', 'SIU-1', '20260310080000'))).status, 'applied');
      const find = async (): Promise<Appointment[]> =>
        (await bridge.repo.search({ ...parseSearch('Appointment', new URLSearchParams({ location: `Location/${room}` })), count: 10 })).resources as Appointment[];
      let [appointment] = await find();
      assert.ok(appointment);
      assert.equal(appointment.status, 'booked');
      assert.equal(appointment.start, '2026-03-10T08:00:00.000Z');
      assert.equal(appointment.end, '2026-03-10T09:30:00.000Z');
      assert.equal(appointment.minutesDuration, 90);
      assert.equal(appointment.serviceType?.[0]?.coding?.[0]?.display, 'Appendectomy');
      assert.deepEqual(appointment.participant.map((p) => p.actor?.reference ?? p.actor?.display), [
        `Patient/${appointment.participant[0]?.actor?.reference?.split('/')[1]}`, `Location/${room}`, 'Dr Claire Durand', 'Surgical robot',
      ]);
      assert.equal((await receive(booking('S13', 'SIU-2', '20260311140000'))).status, 'applied');
      [appointment] = await find();
      assert.equal(appointment?.start, '2026-03-11T14:00:00.000Z', 'the same Appointment, moved');
      assert.equal((await receive(booking('S15', 'SIU-3', '20260311140000'))).status, 'applied');
      const all = await find();
      assert.equal(all.length, 1);
      assert.equal(all[0]?.status, 'cancelled');
    });
  });
}
