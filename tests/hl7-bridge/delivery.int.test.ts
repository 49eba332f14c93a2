/**
 * Delivery guarantees over real sockets: a third-party MLLP client (Debian's `mllp_send`, from
 * python3-hl7) is answered; many connections at once each get their ACKs; messages of one patient
 * arriving on two connections are applied in arrival order, and one still waiting is applied
 * before the next (PostgreSQL, real concurrency); a
 * message over the size limit gets an AR without blocking the connection; and when the database
 * is gone no ACK is sent at all, so the sender keeps the message and sends it again.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Encounter } from '@medplum/fhirtypes';
import { parseSearch } from '../../fhir/index.ts';
import { connectMllp } from '../../hl7-bridge/index.ts';
import { pgliteDriver, postgresDriver, testDrivers } from '../support/database.ts';
import { ackOf, adt, bedStatus, startHl7Bridge, wardCounts, type Hl7TestBridge } from '../support/hl7.ts';

const run = promisify(execFile);

for (const driver of testDrivers()) describe(`HL7 v2 delivery over MLLP (${driver.name})`, () => {
  let bridge: Hl7TestBridge;
  let dir: string;
  before(async () => {
    bridge = await startHl7Bridge(driver);
    dir = mkdtempSync(join(tmpdir(), 'passerelle-mllp-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await bridge.close();
  });

  it('answers Debian\'s mllp_send (python3-hl7), a third-party MLLP client', async () => {
    const file = join(dir, 'a01.hl7');
    // mllp_send --loose reads messages separated by blank lines, each starting with MSH|^~\&|.
    const messages = [
      adt({ finess: bridge.finess, controlId: 'PY1', event: 'A01', mrn: 'PY01', visit: 'PYV1', ward: '02', bed: '001' }),
      adt({ finess: bridge.finess, controlId: 'PY2', event: 'A08', mrn: 'PY01', visit: 'PYV1', ward: '02', bed: '001', family: 'Lefèvre-Durand' }),
    ];
    writeFileSync(file, messages.map((m) => m.replace(/\r/g, '\n')).join('\n'));
    const { stdout } = await run('timeout', ['20', 'mllp_send', '--loose', '-p', String(bridge.mllp.port), '-f', file, '127.0.0.1']);
    const acks = stdout.split(/\r|\n/).filter((line) => line.startsWith('MSA|'));
    assert.deepEqual(acks, ['MSA|AA|PY1', 'MSA|AA|PY2']);
    assert.equal(await bedStatus(bridge.repo, `bed-${bridge.finess}-02-001`), 'O');
    const { resources } = await bridge.repo.search(parseSearch('Patient', new URLSearchParams({ family: 'Lefèvre-Durand' })));
    assert.equal(resources.length, 1, 'the A08 renamed the patient, accents intact');
  });

  it('answers 8 connections at once, every message, and the counts add up', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectMllp({ host: '127.0.0.1', port: bridge.mllp.port })));
    const codes = await Promise.all(clients.map(async (client, c) => {
      const seen: string[] = [];
      for (let m = 0; m < 5; m++) {
        const id = `C${c}M${m}`;
        // Each connection admits then discharges its own patient into bed 2 or 3 of ward 01 or 02.
        const fields = { finess: bridge.finess, controlId: id, mrn: `CC${c}`, visit: `CCV${c}-${Math.floor(m / 2)}`, ward: c % 2 ? '01' : '02', bed: `00${2 + (c % 4 > 1 ? 1 : 0)}` };
        seen.push(ackOf(await client.send(Buffer.from(adt({ ...fields, event: m % 2 ? 'A03' : 'A01' })))).code);
      }
      await client.close();
      return seen;
    }));
    assert.deepEqual(codes.flat(), Array(40).fill('AA'));
    for (const ward of ['01', '02']) {
      const counts = await wardCounts(bridge.repo, `ward-${bridge.finess}-${ward}`);
      const occupied = (await bridge.repo.search(parseSearch('Location', new URLSearchParams({ partof: `Location/ward-${bridge.finess}-${ward}`, 'operational-status': 'O' })))).resources.length;
      assert.equal(counts.occupied, occupied, `ward ${ward}: the Observation counts what the beds say`);
    }
  });

  it('answers a message over the size limit with AR, and the connection goes on', async () => {
    const client = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
    const huge = adt({ finess: bridge.finess, controlId: 'BIG1', event: 'A08', mrn: 'BIG', extraSegments: [`NTE|1||${'x'.repeat(2 * 1024 * 1024)}`] });
    const refused = ackOf(await client.send(Buffer.from(huge)));
    assert.deepEqual([refused.code, refused.controlId], ['AR', 'BIG1']);
    const next = ackOf(await client.send(Buffer.from(adt({ finess: bridge.finess, controlId: 'BIG2', event: 'A28', mrn: 'BIG' }))));
    assert.equal(next.code, 'AA');
    await client.close();
  });
});

describe('HL7 v2 delivery when the database is gone (pglite)', () => {
  it('sends no ACK and closes the connection, so the sender keeps the message', async () => {
    const bridge = await startHl7Bridge(pgliteDriver);
    const client = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
    await bridge.db.close();
    await assert.rejects(client.send(Buffer.from(adt({ finess: bridge.finess, controlId: 'GONE', event: 'A28', mrn: 'G1' }))));
    await client.closed;
    await bridge.mllp.close(100);
  });
});

const postgres = postgresDriver();
if (postgres) {
  describe('HL7 v2 arrival order across connections (postgres)', () => {
    let bridge: Hl7TestBridge;
    before(async () => {
      bridge = await startHl7Bridge(postgres);
    });
    after(() => bridge.close());

    /** A second PostgreSQL session on the bridge's schema, to hold locks as a slow worker would. */
    async function otherSession(): Promise<pg.Client> {
      const schema = (await bridge.db.query<{ schema: string }>('SELECT current_schema() AS schema'))[0]?.schema as string;
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL, options: `-c search_path=${schema}` });
      await client.connect();
      return client;
    }

    /** Transfer (ward 01 to 02, the same bed number) then discharge: both beds free, the encounter finished with two completed places. */
    async function assertTransferredThenDischarged(visit: string, bed: string): Promise<void> {
      const { resources } = await bridge.repo.search(parseSearch('Encounter', new URLSearchParams({ identifier: `urn:oid:1.2.250.1.999.1|${visit}` })));
      const encounter = resources[0] as Encounter;
      assert.equal(encounter.status, 'finished');
      assert.deepEqual(encounter.location?.map((l) => [l.location.reference, l.status]), [
        [`Location/bed-${bridge.finess}-01-${bed}`, 'completed'], [`Location/bed-${bridge.finess}-02-${bed}`, 'completed'],
      ]);
      assert.equal(await bedStatus(bridge.repo, `bed-${bridge.finess}-01-${bed}`), 'U');
      assert.equal(await bedStatus(bridge.repo, `bed-${bridge.finess}-02-${bed}`), 'U');
    }

    it('applies a patient\'s messages in arrival order even when connections race', async () => {
      const admitting = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
      assert.equal(ackOf(await admitting.send(Buffer.from(adt({ finess: bridge.finess, controlId: 'ORD0', event: 'A01', mrn: 'ORD', visit: 'ORDV', ward: '01', bed: '003' })))).code, 'AA');
      await admitting.close();
      // Hold the patient's lock, as a slow transaction would, while two messages arrive on two connections.
      const holder = await otherSession();
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 1))`, ['hl7:urn:oid:1.2.250.1.999.1|ORD']);
      const first = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
      const second = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
      const waiters = async (): Promise<number> => Number((await holder.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n);
      const transfer = first.send(Buffer.from(adt({ finess: bridge.finess, controlId: 'ORD1', event: 'A02', mrn: 'ORD', visit: 'ORDV', ward: '02', bed: '003' })));
      while ((await waiters()) < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      const discharge = second.send(Buffer.from(adt({ finess: bridge.finess, controlId: 'ORD2', event: 'A03', mrn: 'ORD', visit: 'ORDV', ward: '02', bed: '003' })));
      while ((await waiters()) < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      await holder.query('COMMIT');
      await holder.end();
      assert.deepEqual([ackOf(await transfer).code, ackOf(await discharge).code], ['AA', 'AA']);
      await Promise.all([first.close(), second.close()]);
      await assertTransferredThenDischarged('ORDV', '003');
      const order = await bridge.db.query<{ control_id: string }>(`SELECT control_id FROM hl7_message WHERE control_id LIKE 'ORD%' ORDER BY id`);
      assert.deepEqual(order.map((r) => r.control_id), ['ORD0', 'ORD1', 'ORD2']);
    });

    it('applies a message still waiting (its worker slow) before the next one of the patient, whoever gets there', async () => {
      const client = await connectMllp({ host: '127.0.0.1', port: bridge.mllp.port });
      const fields = { finess: bridge.finess, mrn: 'ORW', visit: 'ORWV' };
      assert.equal(ackOf(await client.send(Buffer.from(adt({ ...fields, controlId: 'ORW0', event: 'A01', ward: '01', bed: '004' })))).code, 'AA');
      // A transfer logged but not applied yet, whose worker holds its log row (as it does while applying).
      const holder = await otherSession();
      const transfer = Buffer.from(adt({ ...fields, controlId: 'ORW1', event: 'A02', ward: '02', bed: '004' }));
      const { rows: [logged] } = await holder.query(
        `INSERT INTO hl7_message (transport, sender, control_id, message_type, content_hash, patient_key, visit_key, raw, status)
         SELECT 'mllp', sender, 'ORW1', 'ADT^A02', 'not-a-hash', patient_key, visit_key, $1, 'received' FROM hl7_message WHERE control_id = 'ORW0'
         RETURNING id`, [transfer]);
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM hl7_message WHERE id = $1 FOR UPDATE', [logged.id]);
      const discharge = client.send(Buffer.from(adt({ ...fields, controlId: 'ORW2', event: 'A03', ward: '02', bed: '004' })));
      const waiters = async (): Promise<number> => Number((await holder.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted`)).rows[0].n);
      while ((await waiters()) < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      // The worker gives up without applying it: the discharge's worker applies the transfer first.
      await holder.query('ROLLBACK');
      await holder.end();
      assert.equal(ackOf(await discharge).code, 'AA');
      await client.close();
      await assertTransferredThenDischarged('ORWV', '004');
      const applied = await bridge.db.query<{ control_id: string; status: string }>(
        `SELECT control_id, status FROM hl7_message WHERE control_id LIKE 'ORW%' ORDER BY processed_at, id`);
      assert.deepEqual(applied.map((r) => [r.control_id, r.status]), [['ORW0', 'applied'], ['ORW1', 'applied'], ['ORW2', 'applied']]);
    });
  });
}
