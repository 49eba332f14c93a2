/**
 * A real Firefox for the console's tests: Debian's `firefox-esr` on a virtual display, driven over WebDriver
 * BiDi (the W3C protocol Firefox ships, on `--remote-debugging-port`). playwright-core drives
 * only its own patched Firefox builds, or stock ones newer than the ESR (its BiDi driver sends
 * commands ESR 153 does not know), so this is the few BiDi commands the tests need: navigate,
 * evaluate, wait for a condition, screenshot, and the page's uncaught errors.
 * Missing, the tests fail with a message saying so, never skip.
 * @see https://w3c.github.io/webdriver-bidi/
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ARTIFACTS_DIR } from './browser.ts';

const FIREFOX = '/usr/bin/firefox-esr';
const XVFB = '/usr/bin/Xvfb';

/** A hospital network: nothing to fetch from Mozilla, no first-run pages. */
const PREFS = {
  'app.update.disabledForTesting': true,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'network.connectivity-service.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'remote.prefs.recommended': true,
};

export interface FirefoxPage {
  goto(url: string): Promise<void>;
  /** The value of a JavaScript expression in the page (promises awaited); it must be JSON-serialisable. */
  evaluate<T>(expression: string): Promise<T>;
  /** Resolves once `expression` is truthy in the page; rejects after `timeoutMs` with `what`. */
  waitFor(expression: string, what: string, timeoutMs?: number): Promise<void>;
  /** Saves the whole page as `<name>.png` among the test artifacts. */
  screenshot(name: string): Promise<string>;
  /** The PNG of the first element matching `selector`, as drawn on screen. */
  pixelsOf(selector: string): Promise<Buffer>;
  /** Uncaught errors raised in the page. */
  errors: string[];
  close(): Promise<void>;
}

interface BidiResult { type: string; value?: unknown }

/** BiDi's serialisation of a value back into JSON. @see https://w3c.github.io/webdriver-bidi/#data-types-protocolValue */
function fromRemote(result: BidiResult): unknown {
  switch (result.type) {
    case 'array': return (result.value as BidiResult[]).map(fromRemote);
    case 'object': return Object.fromEntries((result.value as [string, BidiResult][]).map(([key, value]) => [key, fromRemote(value)]));
    case 'undefined': case 'null': return null;
    default: return result.value;
  }
}

/**
 * A virtual X display for Firefox (Debian's xvfb): headless Firefox has no WebGL without a GPU,
 * while on an X display it draws WebGL with Mesa's software renderer, as on a thin client.
 * Xvfb picks a free display number and writes it to the fd given with -displayfd.
 */
async function startXvfb(): Promise<{ name: string; stop(): Promise<void> }> {
  if (!existsSync(XVFB)) throw new Error(`${XVFB} is missing: the console's Firefox tests draw on a virtual display (apt-get install xvfb)`);
  const xvfb = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let errors = '';
  xvfb.stderr?.on('data', (chunk: Buffer) => { errors = (errors + chunk.toString()).slice(-4000); });
  const number = await new Promise<string>((resolve, reject) => {
    let written = '';
    (xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      written += chunk.toString();
      if (written.includes('\n')) resolve(written.trim());
    });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${errors}`)));
  });
  return {
    name: `:${number}`,
    async stop() {
      if (xvfb.exitCode !== null) return;
      xvfb.kill('SIGTERM');
      await once(xvfb, 'exit');
    },
  };
}

function listeningUrl(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`firefox-esr did not start its BiDi server within 30 s: ${output()}`)), 30_000);
    const look = (): void => {
      const match = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stderr?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`firefox-esr exited with ${code}: ${output()}`));
    });
  });
}

export async function launchFirefox(viewport = { width: 1366, height: 768 }): Promise<FirefoxPage> {
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: the console's Firefox tests run in Debian's firefox-esr (apt-get install firefox-esr)`);
  const profile = mkdtempSync(join(tmpdir(), 'passerelle-firefox-'));
  writeFileSync(join(profile, 'user.js'), Object.entries(PREFS).map(([key, value]) => `user_pref(${JSON.stringify(key)}, ${JSON.stringify(value)});\n`).join(''));
  const display = await startXvfb();
  const child = spawn(FIREFOX, ['--no-remote', '--remote-debugging-port=0', '--profile', profile], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DISPLAY: display.name } });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000); });
  const url = await listeningUrl(child, () => output).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await display.stop();
    throw err;
  });

  const socket = new WebSocket(`${url}/session`);
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  const errors: string[] = [];
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number; type: string; result?: Record<string, unknown>; error?: string; message?: string; method?: string; params?: Record<string, unknown> };
    if (message.id !== undefined) {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'error') call?.reject(new Error(`${message.error}: ${message.message}`));
      else call?.resolve(message.result ?? {});
    } else if (message.method === 'log.entryAdded' && message.params?.type === 'javascript' && message.params.level === 'error') {
      errors.push(String(message.params.text));
    }
  });
  const send = (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });

  await send('session.new', { capabilities: {} });
  await send('session.subscribe', { events: ['log.entryAdded'] });
  const tree = await send('browsingContext.getTree', {}) as { contexts: { context: string }[] };
  const context = tree.contexts[0]?.context as string;
  await send('browsingContext.setViewport', { context, viewport });

  const evaluate = async <T>(expression: string): Promise<T> => {
    const answer = await send('script.evaluate', { expression, target: { context }, awaitPromise: true, resultOwnership: 'none' }) as { type: string; result?: BidiResult; exceptionDetails?: { text: string } };
    if (answer.type === 'exception') throw new Error(`in Firefox: ${answer.exceptionDetails?.text}`);
    return fromRemote(answer.result as BidiResult) as T;
  };
  return {
    errors,
    async goto(target) {
      await send('browsingContext.navigate', { context, url: target, wait: 'complete' });
    },
    evaluate,
    async waitFor(expression, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await evaluate<boolean>(`Boolean(${expression})`))) {
        if (Date.now() > deadline) throw new Error(`in Firefox, within ${timeoutMs} ms: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async screenshot(name) {
      const { data } = await send('browsingContext.captureScreenshot', { context, origin: 'document' }) as { data: string };
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      writeFileSync(path, Buffer.from(data, 'base64'));
      return path;
    },
    async pixelsOf(selector) {
      const box = await evaluate<{ x: number; y: number; width: number; height: number }>(`(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; })()`);
      const { data } = await send('browsingContext.captureScreenshot', { context, clip: { type: 'box', ...box } }) as { data: string };
      return Buffer.from(data, 'base64');
    },
    async close() {
      await send('browser.close', {}).catch(() => undefined);
      socket.close();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      await display.stop();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
