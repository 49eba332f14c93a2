/**
 * The role map and the decisions: the shipped roles allow what the issue says and nothing more,
 * the bed-availability filter lets dispatch see only those Observations, AuditEvents stay
 * immutable for everyone, group names match by DN or cn, and a bad role file names its bad key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Communication, Observation, Patient } from '@medplum/fhirtypes';
import { BED_AVAILABILITY_CODE, hospitalOperations, PROFILE } from '../../profiles/index.ts';
import { allowsResource, can, canDicomweb, canFhir, exportMode, FHIR_INTERACTIONS, filterSearchParams, fhirAccess, NO_PERMISSIONS, resourceFilters, type Permissions } from '../../auth/permissions.ts';
import { loadRoleMap, parseRoleMap, permissionsOf, RoleMapError, rolesFor } from '../../auth/roles.ts';

const map = loadRoleMap();
const as = (...roles: string[]): Permissions => permissionsOf(roles, map);

const bedAvailability: Observation = {
  resourceType: 'Observation',
  meta: { profile: [`${PROFILE.bedAvailability}|0.1.0`] },
  status: 'final',
  code: { coding: [BED_AVAILABILITY_CODE] },
  subject: { reference: 'Location/ward-1' },
};
const heartRate: Observation = { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/p1' } };
const patient: Patient = { resourceType: 'Patient', id: 'p1' };

function tempFile(json: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'roles-')), 'roles.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}

describe('shipped roles', () => {
  it('clinician: clinical and administrative read and write, DICOMweb without delete, nothing else', () => {
    const p = as('clinician');
    for (const type of ['Patient', 'Observation', 'Encounter', 'Condition', 'ImagingStudy', 'Location']) {
      for (const interaction of ['read', 'vread', 'search', 'history', 'create', 'update', 'patch'] as const) assert.ok(canFhir(p, type, interaction), `${type} ${interaction}`);
      assert.equal(canFhir(p, type, 'delete'), false, `${type} delete`);
    }
    assert.ok(canFhir(p, 'Location', 'operation', '$find-available-beds'));
    assert.ok(canFhir(p, 'StructureDefinition', 'read'));
    assert.equal(canFhir(p, 'StructureDefinition', 'create'), false);
    assert.equal(canFhir(p, 'Subscription', 'create'), false, 'types outside the sets are not granted');
    assert.equal(canFhir(p, undefined, 'search'), false, 'system-level search needs a * grant');
    assert.deepEqual(['store', 'search', 'retrieve', 'delete'].map((a) => canDicomweb(p, a as never)), [true, true, true, false]);
    for (const capability of ['admin', 'audit:read', 'hl7:ingest', 'export:identified', 'export:deidentified'] as const) assert.equal(can(p, capability), false, capability);
    assert.equal(canFhir(p, 'Patient', 'operation', '$export'), false, '$export follows the export capabilities');
    assert.equal(allowsResource(p, 'search', heartRate), true);
  });

  it('samu-dispatch: hospitals, places, services, bed availability and its patient-transfer messages; no other patient data', () => {
    const p = as('samu-dispatch');
    for (const type of ['Organization', 'Location', 'HealthcareService']) {
      assert.ok(canFhir(p, type, 'read') && canFhir(p, type, 'search'), type);
      assert.equal(canFhir(p, type, 'update'), false, `${type} update`);
      assert.equal(canFhir(p, type, 'history'), false, `${type} history`);
    }
    assert.ok(canFhir(p, 'Location', 'operation', '$find-available-beds'));
    assert.ok(canFhir(p, 'Location', 'operation', 'find-available-beds'), 'with or without the $');
    assert.ok(canFhir(p, 'Organization', 'operation', '$bed-capacity'));
    assert.equal(canFhir(p, 'Location', 'operation', '$validate'), false, 'only the named operations');
    assert.equal(canFhir(p, 'Location', 'operation'), false, 'an unnamed operation is not a named one');
    for (const type of ['Patient', 'Encounter', 'Condition', 'ImagingStudy', 'DiagnosticReport']) assert.equal(canFhir(p, type, 'read'), false, type);
    assert.equal(canFhir(p, 'Observation', 'create'), false);
    assert.ok(canFhir(p, 'Observation', 'search'), 'searching Observations is allowed, filtered');
    assert.deepEqual(resourceFilters(p, 'Observation', 'search'), [{ type: 'Observation', profile: PROFILE.bedAvailability, code: { system: BED_AVAILABILITY_CODE.system, code: BED_AVAILABILITY_CODE.code } }]);
    assert.equal(allowsResource(p, 'read', bedAvailability), true);
    assert.equal(allowsResource(p, 'search', heartRate), false);
    assert.equal(allowsResource(p, 'search', { ...heartRate, meta: { profile: [PROFILE.bedAvailability] } }), false, 'the profile alone is not enough');
    assert.equal(allowsResource(p, 'search', { ...bedAvailability, meta: {} }), false, 'nor the code alone');
    assert.equal(allowsResource(p, 'search', patient), false, 'an _include of a Patient is refused');
    const transfer: Communication = { resourceType: 'Communication', status: 'completed', meta: { profile: [PROFILE.patientTransfer] } };
    for (const action of ['read', 'search', 'create'] as const) assert.equal(allowsResource(p, action, transfer), true, `patient-transfer messages: ${action}`);
    assert.equal(allowsResource(p, 'read', { ...transfer, meta: {} }), false, 'no other Communication');
    assert.equal(allowsResource(p, 'create', { ...transfer, meta: {} }), false, 'nor may it write one');
    assert.equal(canFhir(p, 'Communication', 'update') || canFhir(p, 'Communication', 'delete'), false, 'a message sent stays as sent');
    for (const action of ['store', 'search', 'retrieve', 'delete'] as const) assert.equal(canDicomweb(p, action), false);
    assert.equal(exportMode(p), undefined);
  });

  it('research: de-identified export only', () => {
    const p = as('research');
    assert.equal(exportMode(p), 'deidentified');
    assert.ok(canFhir(p, undefined, 'operation', '$export'));
    for (const interaction of FHIR_INTERACTIONS) assert.equal(canFhir(p, 'Patient', interaction), false, interaction);
    assert.equal(canDicomweb(p, 'retrieve'), false);
    assert.equal(can(p, 'export:identified'), false);
  });

  it('feed: ingest, DICOMweb store, create and update of what the bridges write', () => {
    const p = as('feed');
    assert.ok(can(p, 'hl7:ingest'));
    assert.ok(canDicomweb(p, 'store'));
    assert.equal(canDicomweb(p, 'retrieve'), false);
    for (const type of ['Patient', 'Encounter', 'Location', 'Observation', 'ImagingStudy']) {
      assert.ok(canFhir(p, type, 'create') && canFhir(p, type, 'update'), type);
      assert.equal(canFhir(p, type, 'read'), false, `${type} read`);
      assert.equal(canFhir(p, type, 'delete'), false, `${type} delete`);
    }
    assert.equal(can(p, 'admin'), false);
  });

  it('admin: everything, including the audit trail and identified export', () => {
    const p = as('admin');
    for (const interaction of FHIR_INTERACTIONS) assert.ok(canFhir(p, 'Patient', interaction), interaction);
    assert.ok(canFhir(p, undefined, 'search'));
    assert.ok(canFhir(p, 'Subscription', 'create'));
    for (const action of ['store', 'search', 'retrieve', 'delete'] as const) assert.ok(canDicomweb(p, action));
    for (const capability of ['admin', 'audit:read', 'hl7:ingest', 'export:identified', 'export:deidentified'] as const) assert.ok(can(p, capability));
    assert.equal(exportMode(p), 'identified');
    assert.equal(allowsResource(p, 'search', heartRate), true);
  });

  it('AuditEvents: read and searched with audit:read only, never written, changed or deleted, even by admin', () => {
    for (const role of ['admin', 'clinician', 'feed']) {
      const p = as(role);
      for (const interaction of ['create', 'update', 'patch', 'delete', 'operation'] as const) assert.equal(canFhir(p, 'AuditEvent', interaction), false, `${role} ${interaction}`);
    }
    assert.ok(canFhir(as('admin'), 'AuditEvent', 'search') && canFhir(as('admin'), 'AuditEvent', 'read'));
    assert.equal(canFhir(as('clinician'), 'AuditEvent', 'search'), false);
    assert.equal(allowsResource(as('clinician'), 'search', { resourceType: 'AuditEvent' } as never), false, 'nor through _revinclude');
  });

  it('combines roles by union; a filtered grant widens to all when another role grants the type', () => {
    assert.ok(fhirAccess(as('samu-dispatch', 'clinician'), 'Observation', 'search').allowed);
    assert.deepEqual(resourceFilters(as('samu-dispatch', 'clinician'), 'Observation', 'search'), undefined);
    assert.ok(can(as('feed', 'research'), 'hl7:ingest') && can(as('feed', 'research'), 'export:deidentified'));
    assert.deepEqual(resourceFilters(as('clinician'), 'Subscription', 'read'), [], 'denied is an empty filter list');
  });

  it('nobody and unknown roles get nothing', () => {
    for (const p of [NO_PERMISSIONS, as('no-such-role'), as()]) {
      assert.equal(canFhir(p, 'Location', 'read'), false);
      assert.equal(canDicomweb(p, 'search'), false);
      assert.equal(can(p, 'admin'), false);
    }
  });

  it('names only operations that exist, and filters with the model\'s profile and code', () => {
    const codes = new Set(hospitalOperations.map((op) => `$${op.definition.code}`));
    for (const role of map.roles.values()) {
      for (const grant of role.fhir) for (const action of grant.actions) if (action.startsWith('$')) assert.ok(codes.has(action), `${role.name}: ${action}`);
    }
    const [filter] = resourceFilters(as('samu-dispatch'), 'Observation', 'read') ?? [];
    assert.ok(filter);
    assert.deepEqual(filterSearchParams(filter), [
      ['_profile', PROFILE.bedAvailability],
      ['code', `${BED_AVAILABILITY_CODE.system}|${BED_AVAILABILITY_CODE.code}`],
    ]);
  });
});

describe('groups to roles', () => {
  const groupMap = parseRoleMap(
    {
      groups: {
        'CN=Urgentistes, OU=Groups, DC=chu, DC=fr': ['clinician'],
        'samu-regulation': 'samu-dispatch',
        'cn=Cardio\\, Nord,ou=groups,dc=chu,dc=fr': 'clinician',
        Admins: ['admin', 'clinician'],
      },
    },
    'test',
    map,
  );

  it('matches a DN key to the same DN, whatever the case and spacing', () => {
    assert.deepEqual(rolesFor(['cn=urgentistes,ou=groups,dc=chu,dc=fr'], groupMap), ['clinician']);
    assert.deepEqual(rolesFor(['cn=urgentistes,ou=other,dc=chu,dc=fr'], groupMap), [], 'another DN with that cn does not match a DN key');
    assert.deepEqual(rolesFor(['urgentistes'], groupMap), [], 'a bare cn does not match a DN key');
  });

  it('matches a name key to a cn, or to a DN whose first RDN is that cn', () => {
    assert.deepEqual(rolesFor(['SAMU-Regulation'], groupMap), ['samu-dispatch']);
    assert.deepEqual(rolesFor(['cn=samu-regulation,ou=groups,dc=chu,dc=fr'], groupMap), ['samu-dispatch']);
    assert.deepEqual(rolesFor(['ou=samu-regulation,dc=chu,dc=fr'], groupMap), [], 'only a cn RDN');
    assert.deepEqual(rolesFor(['CN=Cardio\\, Nord,OU=Groups,DC=chu,DC=fr'], groupMap), ['clinician'], 'escaped commas');
  });

  it('collects the roles of every group, sorted, without duplicates', () => {
    assert.deepEqual(rolesFor(['admins', 'samu-regulation', 'cn=Urgentistes,ou=Groups,dc=chu,dc=fr'], groupMap), ['admin', 'clinician', 'samu-dispatch']);
    assert.deepEqual(rolesFor([], groupMap), []);
  });
});

describe('role map files', () => {
  it('reads the short form, { group: role }', () => {
    const loaded = loadRoleMap(tempFile({ 'passerelle-clinicians': 'clinician', 'passerelle-admins': ['admin'] }));
    assert.deepEqual(rolesFor(['passerelle-clinicians'], loaded), ['clinician']);
    assert.deepEqual(rolesFor(['passerelle-admins'], loaded), ['admin']);
    assert.ok(loaded.roles.has('samu-dispatch'), 'the shipped roles stay');
  });

  it('adds roles and type sets, and replaces shipped ones of the same name', () => {
    const loaded = loadRoleMap(
      tempFile({
        typeSets: { imaging: ['ImagingStudy', 'Media'] },
        roles: {
          radiographer: { description: 'imaging staff', fhir: { '@imaging': ['read', 'search'], Patient: ['read'] }, dicomweb: ['retrieve', 'store'] },
          research: { capabilities: ['export:deidentified'], fhir: { ResearchStudy: ['read'] } },
        },
        groups: { radiology: 'radiographer' },
      }),
    );
    const p = permissionsOf(rolesFor(['cn=radiology,ou=groups'], loaded), loaded);
    assert.ok(canFhir(p, 'Media', 'search') && canFhir(p, 'Patient', 'read'));
    assert.equal(canFhir(p, 'Patient', 'search'), false);
    assert.ok(canDicomweb(p, 'store'));
    assert.ok(canFhir(permissionsOf(['research'], loaded), 'ResearchStudy', 'read'), 'the replaced role');
  });

  it('refuses a bad file with the file and the bad key in the message', () => {
    const cases: [unknown, RegExp][] = [
      [{ clinicians: 'doctor' }, /clinicians: unknown role "doctor"/],
      [{ groups: { g: ['clinician', 'nurse'] } }, /groups\.g: unknown role "nurse"/],
      [{ roles: { x: { fhir: { Patients: ['read'] } } } }, /roles\.x\.fhir\.Patients: "Patients" is not an R4 resource type/],
      [{ roles: { x: { fhir: { Patient: ['read', 'write'] } } } }, /roles\.x\.fhir\.Patient\[1\]: "write" is not an interaction/],
      [{ roles: { x: { fhir: { '@nope': ['read'] } } } }, /roles\.x\.fhir\.@nope: unknown type set "nope"/],
      [{ roles: { x: { dicomweb: ['move'] } } }, /roles\.x\.dicomweb\[0\]: "move" is not one of store, search, retrieve, delete/],
      [{ roles: { x: { capabilities: ['superuser'] } } }, /roles\.x\.capabilities\[0\]: "superuser"/],
      [{ roles: { x: { fhirr: {} } } }, /roles\.x\.fhirr: unknown key/],
      [{ roles: { x: { fhir: { '*': { interactions: ['read'], only: { profile: 'urn:x' } } } } } }, /roles\.x\.fhir\.\*\.only: a filter applies to one resource type/],
      [{ roles: { x: { fhir: { Observation: { interactions: ['read'], only: { code: 'no-bar' } } } } } }, /roles\.x\.fhir\.Observation\.only\.code: expected <system>\|<code>/],
      [{ roles: { x: { fhir: { Observation: { interactions: ['read'], only: {} } } } } }, /roles\.x\.fhir\.Observation\.only: a filter needs a profile or a code/],
      [{ typeSets: { t: ['Patient', 'Pateint'] } }, /typeSets\.t\[1\]: "Pateint" is not an R4 resource type/],
      [{ roles: { 'bad name': {} } }, /roles\.bad name: a role name/],
      [{ groups: {}, extra: {} }, /extra: unknown section/],
      [['clinician'], /expected a JSON object/],
    ];
    for (const [json, message] of cases) {
      const path = tempFile(json);
      assert.throws(() => loadRoleMap(path), (err: Error) => err instanceof RoleMapError && message.test(err.message) && err.message.startsWith(path), JSON.stringify(json));
    }
  });

  it('says when the file cannot be read or is not JSON', () => {
    assert.throws(() => loadRoleMap('/nonexistent/roles.json'), /\/nonexistent\/roles\.json: cannot read the role map/);
    const path = tempFile({});
    writeFileSync(path, '{ "g": ');
    assert.throws(() => loadRoleMap(path), /roles\.json: not JSON/);
  });
});
