// The console in a real headless Firefox (Debian's firefox-esr, over WebDriver BiDi) at 1366x768,
// against `passerelle serve` on the demo dataset: the operating rooms are listed and kept live, a
// tool moves in the room's 3D view (WebGL) as its transforms stream in, and dispatch maps the
// hospital and shows an HL7 A01 admission as one free bed fewer. The Chromium tests cover each
// view in depth; this one proves the same pages work in the other engine.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectMllp } from '../../hl7-bridge/index.ts';
import { encodeMessage, timestampFromMillis, type Matrix34 } from '../../igtlink/index.ts';
import { BED_STATUS, demoRegion } from '../../profiles/index.ts';
import { launchFirefox, type FirefoxPage } from '../support/firefox.ts';
import { ackOf, adt } from '../support/hl7.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-firefox-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('console in Firefox', () => {
  const hospital = demoRegion({ hospitals: 1 }).hospitals[0];
  const room = hospital?.operatingRooms[0];
  const freeBeds = hospital?.beds.filter((bed) => bed.operationalStatus?.code === BED_STATUS.unoccupied) ?? [];
  let server: ServeProcess;
  let page: FirefoxPage;

  const textOf = (selector: string): Promise<string | null> => page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`);

  before(async () => {
    seedDemo(dataDir);
    server = await startServe({ DATA_DIR: dataDir, IGTL_ROOM_MAP: `name:NAV=${room?.id}` });
    page = await launchFirefox();
  });
  after(async () => {
    await page?.close();
    if (server) assert.equal(await stopServe(server), 0);
    assert.deepEqual(page?.errors ?? [], [], 'no script error in the page');
  });

  it('lists the seeded operating rooms, live', async () => {
    await page.goto(`${server.base}/console/?lang=fr#/rooms`);
    await page.waitFor(`document.querySelector('#rooms-title .live')`, 'the rooms view is live');
    assert.equal(await page.evaluate(`document.querySelectorAll('.room').length`), hospital?.operatingRooms.length);
    assert.equal(await textOf(`[data-room="${room?.id}"] h3`), room?.name);
    const statuses = await page.evaluate<string[]>(`[...document.querySelectorAll('.device-status')].map((e) => e.textContent)`);
    assert.ok(statuses.length > 0 && statuses.every((text) => /en service|hors service/.test(text)), 'every status is written out');
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= 1366'), true, 'nothing wider than the screen');
    await page.screenshot('console-firefox-rooms');
  });

  it('moves a tool in the 3D view as its transforms stream in', async () => {
    const transform = async (x: number, y: number, z: number): Promise<void> => {
      const socket = net.connect(server.igtlPort, '127.0.0.1');
      await once(socket, 'connect');
      socket.end(encodeMessage({ version: 2, deviceName: 'NAV-Stylus', timestamp: timestampFromMillis(Date.now()), content: { type: 'TRANSFORM', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, x, y, z] as Matrix34 } }));
      await once(socket, 'close');
    };
    await page.goto(`${server.base}/console/?lang=fr#/room/${room?.id}`);
    await page.waitFor(`document.querySelector('.room-view .live') && document.querySelector('.tool-scene canvas')`, 'the room view is live with its 3D scene');
    await transform(0, 0, 50);
    await page.waitFor(`document.querySelector('[data-tool="NAV-Stylus"] .tool-position')?.textContent.includes('0.0, 0.0, 50.0')`, 'the first pose', 3000);
    const first = await page.pixelsOf('.tool-scene canvas');
    await transform(250, 100, 150);
    await page.waitFor(`document.querySelector('[data-tool="NAV-Stylus"] .tool-position')?.textContent.includes('250.0, 100.0, 150.0')`, 'the second pose', 3000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.notDeepEqual(await page.pixelsOf('.tool-scene canvas'), first, 'the tool moved on screen');
    await page.screenshot('console-firefox-room-3d');
  });

  it('maps the hospital with its free beds and shows an HL7 admission live', async () => {
    const freeShown = `document.querySelector('[data-hospital="${hospital?.organization.id}"] .free-beds')?.textContent`;
    await page.goto(`${server.base}/console/?lang=fr#/dispatch`);
    await page.waitFor(`document.querySelector('.dispatch .live') && ${freeShown}`, 'the dispatch view is live with the hospital');
    assert.equal(await page.evaluate(freeShown), `${freeBeds.length} / ${hospital?.beds.length}`);
    assert.ok(await page.evaluate(`document.querySelectorAll('.leaflet-container .leaflet-marker-icon, .leaflet-container path.leaflet-interactive').length > 0`), 'the hospital is on the map');
    const bed = freeBeds[0]?.id?.split('-') ?? [];
    const client = await connectMllp({ host: '127.0.0.1', port: server.mllpPort });
    const ack = ackOf(await client.send(Buffer.from(adt({ finess: hospital?.organization.identifier?.[0]?.value as string, controlId: 'F1', event: 'A01', mrn: 'F001', visit: 'FV1', ward: bed.at(-2) as string, bed: bed.at(-1) as string }))));
    await client.close();
    assert.equal(ack.code, 'AA', ack.err);
    await page.waitFor(`${freeShown} === '${freeBeds.length - 1} / ${hospital?.beds.length}'`, 'one free bed fewer', 5000);
    await page.screenshot('console-firefox-dispatch');
  });
});
