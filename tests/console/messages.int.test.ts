// Messages between dispatch and a hospital in the console, in two real Chromium pages against
// `passerelle serve` on the demo region: what dispatch writes about a patient on the way appears
// on the hospital's screen, live, as a FHIR Communication from the region's SAMU; the hospital's
// answer comes back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Bundle, Communication } from '@medplum/fhirtypes';
import type { Browser, Page } from 'playwright-core';
import { demoRegion } from '../../profiles/index.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-messages-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('console: messages between dispatch and a hospital, in Chromium', () => {
  const region = demoRegion({ hospitals: 1 });
  const hospital = region.hospitals[0]?.organization;
  const samu = region.dispatchCentre;
  let server: ServeProcess;
  let browser: Browser;
  let dispatch: Page;
  let ward: Page;
  let pageErrors: string[][] = [];

  before(async () => {
    seedDemo(dataDir);
    server = await startServe({ DATA_DIR: dataDir });
    browser = await launchChromium();
    const pages = await Promise.all([consolePage(browser), consolePage(browser)]);
    [dispatch, ward] = pages.map((p) => p.page) as [Page, Page];
    pageErrors = pages.map((p) => p.errors);
    await ward.goto(`${server.base}/console/?lang=fr#/hospital/${hospital?.id}`);
    await ward.locator('.conversation form').waitFor({ timeout: 10_000 });
    await dispatch.goto(`${server.base}/console/?lang=fr#/dispatch`);
    await dispatch.locator(`[data-hospital="${hospital?.id}"] button`).click();
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await stopServe(server), 0);
    assert.deepEqual(pageErrors.flat(), [], 'no script error in the pages');
  });

  it("delivers dispatch's message to the hospital's screen, live, as a Communication", async () => {
    await dispatch.fill('.conversation input[name="about"]', 'homme 58 ans, douleur thoracique');
    await dispatch.fill('.conversation textarea[name="text"]', 'Arrivée estimée dans 20 minutes, USIC demandée.');
    await dispatch.click('.conversation button[type="submit"]');
    const received = ward.locator('.messages li.theirs', { hasText: 'Arrivée estimée dans 20 minutes' });
    await received.waitFor({ timeout: 3000 });
    assert.match((await received.locator('.message-meta').textContent()) ?? '', new RegExp(`${samu.name}.*homme 58 ans`));

    const bundle = (await (await fetch(`${server.base}/fhir/Communication?recipient=Organization/${hospital?.id}`)).json()) as Bundle<Communication>;
    const [communication] = (bundle.entry ?? []).map((e) => e.resource as Communication);
    assert.deepEqual(communication?.sender, { reference: `Organization/${samu.id}`, display: samu.name }, 'the seeded dispatch centre');
    assert.equal(communication?.meta?.profile?.[0], 'https://passerelle.health/fhir/StructureDefinition/patient-transfer-communication');
    assert.equal(communication?.about?.[0]?.display, 'homme 58 ans, douleur thoracique');
    assert.equal(communication?.payload?.[0]?.contentString, 'Arrivée estimée dans 20 minutes, USIC demandée.');
    await screenshot(ward, 'console-hospital-messages');
  });

  it("brings the hospital's answer back to dispatch", async () => {
    await ward.fill('.conversation textarea[name="text"]', 'Box 3 prêt, cardiologue prévenu.');
    await ward.click('.conversation button[type="submit"]');
    await dispatch.locator('.messages li.theirs', { hasText: 'Box 3 prêt' }).waitFor({ timeout: 3000 });
    assert.equal(await dispatch.locator('.messages li').count(), 2);
    await screenshot(dispatch, 'console-dispatch-messages');
  });
});
