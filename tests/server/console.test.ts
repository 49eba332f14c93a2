// /console serves the built application, says how to build it when it is not, and caches only
// the hashed assets.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { consoleRouter } from '../../server/console.ts';

const dir = mkdtempSync(join(tmpdir(), 'console-build-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('/console', () => {
  it('answers 503 with the build command before the console is built', async () => {
    const app = express().use('/console', consoleRouter(join(dir, 'missing')));
    const response = await request(app).get('/console/');
    assert.equal(response.status, 503);
    assert.match(response.text, /npm run build:console/);
  });

  it('serves the page uncached and the hashed assets for good; an unknown asset is 404', async () => {
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Passerelle</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = express().use('/console', consoleRouter(dir));
    const page = await request(app).get('/console/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-cache');
    const asset = await request(app).get('/console/assets/index-abc123.js');
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    assert.equal((await request(app).get('/console/assets/nothing.js')).status, 404);
  });
});
