// The console's dispatch view in a real headless Chromium against `passerelle serve` on the
// seeded demo region: the search through $find-available-beds lists and maps the hospital with
// its free beds, and an HL7 A01 admitting a patient into a free bed lowers the count on screen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connectMllp } from '../../hl7-bridge/index.ts';
import { BED_STATUS, demoRegion } from '../../profiles/index.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { ackOf, adt } from '../support/hl7.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-dispatch-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('console: dispatch, in Chromium', () => {
  const hospital = demoRegion({ hospitals: 1 }).hospitals[0];
  const finess = hospital?.organization.identifier?.[0]?.value as string;
  const freeBeds = hospital?.beds.filter((bed) => bed.operationalStatus?.code === BED_STATUS.unoccupied) ?? [];
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  const shownFreeBeds = async (): Promise<string | null> => page.locator(`[data-hospital="${hospital?.organization.id}"] .free-beds`).textContent({ timeout: 10_000 });

  before(async () => {
    seedDemo(dataDir);
    server = await startServe({ DATA_DIR: dataDir });
    browser = await launchChromium();
    ({ page, errors } = await consolePage(browser));
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await stopServe(server), 0);
    assert.deepEqual(errors, [], 'no script error in the page');
  });

  it('lists and maps the hospital with its free beds', async () => {
    await page.goto(`${server.base}/console/?lang=fr#/dispatch`);
    await page.locator('.dispatch .live').waitFor({ timeout: 10_000 });
    assert.equal(await shownFreeBeds(), `${freeBeds.length} / ${hospital?.beds.length}`);
    assert.match((await page.locator('.hospital-label').first().textContent()) ?? '', new RegExp(`${freeBeds.length} lits libres`));
    // The specialties come from the server's CodeSystem, named in French.
    assert.ok((await page.locator('select[name="specialty"] option').allTextContents()).includes('Cardiologie'));
    await screenshot(page, 'console-dispatch');
  });

  it('shows an admission sent over HL7 v2 as one free bed fewer', async () => {
    const bed = freeBeds[0]?.id?.split('-') ?? [];
    const client = await connectMllp({ host: '127.0.0.1', port: server.mllpPort });
    const ack = ackOf(await client.send(Buffer.from(adt({ finess, controlId: 'D1', event: 'A01', mrn: 'D001', visit: 'DV1', ward: bed.at(-2) as string, bed: bed.at(-1) as string }))));
    await client.close();
    assert.equal(ack.code, 'AA', ack.err);
    await page.locator(`[data-hospital="${hospital?.organization.id}"] .free-beds`, { hasText: `${freeBeds.length - 1} / ` }).waitFor({ timeout: 5000 });
    await screenshot(page, 'console-dispatch-after-admission');
  });

  it("shows the admission in the hospital's ward occupancy over the day", async () => {
    const ward = freeBeds[0]?.partOf?.reference?.replace(/^Location\//, '') as string;
    const beds = hospital?.beds.filter((b) => b.partOf?.reference === `Location/${ward}`) ?? [];
    const occupied = beds.filter((b) => b.operationalStatus?.code === BED_STATUS.occupied).length;
    const hospitalPage = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await hospitalPage.goto(`${server.base}/console/?lang=fr#/hospital/${hospital?.organization.id}`);
    const row = hospitalPage.locator(`.occupancy tr[data-ward="${ward}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await row.locator('.occupied-now').textContent(), `${occupied + 1} / ${beds.length}`);
    assert.equal(await row.locator('.occupancy-range').textContent(), `${occupied}–${occupied + 1}`, 'before and after the admission, from the history');
    assert.equal(await hospitalPage.locator('.occupancy tbody tr').count(), hospital?.wards.length);
    await screenshot(hospitalPage, 'console-hospital-occupancy');
    await hospitalPage.close();
  });

  it('searches by specialty and radius', async () => {
    // The specialty of a ward with a free bed, and that specialty's free and total beds.
    const wardOf = (bed: (typeof freeBeds)[number]) => hospital?.wards.find((w) => `Location/${w.id}` === bed.partOf?.reference);
    const specialty = wardOf(freeBeds[1] as (typeof freeBeds)[number])?.type?.[0]?.coding?.[0]?.code as string;
    const wards = new Set(hospital?.wards.filter((w) => w.type?.[0]?.coding?.[0]?.code === specialty).map((w) => `Location/${w.id}`));
    const beds = hospital?.beds.filter((b) => wards.has(b.partOf?.reference ?? '')) ?? [];
    const free = beds.filter((b) => b.operationalStatus?.code === BED_STATUS.unoccupied && b.id !== freeBeds[0]?.id).length;
    await page.selectOption('select[name="specialty"]', specialty);
    await page.click('button[type="submit"]');
    await page.locator(`[data-hospital="${hospital?.organization.id}"] .free-beds`, { hasText: `${free} / ${beds.length}` }).waitFor({ timeout: 5000 });
    // The hospital is 2.3 km from the search point: not within 1 km.
    await page.fill('input[type="number"] >> nth=2', '1');
    await page.click('button[type="submit"]');
    await page.locator('.bed-results', { hasText: 'Aucun lit libre dans ce rayon.' }).waitFor({ timeout: 5000 });
  });
});
