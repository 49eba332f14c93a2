// One operating room in the console, in a real headless Chromium against `passerelle serve` on
// the seeded demo region: a TRANSFORM sent over OpenIGTLink moves the tool in the 3D view (the
// canvas changes, the position is written out), an IMAGE appears as a thumbnail served by
// WADO-RS, and a STATUS enters the room's history with the device's clock.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { encodeMessage, timestampFromMillis, type IgtlContent, type Matrix34 } from '../../igtlink/index.ts';
import { demoRegion } from '../../profiles/index.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-room-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('console: one operating room, in Chromium', () => {
  const room = demoRegion({ hospitals: 1 }).hospitals[0]?.operatingRooms[0];
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  const send = async (deviceName: string, content: IgtlContent, at = Date.now()): Promise<void> => {
    const socket = net.connect(server.igtlPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.end(encodeMessage({ version: 2, deviceName, timestamp: timestampFromMillis(at), content }));
    await once(socket, 'close');
  };
  const transform = (x: number, y: number, z: number): IgtlContent => ({ type: 'TRANSFORM', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, x, y, z] as Matrix34 });
  const canvas = (): Promise<Buffer> => page.locator('.tool-scene canvas').screenshot();

  before(async () => {
    seedDemo(dataDir);
    server = await startServe({ DATA_DIR: dataDir, IGTL_ROOM_MAP: `name:NAV=${room?.id}` });
    browser = await launchChromium();
    ({ page, errors } = await consolePage(browser));
    // From the list of rooms, as a supervisor would.
    await page.goto(`${server.base}/console/?lang=fr`);
    await page.click(`[data-room="${room?.id}"] h3 a`);
    await page.locator('.room-view .live').waitFor({ timeout: 10_000 });
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await stopServe(server), 0);
    assert.deepEqual(errors, [], 'no script error in the page');
  });

  it('moves the tool in the 3D view as its transforms stream in', async () => {
    assert.equal(await page.locator('#room-title').evaluate((h) => h.firstChild?.textContent?.trim()), room?.name);
    const empty = await canvas();
    await send('NAV-Stylus', transform(0, 0, 50));
    const position = page.locator('[data-tool="NAV-Stylus"] .tool-position');
    await position.filter({ hasText: '0.0, 0.0, 50.0' }).waitFor({ timeout: 3000 });
    const first = await canvas();
    assert.notDeepEqual(first, empty, 'the tool is drawn');
    await send('NAV-Stylus', transform(250, 100, 150));
    await position.filter({ hasText: '250.0, 100.0, 150.0' }).waitFor({ timeout: 3000 });
    assert.notDeepEqual(await canvas(), first, 'the tool moved on screen');
    await screenshot(page, 'console-room-3d');
  });

  it('shows an image acquired in the room, as a thumbnail from WADO-RS', async () => {
    const pixels = Buffer.alloc(64 * 48);
    for (let i = 0; i < pixels.length; i++) pixels[i] = i % 64 * 4;
    await send('NAV-Video', {
      type: 'IMAGE', components: 1, scalarType: 3, endian: 'little', coordinate: 'RAS', size: [64, 48, 1],
      matrix: [0.5, 0, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 0], subvolumeOffset: [0, 0, 0], subvolumeSize: [64, 48, 1], pixels,
    });
    const thumbnail = page.locator('.thumbnails img').first();
    await thumbnail.waitFor({ timeout: 5000 });
    const decodedWidth = (): Promise<number> => thumbnail.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    for (let i = 0; i < 50 && (await decodedWidth()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok((await decodedWidth()) > 0, 'the thumbnail was served and decoded');
  });

  it('opens an image in the viewer and steps through the frames of a volume', async () => {
    // Three slices of 64x48, a gradient across, down, then diagonally: three frames of one instance.
    const pixels = Buffer.alloc(64 * 48 * 3);
    const gradients = [(x: number) => x * 4, (_: number, y: number) => y * 5, (x: number, y: number) => (x + y) * 2];
    gradients.forEach((value, frame) => {
      for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) pixels[frame * 64 * 48 + y * 64 + x] = value(x, y);
    });
    await send('NAV-Volume', {
      type: 'IMAGE', components: 1, scalarType: 3, endian: 'little', coordinate: 'RAS', size: [64, 48, 3],
      matrix: [0.5, 0, 0, 0, 0.5, 0, 0, 0, 2, 0, 0, 0], subvolumeOffset: [0, 0, 0], subvolumeSize: [64, 48, 3], pixels,
    });
    await page.locator('.thumbnails img').nth(1).waitFor({ timeout: 5000 });
    await page.locator('.thumbnails button').first().click();
    const viewer = page.locator('.viewer[role="dialog"]');
    await viewer.locator('.frame-of', { hasText: '1 / 3' }).waitFor({ timeout: 5000 });
    const frameImage = viewer.locator('img[data-loaded="true"]');
    await frameImage.waitFor({ timeout: 5000 });
    const shown = async (): Promise<Buffer> => frameImage.screenshot();
    for (let i = 0; i < 50 && (await frameImage.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await frameImage.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), 64, 'the frame at its own size');
    const first = await shown();
    assert.equal(await viewer.locator('.previous-frame').isDisabled(), true);
    await viewer.locator('.next-frame').click();
    await viewer.locator('.frame-of', { hasText: '2 / 3' }).waitFor({ timeout: 3000 });
    for (let i = 0; i < 50 && (await shown()).equals(first); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.notDeepEqual(await shown(), first, 'the second frame is another image');
    await page.keyboard.press('ArrowRight');
    await viewer.locator('.frame-of', { hasText: '3 / 3' }).waitFor({ timeout: 3000 });
    assert.equal(await viewer.locator('.next-frame').isDisabled(), true);
    await screenshot(page, 'console-image-viewer');
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached', timeout: 3000 });
    // A device new to the room is named in the history even when its image comes before the Device.
    await page.locator('.timeline tr[data-kind="image"]', { hasText: 'NAV-Volume:' }).waitFor({ timeout: 3000 });
  });

  it("enters a STATUS in the room's history with the device's clock and Passerelle's", async () => {
    const at = Date.UTC(2026, 11, 3, 8, 30, 15, 250);
    await send('NAV-Tracker', { type: 'STATUS', code: 1, subcode: 0n, errorName: '', message: 'Tracking' }, at);
    const entry = page.locator('.timeline tr[data-kind="status"]', { hasText: 'Tracking' }).first();
    await entry.waitFor({ timeout: 3000 });
    const [deviceClock, received] = await entry.locator('td').allTextContents();
    assert.match(deviceClock ?? '', /^\d\d:\d\d:\d\d[.,]250$/, 'a time of day to the millisecond');
    assert.equal(deviceClock, new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false }));
    assert.match(await entry.locator('td').nth(2).textContent() ?? '', /^NAV-Tracker: /, 'the device by its name');
    assert.notEqual(received, deviceClock, "Passerelle's own clock is shown beside it");
    await screenshot(page, 'console-room');
  });
});
