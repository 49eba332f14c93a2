/**
 * AuditEvents built from access records: BALP's shape for each channel (codes, action, agents
 * and their direction, entities), valid R4 by the repository's own validation, and no secret in
 * them even when the request carried one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry } from '../../fhir/index.ts';
import { validate } from '../../fhir/validation.ts';
import { auditEvent, PRINCIPAL_SYSTEM, redact, ROLE_SYSTEM, type AccessRecord } from '../../auth/audit-event.ts';
import type { Principal } from '../../auth/principal.ts';

loadR4Definitions();
const registry = new ProfileRegistry();

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const at = new Date('2026-05-01T08:30:00.123Z');
const alice: Principal = { id: 'uid=alice,ou=people,dc=chu,dc=fr', name: 'alice', method: 'kerberos', groups: ['cn=urgentistes,ou=groups,dc=chu,dc=fr'], roles: ['clinician', 'admin'] };
const source = { name: 'Passerelle', site: 'chu.example', url: 'https://passerelle.chu.example/fhir' };

function build(record: Partial<AccessRecord>): AuditEvent {
  const event = auditEvent({ principal: alice, address: '10.1.2.3', channel: 'fhir', interaction: 'read', outcome: 'success', at, ...record }, source);
  validate(event, registry); // throws an OperationOutcome error when not valid R4
  return event;
}

const codes = (event: AuditEvent) => ({
  type: `${event.type.system}|${event.type.code}`,
  subtype: event.subtype?.map((c) => `${c.system}|${c.code}`),
  action: event.action,
  outcome: event.outcome,
});
const agentTypes = (event: AuditEvent) => event.agent.map((a) => `${a.type?.coding?.[0]?.code}:${a.requestor}`);

describe('AuditEvent from an access record', () => {
  it('a FHIR read: rest/read, R, the user as recipient, data flowing from server to client', () => {
    const event = build({ resourceType: 'Observation', id: 'obs-1', patient: 'p-1', requestId: 'req-42' });
    assert.deepEqual(codes(event), { type: 'http://terminology.hl7.org/CodeSystem/audit-event-type|rest', subtype: ['http://hl7.org/fhir/restful-interaction|read'], action: 'R', outcome: '0' });
    assert.equal(event.recorded, '2026-05-01T08:30:00.123Z');
    assert.equal(event.outcomeDesc, 'Success');
    const [user, client, server] = event.agent;
    assert.deepEqual(user?.who, { identifier: { system: PRINCIPAL_SYSTEM, value: alice.id }, display: 'alice' });
    assert.equal(user?.name, 'alice');
    assert.equal(user?.requestor, true);
    assert.equal(user?.type?.coding?.[0]?.code, 'IRCP');
    assert.deepEqual(user?.role?.map((r) => r.coding?.[0]), [{ system: ROLE_SYSTEM, code: 'clinician' }, { system: ROLE_SYSTEM, code: 'admin' }]);
    assert.equal(user?.network, undefined, 'users are not network nodes');
    assert.deepEqual(client?.type?.coding?.[0], { system: DCM, code: '110152', display: 'Destination Role ID' });
    assert.deepEqual(client?.network, { address: '10.1.2.3', type: '2' });
    assert.equal(client?.requestor, false);
    assert.deepEqual(server?.type?.coding?.[0], { system: DCM, code: '110153', display: 'Source Role ID' });
    assert.deepEqual(server?.network, { address: 'https://passerelle.chu.example/fhir', type: '5' });
    assert.deepEqual(event.source, { site: 'chu.example', observer: { display: 'Passerelle' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] });
    assert.deepEqual(
      event.entity?.map((e) => [e.what, e.type?.code, e.role?.code]),
      [
        [{ reference: 'Observation/obs-1' }, '2', '4'],
        [{ reference: 'Patient/p-1' }, '1', '1'],
        [{ identifier: { value: 'req-42' } }, 'XrequestId', undefined],
      ],
    );
  });

  it('a FHIR search: search-type, E, the raw query in base64, the client as source', () => {
    const query = 'GET /fhir/Observation?subject=Patient/p-1&code=http://loinc.org|8867-4';
    const event = build({ interaction: 'search', resourceType: 'Observation', query, patient: 'Patient/p-1' });
    assert.deepEqual(codes(event).subtype, ['http://hl7.org/fhir/restful-interaction|search-type']);
    assert.equal(event.action, 'E');
    assert.deepEqual(agentTypes(event), ['IRCP:true', '110153:false', '110152:false']);
    const queryEntity = event.entity?.find((e) => e.role?.code === '24');
    assert.equal(Buffer.from(queryEntity?.query ?? '', 'base64').toString('utf8'), query);
    assert.equal(queryEntity?.what, undefined);
    assert.ok(!event.entity?.some((e) => e.role?.code === '4'), 'no single resource for a search');
    assert.ok(event.entity?.some((e) => e.what?.reference === 'Patient/p-1'));
    assert.deepEqual(codes(build({ interaction: 'search', query: '_type=Patient' })).subtype, ['http://hl7.org/fhir/restful-interaction|search-system']);
  });

  it('writes: C, U, D with the user as author', () => {
    const create = build({ interaction: 'create', resourceType: 'Patient', id: 'new-1' });
    assert.equal(create.action, 'C');
    assert.deepEqual(agentTypes(create), ['AUT:true', '110153:false', '110152:false']);
    assert.equal(build({ interaction: 'update', resourceType: 'Patient', id: 'p' }).action, 'U');
    assert.equal(build({ interaction: 'patch', resourceType: 'Patient', id: 'p' }).action, 'U');
    assert.equal(build({ interaction: 'delete', resourceType: 'Patient', id: 'p' }).action, 'D');
    const failedCreate = build({ interaction: 'create', resourceType: 'Patient', outcome: 'minor', outcomeText: 'Patient.gender: "robot" is not in the value set' });
    assert.deepEqual(failedCreate.entity?.[0]?.what, { type: 'Patient' }, 'no id yet: the type');
    assert.equal(failedCreate.outcome, '4');
    assert.match(failedCreate.outcomeDesc ?? '', /robot/);
  });

  it('history and operations are coded precisely', () => {
    assert.deepEqual(codes(build({ interaction: 'history', resourceType: 'Patient', id: 'p' })).subtype, ['http://hl7.org/fhir/restful-interaction|history-instance']);
    assert.deepEqual(codes(build({ interaction: 'history', resourceType: 'Patient' })).subtype, ['http://hl7.org/fhir/restful-interaction|history-type']);
    assert.equal(build({ interaction: 'history' }).action, 'R');
    const op = build({ interaction: 'operation', operation: 'find-available-beds', resourceType: 'Location', query: 'specialty=cardiology&near=48.85|2.35|50|km' });
    assert.deepEqual(codes(op).subtype, ['http://hl7.org/fhir/restful-interaction|operation', 'https://passerelle.health/fhir/CodeSystem/audit-interaction|$find-available-beds']);
    assert.equal(op.action, 'E');
  });

  it('DICOMweb: DICOM event ids, the study by its UID', () => {
    const studyUid = '1.2.840.113619.2.55.3.604688119';
    const retrieve = build({ channel: 'dicomweb', interaction: 'retrieve', studyUid, patient: 'p-1' });
    assert.deepEqual(codes(retrieve), { type: `${DCM}|110104`, subtype: ['https://passerelle.health/fhir/CodeSystem/audit-interaction|dicomweb-retrieve'], action: 'R', outcome: '0' });
    assert.equal(retrieve.subtype?.[0]?.display, 'WADO-RS');
    assert.deepEqual(retrieve.entity?.[0], {
      what: { identifier: { system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` } },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '3', display: 'Report' },
    });
    assert.deepEqual([codes(build({ channel: 'dicomweb', interaction: 'store', studyUid })).type, build({ channel: 'dicomweb', interaction: 'store', studyUid }).action], [`${DCM}|110104`, 'C']);
    const search = build({ channel: 'dicomweb', interaction: 'search', query: 'GET /dicomweb/studies?PatientID=123' });
    assert.deepEqual([codes(search).type, search.action], [`${DCM}|110112`, 'E']);
    const del = build({ channel: 'dicomweb', interaction: 'delete', studyUid });
    assert.deepEqual([codes(del).type, del.action], [`${DCM}|110105`, 'D']);
  });

  it('HL7 ingest, export, admin', () => {
    const feed: Principal = { id: 'client:adt-feed', name: 'adt-feed', method: 'client-credentials', groups: [], roles: ['feed'] };
    const ingest = build({ principal: feed, channel: 'hl7', interaction: 'ingest', patient: 'p-9', address: 'ehr.chu.example' });
    assert.deepEqual([codes(ingest).type, ingest.action], [`${DCM}|110107`, 'C']);
    assert.deepEqual(ingest.agent[1]?.network, { address: 'ehr.chu.example', type: '1' }, 'a host name is a machine name');
    assert.equal(ingest.agent[0]?.who?.identifier?.value, 'client:adt-feed');
    const exported = build({ channel: 'export', interaction: 'deidentified' });
    assert.deepEqual([codes(exported).type, exported.action], [`${DCM}|110106`, 'R']);
    const admin = build({ channel: 'admin', interaction: 'hl7-log-read' });
    assert.deepEqual([codes(admin).type, codes(admin).subtype], [`${DCM}|110100`, ['https://passerelle.health/fhir/CodeSystem/audit-interaction|admin-hl7-log-read']]);
  });

  it('a failed login: user authentication, the claimed name only, the client as requestor', () => {
    const event = build({ principal: undefined, attemptedUser: 'mallory', channel: 'auth', interaction: 'login', outcome: 'serious', outcomeText: 'invalid credentials' });
    assert.deepEqual(codes(event), { type: `${DCM}|110114`, subtype: [`${DCM}|110122`], action: 'E', outcome: '8' });
    assert.deepEqual(event.agent[0]?.who, { display: 'mallory' }, 'no identifier: nothing proves who it was');
    assert.equal(event.agent[0]?.requestor, true);
    assert.equal(event.agent[1]?.requestor, false);
    const anonymous = build({ principal: undefined, channel: 'fhir', interaction: 'read', resourceType: 'Patient', id: 'p', outcome: 'minor' });
    assert.deepEqual(agentTypes(anonymous), ['110152:true', '110153:false'], 'anonymous: the client machine is the requestor');
    assert.deepEqual(codes(build({ channel: 'auth', interaction: 'logout' })).subtype, [`${DCM}|110123`]);
  });

  it('is checked by a validation that does catch broken AuditEvents', () => {
    const event = build({ interaction: 'search', query: 'x' });
    assert.throws(() => validate({ ...event, outcome: '3' as never }, registry), 'outcome outside its required value set');
    assert.throws(() => validate({ ...event, agent: [{ who: { display: 'x' } } as never] }, registry), 'agent.requestor is required');
    assert.throws(() => validate({ ...event, entity: [{ name: 'n', query: 'eA==' }] }, registry), 'sev-1: a name or a query, not both');
  });

  it('maps each outcome to its code', () => {
    assert.deepEqual((['success', 'minor', 'serious', 'major'] as const).map((outcome) => build({ outcome }).outcome), ['0', '4', '8', '12']);
    assert.equal(build({ outcome: 'major' }).outcomeDesc, 'Major failure');
  });

  it('never carries tokens, passwords or Authorization values', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const event = build({
      interaction: 'search',
      resourceType: 'Patient',
      query: `GET /fhir/Patient?name=dupont&access_token=${jwt}&password=hunter2`,
      outcomeText: 'rejected Authorization: Basic YWxpY2U6aHVudGVyMg== and Bearer abc.def.ghi',
    });
    const text = JSON.stringify(event);
    for (const secret of [jwt, 'hunter2', 'YWxpY2U6aHVudGVyMg==', 'abc.def.ghi']) {
      assert.ok(!text.includes(secret), secret);
      assert.ok(!text.includes(Buffer.from(secret).toString('base64')), `${secret} in base64`);
    }
    const query = Buffer.from(event.entity?.find((e) => e.query)?.query ?? '', 'base64').toString('utf8');
    assert.equal(query, 'GET /fhir/Patient?name=dupont&access_token=[redacted]&password=[redacted]');
    assert.equal(redact('token in text eyJa.eyJb.sig'), 'token in text [redacted]');
  });
});
