// Kerberos single sign-on in the console, in Chromium, against a real MIT KDC and OpenLDAP: a
// browser with a ticket for the server is signed in without typing anything; after signing out it
// waits to be asked; a browser without a ticket gets the directory form (no login box of its own)
// and signs in with it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { startKdc, type Kdc } from '../support/kdc.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';
import { startSlapd, type Slapd } from '../support/slapd.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-console-sso-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** Chromium offers Negotiate only to the servers allowed; the SPN is HTTP@ the name in the URL, as typed. */
const NEGOTIATE_FLAGS = ['--auth-server-allowlist=localhost', '--disable-auth-negotiate-cname-lookup'];

describe('console: Kerberos single sign-on, in Chromium', () => {
  let kdc: Kdc;
  let slapd: Slapd;
  let server: ServeProcess;
  const browsers: Browser[] = [];
  const errors: string[][] = [];
  let base: string;

  const open = async (ccache: string): Promise<Page> => {
    const browser = await launchChromium({ env: { KRB5_CONFIG: kdc.env.KRB5_CONFIG, KRB5CCNAME: `FILE:${ccache}` }, args: NEGOTIATE_FLAGS });
    browsers.push(browser);
    const opened = await consolePage(browser);
    errors.push(opened.errors);
    // A login box of the browser's own would stall here: the console must never trigger one.
    opened.page.on('dialog', (dialog) => assert.fail(`unexpected ${dialog.type()} dialog`));
    return opened.page;
  };

  before(async () => {
    seedDemo(dataDir);
    kdc = await startKdc({ realm: 'HOPITAL.TEST', users: [{ name: 'alice', password: 'alice-pw' }], services: ['HTTP/localhost'] });
    slapd = await startSlapd({ users: [{ uid: 'alice', password: 'alice-pw', cn: 'Alice Martin', groups: ['clinicians'] }] });
    writeFileSync(join(dataDir, 'roles.json'), JSON.stringify({ clinicians: 'clinician' }));
    server = await startServe({
      DATA_DIR: dataDir, ...kdc.env, KERBEROS_SERVICE: 'HTTP@localhost',
      LDAP_URL: slapd.url, LDAP_BIND_DN: slapd.bindDN, LDAP_BIND_CREDENTIALS: slapd.bindPassword, LDAP_SEARCH_BASE: slapd.searchBase,
      JWT_SECRET: 'a-console-sso-secret-of-32-chars!!', AUTH_ROLE_MAP: join(dataDir, 'roles.json'),
    });
    // The service principal is HTTP/localhost: the browser must address the server by that name.
    base = server.base.replace('127.0.0.1', 'localhost');
  });
  after(async () => {
    for (const browser of browsers) await browser.close();
    if (server) assert.equal(await stopServe(server), 0);
    await slapd?.stop();
    await kdc?.stop();
    assert.deepEqual(errors.flat(), [], 'no script error in the pages');
  });

  it('signs a user with a ticket in without a password, and waits to be asked after signing out', async () => {
    const ccache = kdc.ccachePath('alice');
    await kdc.kinit('alice', 'alice-pw', ccache);
    const page = await open(ccache);
    await page.goto(`${base}/console/?lang=en`);
    await page.locator('#rooms-title .live').waitFor({ timeout: 15_000 });
    assert.match((await page.locator('.user').textContent()) ?? '', /^alice@HOPITAL\.TEST /, 'signed in as the ticket\'s principal');
    assert.equal(await page.locator('.login').count(), 0, 'no form was shown');
    await screenshot(page, 'console-sso');

    await page.click('.user button');
    await page.locator('.login button.sso').waitFor({ timeout: 5000 });
    assert.equal(await page.locator('.user').count(), 0, 'signed out, and not signed straight back in');
    await page.click('.login button.sso');
    await page.locator('#rooms-title .live').waitFor({ timeout: 15_000 });
    assert.match((await page.locator('.user').textContent()) ?? '', /^alice@HOPITAL\.TEST /);
  });

  it('gives a browser without a ticket the directory form, quietly, and signs in with it', async () => {
    const page = await open(kdc.ccachePath('nobody'));
    await page.goto(`${base}/console/?lang=en`);
    await page.locator('.login [role="alert"]', { hasText: 'No Kerberos ticket for this server' }).waitFor({ timeout: 15_000 });
    await page.fill('.login input[name="username"]', 'alice');
    await page.fill('.login input[name="password"]', 'alice-pw');
    await page.click('.login button[type="submit"]');
    await page.locator('#rooms-title .live').waitFor({ timeout: 15_000 });
    assert.match((await page.locator('.user').textContent()) ?? '', /^alice /, 'signed in with the directory login');
  });
});
