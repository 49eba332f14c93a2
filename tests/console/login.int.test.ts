// Signing in to the console against a real OpenLDAP, in Chromium, with `passerelle serve`
// requiring authentication: a wrong password is refused, a clinician sees the operating rooms
// (the live stream authenticated by the token too), a SAMU dispatcher sees only dispatch and talks
// with the hospital's clinician through patient-transfer Communications, and reaches no other.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { demoRegion } from '../../profiles/index.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';
import { startSlapd, type Slapd } from '../support/slapd.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-login-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('console: signing in, in Chromium', () => {
  const hospital = demoRegion({ hospitals: 1 }).hospitals[0];
  let slapd: Slapd;
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  const signIn = async (username: string, password: string): Promise<void> => {
    await page.fill('.login input[name="username"]', username);
    await page.fill('.login input[name="password"]', password);
    await page.click('.login button[type="submit"]');
  };

  before(async () => {
    seedDemo(dataDir);
    slapd = await startSlapd({
      users: [
        { uid: 'alice', password: 'alice-pw', cn: 'Alice Martin', groups: ['clinicians'] },
        { uid: 'samu', password: 'samu-pw', cn: 'Régulation SAMU 33', groups: ['regulation'] },
      ],
    });
    writeFileSync(join(dataDir, 'roles.json'), JSON.stringify({ clinicians: 'clinician', regulation: 'samu-dispatch' }));
    server = await startServe({
      DATA_DIR: dataDir, LDAP_URL: slapd.url, LDAP_BIND_DN: slapd.bindDN, LDAP_BIND_CREDENTIALS: slapd.bindPassword, LDAP_SEARCH_BASE: slapd.searchBase,
      JWT_SECRET: 'a-console-test-secret-of-32-chars!', AUTH_ROLE_MAP: join(dataDir, 'roles.json'),
    });
    browser = await launchChromium();
    ({ page, errors } = await consolePage(browser));
  });
  after(async () => {
    await browser?.close();
    if (server) assert.equal(await stopServe(server), 0);
    await slapd?.stop();
    // The API's 401 before signing in is expected; no script error is.
    assert.deepEqual(errors, [], 'no script error in the page');
  });

  it('asks for a login and refuses a wrong password', async () => {
    await page.goto(`${server.base}/console/?lang=fr`);
    await page.locator('.login').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('nav').count(), 0, 'nothing is shown before signing in');
    await signIn('alice', 'not-her-password');
    await page.locator('.login [role="alert"]', { hasText: 'Connexion refusée' }).waitFor({ timeout: 5000 });
    await screenshot(page, 'console-login');
  });

  it('shows a clinician the operating rooms, live through the authenticated stream', async () => {
    await signIn('alice', 'alice-pw');
    await page.locator('#rooms-title .live').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.room').count(), hospital?.operatingRooms.length);
    assert.deepEqual(await page.locator('nav a').allTextContents(), ['Blocs opératoires', 'Régulation']);
    assert.match((await page.locator('.user').textContent()) ?? '', /^alice /, 'who is signed in');
  });

  it('shows a SAMU dispatcher dispatch only, even when asked for the operating rooms', async () => {
    await page.click('.user button');
    await page.locator('.login').waitFor({ timeout: 5000 });
    await signIn('samu', 'samu-pw');
    await page.locator('.dispatch .live').waitFor({ timeout: 10_000 });
    assert.deepEqual(await page.locator('nav a').allTextContents(), ['Régulation']);
    await page.locator(`[data-hospital="${hospital?.organization.id}"]`).waitFor({ timeout: 5000 });
    // The role may not read CodeSystems: the specialties are the console's own.
    assert.ok((await page.locator('select[name="specialty"] option').allTextContents()).includes('Réanimation'));
    await page.goto(`${server.base}/console/?lang=fr#/rooms`);
    await page.locator('.dispatch').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.rooms').count(), 0);
    await screenshot(page, 'console-dispatcher');
  });

  it("lets the SAMU dispatcher and the hospital's clinician talk about a patient on the way, and nothing more", async () => {
    await page.goto(`${server.base}/console/?lang=fr#/dispatch`);
    await page.locator(`[data-hospital="${hospital?.organization.id}"] button`).click();
    await page.fill('.conversation input[name="about"]', 'femme 45 ans, polytraumatisée');
    await page.fill('.conversation textarea[name="text"]', 'Arrivée dans 25 minutes, déchocage demandé.');
    await page.click('.conversation button[type="submit"]');
    await page.locator('.messages li.mine', { hasText: 'déchocage demandé' }).waitFor({ timeout: 5000 });

    // The clinician, in a tab of their own, on the hospital's side.
    const opened = await consolePage(browser);
    const ward = opened.page;
    errors.push(...opened.errors);
    await ward.goto(`${server.base}/console/?lang=fr#/hospital/${hospital?.organization.id}`);
    await ward.locator('.login').waitFor({ timeout: 10_000 });
    await ward.fill('.login input[name="username"]', 'alice');
    await ward.fill('.login input[name="password"]', 'alice-pw');
    await ward.click('.login button[type="submit"]');
    await ward.locator('.messages li.theirs', { hasText: 'déchocage demandé' }).waitFor({ timeout: 10_000 });
    await ward.fill('.conversation textarea[name="text"]', 'Salle de déchocage prête.');
    await ward.click('.conversation button[type="submit"]');
    await page.locator('.messages li.theirs', { hasText: 'Salle de déchocage prête' }).waitFor({ timeout: 5000 });

    // A Communication of another kind (a clinical one, to the same hospital) stays out of dispatch's reach.
    const token = async (user: string, password: string): Promise<string> => ((await (await fetch(`${server.base}/auth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } })).json()) as { access_token: string }).access_token;
    const [clinician, dispatcher] = [await token('alice', 'alice-pw'), await token('samu', 'samu-pw')];
    const clinical = await fetch(`${server.base}/fhir/Communication`, {
      method: 'POST', headers: { authorization: `Bearer ${clinician}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Communication', status: 'completed', recipient: [{ reference: `Organization/${hospital?.organization.id}` }], payload: [{ contentString: 'Résultats de biologie de M. X' }] }),
    });
    assert.equal(clinical.status, 201);
    const { id } = (await clinical.json()) as { id: string };
    const asDispatcher = { headers: { authorization: `Bearer ${dispatcher}`, accept: 'application/fhir+json' } };
    assert.equal((await fetch(`${server.base}/fhir/Communication/${id}`, asDispatcher)).status, 403);
    const seen = (await (await fetch(`${server.base}/fhir/Communication?recipient=Organization/${hospital?.organization.id}`, asDispatcher)).json()) as { entry?: { resource: { payload?: { contentString?: string }[] } }[] };
    assert.deepEqual(seen.entry?.map((e) => e.resource.payload?.[0]?.contentString), ['Arrivée dans 25 minutes, déchocage demandé.'], 'only the patient-transfer messages to the hospital');
    const forged = await fetch(`${server.base}/fhir/Communication`, {
      method: 'POST', headers: { ...asDispatcher.headers, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Communication', status: 'completed', recipient: [{ reference: `Organization/${hospital?.organization.id}` }], payload: [{ contentString: 'hors profil' }] }),
    });
    assert.equal(forged.status, 403, 'dispatch writes patient-transfer messages only');
    await screenshot(ward, 'console-hospital-talks-to-samu');
    await ward.close();
  });
});
