import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.mllpPort, 2575);
    assert.equal(config.igtlPort, 18944);
    assert.match(config.dataDir, /\/data$/);
    assert.equal(config.databaseUrl, undefined);
  });

  it('refuses a non-loopback address without authentication', () => {
    assert.throws(() => loadConfig({ HOST: '0.0.0.0' }), ConfigError);
    assert.equal(loadConfig({ HOST: '0.0.0.0', LDAP_URL: 'ldap://dir.example' }).host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: 'localhost' }).host, 'localhost');
  });

  it('names the variable when a value is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT must be an integer/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  });
});
