/**
 * The CapabilityStatement, generated from what the server really supports: every resource
 * type with its interactions, the search parameters the index answers, known profiles and
 * registered operations.
 * @see https://hl7.org/fhir/R4/capabilitystatement.html
 */
import type { CapabilityStatement, CapabilityStatementRestResource, StructureDefinition } from '@medplum/fhirtypes';
import { resourceTypes } from './definitions.ts';
import { indexedParameters } from './search/extract.ts';
import type { Operation } from './operations/registry.ts';

export interface CapabilityInput {
  baseUrl: string;
  softwareVersion: string;
  profiles: StructureDefinition[];
  operations: Operation[];
  /** The authentication methods offered (restful-security-service codes), when any is configured. */
  security?: ('Kerberos' | 'Basic' | 'OAuth')[];
  /** Where websocket Subscriptions bind (`ws://host/fhir/ws`), when they are served. */
  websocketUrl?: string;
  /** FHIR Bulk Data export is served (its routes live outside the core, server/export.ts). */
  bulkExport?: boolean;
}

/** The Bulk Data Access IG's operations, at the levels it defines them. */
const BULK_DATA = 'http://hl7.org/fhir/uv/bulkdata';
const EXPORT_OPERATIONS: Record<string, string> = { system: 'export', Patient: 'patient-export', Group: 'group-export' };
const exportOperation = (level: string): { name: string; definition: string }[] => [{ name: 'export', definition: `${BULK_DATA}/OperationDefinition/${EXPORT_OPERATIONS[level]}` }];

const INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;

export function capabilityStatement(input: CapabilityInput): CapabilityStatement {
  const operationsFor = (type: string): CapabilityStatementRestResource['operation'] =>
    input.operations
      .filter((op) => (op.definition.type || op.definition.instance) && (!op.definition.resource?.length || op.definition.resource.includes(type as never)))
      .map((op) => ({ name: op.definition.code as string, definition: op.definition.url as string }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'Passerelle', version: input.softwareVersion },
    implementation: { description: 'Passerelle FHIR R4 server', url: input.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    ...(input.bulkExport ? { instantiates: [`${BULK_DATA}/CapabilityStatement/bulk-data`] } : {}),
    rest: [
      {
        mode: 'server',
        ...(input.websocketUrl
          ? { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-websocket', valueUri: input.websocketUrl }] }
          : {}),
        ...(input.security?.length
          ? {
              security: {
                service: input.security.map((code) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code }] })),
                description: 'Every request is authenticated by one of these services and authorised by role.',
              },
            }
          : {}),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        operation: [
          ...input.operations.filter((op) => op.definition.system).map((op) => ({ name: op.definition.code as string, definition: op.definition.url as string })),
          ...(input.bulkExport ? exportOperation('system') : []),
        ],
        resource: resourceTypes().map((type): CapabilityStatementRestResource => ({
          type: type as CapabilityStatementRestResource['type'],
          profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
          supportedProfile: input.profiles.filter((p) => p.type === type).map((p) => p.url as string),
          interaction: INTERACTIONS.map((code) => ({ code })),
          versioning: 'versioned-update',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalRead: 'not-supported',
          conditionalUpdate: true,
          conditionalDelete: 'single',
          referencePolicy: ['literal', 'logical'],
          searchParam: [
            { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
            { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
            ...indexedParameters(type).map((sp) => ({ name: sp.code as string, type: sp.type, definition: sp.url })),
          ],
          operation: [...(operationsFor(type) ?? []), ...(input.bulkExport && type in EXPORT_OPERATIONS ? exportOperation(type) : [])],
        })),
      },
    ],
  };
}
