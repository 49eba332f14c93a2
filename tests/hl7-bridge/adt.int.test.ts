/**
 * ADT over a real MLLP socket, on both storage drivers: admissions, transfers, discharges, their
 * cancels and merges change Patients, Encounters, beds and the wards' bed-availability
 * Observations as the messages say, each message acknowledged after its commit.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Encounter, Location, Observation, Patient } from '@medplum/fhirtypes';
import { parseSearch } from '../../fhir/index.ts';
import { connectMllp, type MllpClient } from '../../hl7-bridge/index.ts';
import { testDrivers } from '../support/database.ts';
import { ackOf, adt, bedStatus, startHl7Bridge, versionCount, wardCounts, type AdtFields, type Hl7TestBridge } from '../support/hl7.ts';

for (const driver of testDrivers()) {
  describe(`HL7 v2 ADT over MLLP (${driver.name})`, () => {
    let bridge: Hl7TestBridge;
    let client: MllpClient;
    let wardA: string;
    let wardB: string;
    const bed = (ward: string, n: number): string => `bed-${bridge.finess}-${ward}-00${n}`;
    let counter = 0;
    const send = async (fields: Omit<AdtFields, 'finess' | 'controlId'> & { controlId?: string }) => {
      const controlId = fields.controlId ?? `MSG${++counter}`;
      const ack = ackOf(await client.send(Buffer.from(adt({ finess: bridge.finess, controlId, ...fields }), 'utf8')));
      return { ...ack, sentId: controlId };
    };
    const encounterOf = async (visit: string): Promise<Encounter> => {
      const { resources } = await bridge.repo.search(parseSearch('Encounter', new URLSearchParams({ identifier: `urn:oid:1.2.250.1.999.1|${visit}` })));
      assert.equal(resources.length, 1, `one Encounter for visit ${visit}`);
      return resources[0] as Encounter;
    };

    before(async () => {
      bridge = await startHl7Bridge(driver);
      client = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
      wardA = bridge.hospital.wards[0]?.id?.split('-').at(-1) as string;
      wardB = bridge.hospital.wards[1]?.id?.split('-').at(-1) as string;
    });
    after(async () => {
      await client.close();
      await bridge.close();
    });

    it('admits (A01): Patient, Encounter in its bed, bed occupied, ward count updated, AA after commit', async () => {
      const wardId = `ward-${bridge.finess}-${wardA}`;
      assert.equal((await wardCounts(bridge.repo, wardId)).occupied, 0);
      const ack = await send({ event: 'A01', mrn: 'P001', visit: 'V001', ward: wardA, bed: '001' });
      assert.equal(ack.code, 'AA');
      assert.equal(ack.controlId, ack.sentId, 'MSA-2 echoes MSH-10');
      assert.match(ack.msh, /^MSH\|\^~\\&\|PASSERELLE\|HOSP\|EHR\|HOSP\|\d{14}\+0000\|\|ACK\^A01\^ACK\|A\d+\|P\|2\.5/, 'sender and receiver swapped');
      const encounter = await encounterOf('V001');
      assert.equal(encounter.status, 'in-progress');
      assert.equal(encounter.class.code, 'IMP');
      assert.deepEqual(encounter.location?.map((l) => [l.location.reference, l.status]), [[`Location/${bed(wardA, 1)}`, 'active']]);
      assert.equal(encounter.period?.start, '2026-03-01T08:30:00+00:00');
      assert.equal(encounter.participant?.[0]?.individual?.display, 'Dr Paul Martin');
      const patient = (await bridge.repo.read('Patient', encounter.subject?.reference?.split('/')[1] as string)) as Patient;
      assert.deepEqual(patient.name?.[0], { use: 'official', family: 'Lefèvre', given: ['Hélène'] });
      assert.equal(patient.birthDate, '1961-04-12');
      assert.equal(patient.gender, 'female');
      assert.deepEqual(patient.identifier?.[0], { value: 'P001', system: 'urn:oid:1.2.250.1.999.1', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'PI' }] }, assigner: { display: 'HOSP' } });
      assert.equal(await bedStatus(bridge.repo, bed(wardA, 1)), 'O');
      assert.equal((await wardCounts(bridge.repo, wardId)).occupied, 1);
    });

    it('answers a resent message with its first ACK and applies nothing twice', async () => {
      const first = await client.send(Buffer.from(adt({ finess: bridge.finess, controlId: 'DUP1', event: 'A01', mrn: 'P002', visit: 'V002', ward: wardA, bed: '002' })));
      const patientVersions = await versionCount(bridge.repo, { resourceType: 'Observation', id: `bed-availability-ward-${bridge.finess}-${wardA}` });
      // The same message again, with a new MSH-7 timestamp as interface engines send it.
      const again = await client.send(Buffer.from(adt({ finess: bridge.finess, controlId: 'DUP1', event: 'A01', mrn: 'P002', visit: 'V002', ward: wardA, bed: '002' }).replace('|20260301083000||ADT', '|20260301090000||ADT')));
      assert.equal(again.toString(), first.toString());
      assert.equal(await versionCount(bridge.repo, { resourceType: 'Observation', id: `bed-availability-ward-${bridge.finess}-${wardA}` }), patientVersions);
      const rows = await bridge.db.query<{ duplicates: number }>(`SELECT duplicates FROM hl7_message WHERE control_id = 'DUP1'`);
      assert.deepEqual(rows.map((r) => Number(r.duplicates)), [1]);
    });

    it('transfers (A02): old location completed and its bed freed, new one active and occupied', async () => {
      const ack = await send({ event: 'A02', mrn: 'P001', visit: 'V001', ward: wardB, bed: '003', priorWard: wardA, priorBed: '001', time: '20260301120000' });
      assert.equal(ack.code, 'AA');
      const encounter = await encounterOf('V001');
      assert.deepEqual(encounter.location?.map((l) => [l.location.reference, l.status, l.period?.start, l.period?.end]), [
        [`Location/${bed(wardA, 1)}`, 'completed', '2026-03-01T08:30:00+00:00', '2026-03-01T12:00:00+00:00'],
        [`Location/${bed(wardB, 3)}`, 'active', '2026-03-01T12:00:00+00:00', undefined],
      ]);
      assert.equal(await bedStatus(bridge.repo, bed(wardA, 1)), 'U');
      assert.equal(await bedStatus(bridge.repo, bed(wardB, 3)), 'O');
      assert.equal((await wardCounts(bridge.repo, `ward-${bridge.finess}-${wardB}`)).occupied, 1);
    });

    it('cancels the transfer (A12): back in the first bed, the second freed', async () => {
      const ack = await send({ event: 'A12', mrn: 'P001', visit: 'V001', ward: wardA, bed: '001' });
      assert.equal(ack.code, 'AA');
      const encounter = await encounterOf('V001');
      assert.deepEqual(encounter.location?.map((l) => [l.location.reference, l.status]), [[`Location/${bed(wardA, 1)}`, 'active']]);
      assert.equal(await bedStatus(bridge.repo, bed(wardA, 1)), 'O');
      assert.equal(await bedStatus(bridge.repo, bed(wardB, 3)), 'U');
    });

    it('discharges (A03) and cancels the discharge (A13)', async () => {
      assert.equal((await send({ event: 'A03', mrn: 'P001', visit: 'V001', ward: wardA, bed: '001', time: '20260305100000' })).code, 'AA');
      let encounter = await encounterOf('V001');
      assert.equal(encounter.status, 'finished');
      assert.equal(encounter.period?.end, '2026-03-05T10:00:00+00:00');
      assert.equal(encounter.location?.[0]?.status, 'completed');
      assert.equal(await bedStatus(bridge.repo, bed(wardA, 1)), 'U');

      assert.equal((await send({ event: 'A13', mrn: 'P001', visit: 'V001', ward: wardA, bed: '001' })).code, 'AA');
      encounter = await encounterOf('V001');
      assert.equal(encounter.status, 'in-progress');
      assert.equal(encounter.period?.end, undefined);
      assert.equal(encounter.location?.[0]?.status, 'active');
      assert.equal(await bedStatus(bridge.repo, bed(wardA, 1)), 'O');
    });

    it('cancels an admission (A11): Encounter cancelled, its bed back to what it was', async () => {
      await bridge.repo.update({ ...(await bridge.repo.read('Location', bed(wardB, 4)) as Location), operationalStatus: { system: 'http://terminology.hl7.org/CodeSystem/v2-0116', code: 'H' } });
      assert.equal((await send({ event: 'A01', mrn: 'P003', visit: 'V003', ward: wardB, bed: '004' })).code, 'AA');
      assert.equal(await bedStatus(bridge.repo, bed(wardB, 4)), 'O');
      assert.equal((await send({ event: 'A11', mrn: 'P003', visit: 'V003', ward: wardB, bed: '004' })).code, 'AA');
      assert.equal((await encounterOf('V003')).status, 'cancelled');
      assert.equal(await bedStatus(bridge.repo, bed(wardB, 4)), 'H', 'the bed was in housekeeping before the admission');
    });

    it('creates a bed that PV1-3 names and Passerelle does not know, under its ward', async () => {
      assert.equal((await send({ event: 'A01', mrn: 'P004', visit: 'V004', ward: wardB, bed: '099' })).code, 'AA');
      const created = (await bridge.repo.read('Location', `bed-${bridge.finess}-${wardB}-099`)) as Location;
      assert.equal(created.partOf?.reference, `Location/ward-${bridge.finess}-${wardB}`);
      assert.equal(created.operationalStatus?.code, 'O');
      assert.equal((await wardCounts(bridge.repo, `ward-${bridge.finess}-${wardB}`)).total, 5);
    });

    it('merges patients (A40): references move to the survivor, the merged one is replaced-by', async () => {
      assert.equal((await send({ event: 'A01', mrn: 'OLD1', visit: 'V010', ward: wardA, bed: '003' })).code, 'AA');
      assert.equal((await send({ event: 'A28', mrn: 'NEW1' })).code, 'AA');
      const old = (await encounterOf('V010')).subject?.reference as string;
      const ack = await send({ event: 'A40', mrn: 'NEW1', mergedMrn: 'OLD1' });
      assert.equal(ack.code, 'AA');
      const encounter = await encounterOf('V010');
      assert.notEqual(encounter.subject?.reference, old);
      const survivor = (await bridge.repo.read('Patient', encounter.subject?.reference?.split('/')[1] as string)) as Patient;
      assert.equal(survivor.identifier?.[0]?.value, 'NEW1');
      assert.deepEqual(survivor.link, [{ other: { reference: old }, type: 'replaces' }]);
      const merged = (await bridge.repo.read('Patient', old.split('/')[1] as string)) as Patient;
      assert.equal(merged.active, false);
      assert.deepEqual(merged.link, [{ other: { reference: encounter.subject?.reference }, type: 'replaced-by' }]);
      const later = await send({ event: 'A08', mrn: 'OLD1', visit: 'V010' });
      assert.equal(later.code, 'AE', 'a message about the merged patient is refused');
    });

    it('answers AE with ERR for a message that parses but cannot be applied, and writes nothing', async () => {
      const before = (await bridge.db.query<{ n: string }>('SELECT count(*) AS n FROM fhir_history'))[0]?.n;
      const ack = await send({ event: 'A01', mrn: '', visit: 'V020', ward: wardA, bed: '004' });
      assert.equal(ack.code, 'AE');
      assert.match(ack.err ?? '', /^ERR\|\|PID\^1\^3\^1\|101\^Required field missing\^HL70357\|E\|/);
      const after = (await bridge.db.query<{ n: string }>('SELECT count(*) AS n FROM fhir_history'))[0]?.n;
      assert.equal(after, before);
      assert.equal(await bedStatus(bridge.repo, bed(wardA, 4)), 'U');
      const logged = await bridge.db.query<{ status: string; error: string }>(`SELECT status, error FROM hl7_message WHERE control_id = $1`, [ack.sentId]);
      assert.equal(logged[0]?.status, 'error');
      assert.match(logged[0]?.error ?? '', /PID-3/);
    });

    it('answers AR for an unsupported event or version, and for a message without MSH', async () => {
      const unsupported = await send({ event: 'A24', mrn: 'P030', visit: 'V030' });
      assert.equal(unsupported.code, 'AR');
      assert.match(unsupported.err ?? '', /\|201\^Unsupported event code\^HL70357\|/);
      const oldVersion = await send({ event: 'A01', mrn: 'P031', visit: 'V031', version: '2.2' });
      assert.equal(oldVersion.code, 'AR');
      assert.match(oldVersion.err ?? '', /ERR\|MSH\^1\^12\^203&Unsupported version id&HL70357/, 'ERR-1 (ELD) before v2.5');
      const garbage = ackOf(await client.send(Buffer.from('EVN|A01|20260301\rPID|1||X\r')));
      assert.equal(garbage.code, 'AR');
      assert.match(garbage.err ?? '', /\|100\^Segment sequence error\^HL70357\|/);
    });

    it('uses the enhanced mode when MSH-15/16 ask for it', async () => {
      // Accept acknowledgement always, application acknowledgement never: a commit ACK (CA).
      assert.equal((await send({ event: 'A08', mrn: 'P001', visit: 'V001', ackTypes: ['AL', 'NE'] })).code, 'CA');
      // Application acknowledgement on error only: a success gets the accept ACK only if asked.
      assert.equal((await send({ event: 'A08', mrn: 'P001', visit: 'V001', ackTypes: ['AL', 'ER'] })).code, 'CA');
      assert.equal((await send({ event: 'A08', mrn: '', visit: 'V001', ackTypes: ['AL', 'ER'] })).code, 'AE');
    });

    it('keeps the bed-availability Observation in the same commit as the message', async () => {
      const ward = `ward-${bridge.finess}-${wardA}`;
      const observation = (await bridge.repo.read('Observation', `bed-availability-${ward}`)) as Observation;
      const occupiedBeds = (await bridge.repo.search(parseSearch('Location', new URLSearchParams({ partof: `Location/${ward}`, 'operational-status': 'O' })))).resources.length;
      assert.ok(occupiedBeds > 0);
      const occupied = observation.component?.find((c) => c.code.coding?.some((x) => x.code === 'occupied'))?.valueQuantity?.value;
      assert.equal(occupied, occupiedBeds);
    });
  });
}
