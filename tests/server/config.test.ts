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
    const ldap = { LDAP_URL: 'ldap://dir.example', LDAP_BIND_DN: 'cn=passerelle,dc=example', LDAP_BIND_CREDENTIALS: 'x', LDAP_SEARCH_BASE: 'dc=example', JWT_SECRET: 's'.repeat(32) };
    assert.equal(loadConfig({ HOST: '0.0.0.0', ...ldap }).host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: 'localhost' }).host, 'localhost');
  });

  it('reads the authentication settings, and says what is missing', () => {
    assert.equal(loadConfig({}).auth, undefined);
    assert.throws(() => loadConfig({ LDAP_URL: 'ldap://dir.example' }), /JWT_SECRET/);
    assert.throws(() => loadConfig({ LDAP_URL: 'ldap://dir.example', JWT_SECRET: 's'.repeat(32) }), /LDAP_BIND_DN is required/);
    assert.throws(() => loadConfig({ KERBEROS_SERVICE: 'HTTP@passerelle', JWT_SECRET: 's'.repeat(32) }), /KRB5_KTNAME/);
    const auth = loadConfig({ JWT_SECRET: 's'.repeat(32), TOKEN_LIFETIME_SECONDS: '600', AUTH_ROLE_MAP: '/etc/passerelle/roles.json' }).auth;
    assert.deepEqual([auth?.ldap, auth?.jwt.lifetimeSeconds, auth?.roleMapFile, auth?.failures.perUser], [undefined, 600, '/etc/passerelle/roles.json', 5]);
  });

  it('names the variable when a value is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT must be an integer/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  });

  it('reads the HL7 v2 bridge settings and refuses wrong ones', () => {
    const defaults = loadConfig({ HL7_TIME_ZONE: 'Europe/Paris' }).hl7;
    assert.deepEqual({ ...defaults, tls: defaults.tls ?? null }, {
      maxMessageBytes: 16 * 1024 * 1024, idleTimeoutSeconds: 600, tls: null, unknownLocations: 'create', releasedBedStatus: 'U', timeZone: 'Europe/Paris', allowedPeers: undefined,
    });
    const peers = loadConfig({ MLLP_ALLOWED_PEERS: '10.1.2.3, 192.168.0.0/16, ::1' }).hl7.allowedPeers;
    assert.deepEqual([peers?.check('10.1.2.3'), peers?.check('192.168.44.5'), peers?.check('10.1.2.4'), peers?.check('::1', 'ipv6')], [true, true, false, true]);
    assert.throws(() => loadConfig({ MLLP_ALLOWED_PEERS: 'ehr.chu.example' }), /MLLP_ALLOWED_PEERS: "ehr.chu.example"/);
    const set = loadConfig({ HL7_UNKNOWN_LOCATIONS: 'reject', HL7_RELEASED_BED_STATUS: 'H', MLLP_TLS_CERT: 'c.pem', MLLP_TLS_KEY: 'k.pem', MLLP_TLS_CA: 'ca.pem', HL7_TIME_ZONE: '+0100' }).hl7;
    assert.deepEqual([set.unknownLocations, set.releasedBedStatus, set.tls, set.timeZone], ['reject', 'H', { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem' }, '+0100']);
    assert.throws(() => loadConfig({ HL7_RELEASED_BED_STATUS: 'O' }), /HL7_RELEASED_BED_STATUS must be one of U, H/);
    assert.throws(() => loadConfig({ MLLP_TLS_CERT: 'c.pem' }), /MLLP_TLS_CERT and MLLP_TLS_KEY go together/);
    assert.throws(() => loadConfig({ HL7_TIME_ZONE: 'Mars/Olympus' }), /HL7_TIME_ZONE/);
  });
});
