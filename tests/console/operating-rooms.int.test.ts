// The console's operating rooms in a real headless Chromium against `passerelle serve` on the
// seeded demo region: the seeded rooms and their equipment are listed with status in words, and
// a STATUS sent over OpenIGTLink changes the device's status on screen within a second.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connectMllp } from '../../hl7-bridge/index.ts';
import { encodeMessage, timestampFromMillis } from '../../igtlink/index.ts';
import { demoRegion } from '../../profiles/index.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { ackOf } from '../support/hl7.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-console-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('console: operating rooms, in Chromium', () => {
  const hospital = demoRegion({ hospitals: 1 }).hospitals[0];
  const rooms = hospital?.operatingRooms ?? [];
  const room = rooms[0]?.id as string;
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  const sendStatus = async (code: number, message: string): Promise<void> => {
    const socket = net.connect(server.igtlPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.end(encodeMessage({ version: 2, deviceName: 'NAV-Tracker', timestamp: timestampFromMillis(Date.now()), content: { type: 'STATUS', code, subcode: 0n, errorName: '', message } }));
    await once(socket, 'close');
  };
  const trackerStatus = (): Promise<string | null> => page.locator(`[data-room="${room}"] .device`, { hasText: 'NAV-Tracker' }).locator('.device-status').textContent({ timeout: 5000 });

  before(async () => {
    seedDemo(dataDir);
    server = await startServe({ DATA_DIR: dataDir, IGTL_ROOM_MAP: `name:NAV=${room}` });
    browser = await launchChromium();
    ({ page, errors } = await consolePage(browser));
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await stopServe(server), 0);
    assert.deepEqual(errors, [], 'no script error in the page');
  });

  it('lists the seeded operating rooms with their equipment and status in words', async () => {
    await page.goto(`${server.base}/console/?lang=fr`);
    await page.locator('.live').waitFor({ timeout: 10_000 });
    for (const location of rooms) {
      const card = page.locator(`[data-room="${location.id}"]`);
      assert.equal(await card.locator('h3').textContent(), location.name);
      const seededDevices = hospital?.devices.filter((d) => d.location?.reference === `Location/${location.id}`) ?? [];
      assert.equal(await card.locator('.device').count(), seededDevices.length, `the equipment of ${location.id}`);
    }
    const statuses = await page.locator('.device-status').allTextContents();
    assert.ok(statuses.every((text) => /en service|hors service/.test(text)), 'every status is written out');
    await screenshot(page, 'console-operating-rooms');
  });

  it('shows a STATUS sent over OpenIGTLink on the device within a second', async () => {
    await sendStatus(1, 'ready');
    await page.locator(`[data-room="${room}"] .device`, { hasText: 'NAV-Tracker' }).waitFor({ timeout: 5000 });
    assert.match((await trackerStatus()) ?? '', /en service/);
    const sent = Date.now();
    await sendStatus(16, 'camera unplugged');
    await page.locator(`[data-room="${room}"] .device`, { hasText: 'NAV-Tracker' }).locator('[data-status="inactive"]').waitFor({ timeout: 1000 });
    assert.ok(Date.now() - sent <= 1000);
    assert.match((await trackerStatus()) ?? '', /hors service/);
    await screenshot(page, 'console-device-status');
  });

  it('shows the procedure booked over HL7 v2 (SIU^S12) as under way in its room', async () => {
    const stamp = (ms: number): string => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;
    const finess = hospital?.organization.identifier?.[0]?.value as string;
    const booking = [
      `MSH|^~\\&|EHR|HOSP|PASSERELLE|HOSP|${stamp(Date.now())}||SIU^S12^SIU_S12|OR-1|P|2.5.1|||||FRA|UNICODE UTF-8`,
      'SCH|PL100^EHR|FI200^OR||||SURG^Surgery^L|ROUTINE^Routine',
      'PID|1||R001^^^HOSP&1.2.250.1.999.1&ISO^PI||Dupont^Amélie||19800101|F',
      'RGS|1|A',
      `AIS|1|A|0DTJ4ZZ^Appendectomy^ICD10PCS|${stamp(Date.now() - 30 * 60_000)}|||120|min`,
      `AIL|1|A|^${room.split('-').at(-1)}^^HOSP&${finess}&M`,
    ].join('\r') + '\r';
    const client = await connectMllp({ host: '127.0.0.1', port: server.mllpPort });
    const ack = ackOf(await client.send(Buffer.from(booking)));
    await client.close();
    assert.equal(ack.code, 'AA', ack.err);
    const line = page.locator(`[data-room="${room}"] .procedure`);
    await line.filter({ hasText: 'En cours: Appendectomy' }).waitFor({ timeout: 3000 });
    assert.ok(!(await line.textContent())?.includes('Amélie'), 'no patient name on the supervision screen');
  });

  it('shows a FHIR Procedure started in the room as under way, before the booking', async () => {
    const started = new Date(Date.now() - 10 * 60_000).toISOString();
    const created = await fetch(`${server.base}/fhir/Procedure`, {
      method: 'POST', headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Procedure', status: 'in-progress', subject: { display: 'patient en salle' }, code: { text: 'Cholécystectomie cœlioscopique' }, performedPeriod: { start: started }, location: { reference: `Location/${room}` } }),
    });
    assert.equal(created.status, 201);
    const line = page.locator(`[data-room="${room}"] .procedure`);
    await line.filter({ hasText: 'En cours: Cholécystectomie cœlioscopique' }).waitFor({ timeout: 3000 });
    const { id } = (await created.json()) as { id: string };
    const done = await fetch(`${server.base}/fhir/Procedure/${id}`, {
      method: 'PUT', headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Procedure', id, status: 'completed', subject: { display: 'patient en salle' }, code: { text: 'Cholécystectomie cœlioscopique' }, performedPeriod: { start: started, end: new Date().toISOString() }, location: { reference: `Location/${room}` } }),
    });
    assert.equal(done.status, 200);
    await line.filter({ hasText: 'En cours: Appendectomy' }).waitFor({ timeout: 3000 });
  });

  it('speaks English when asked', async () => {
    await page.goto(`${server.base}/console/?lang=en`);
    await page.locator('.live').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('h2#rooms-title').evaluate((h) => h.firstChild?.textContent?.trim()), 'Operating rooms');
  });
});
