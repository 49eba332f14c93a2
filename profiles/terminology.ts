/**
 * The code systems Passerelle defines, as CodeSystem resources built from `model.ts` (so the codes
 * live in one place). `passerelle seed --demo` writes them; they are not needed for validation.
 * @see https://hl7.org/fhir/R4/codesystem.html
 */
import type { CodeSystem, CodeSystemConcept } from '@medplum/fhirtypes';
import { AVAILABILITY_COMPONENTS, BED_AVAILABILITY_CODE, COMMUNICATION_CATEGORY, IGTL_STATUS, OR_EQUIPMENT, ORGANIZATION_ROLE, PASSERELLE_SYSTEM, SPECIALTIES, TOOL_TRACKING } from './model.ts';

function codeSystem(id: string, url: string, title: string, description: string, concept: CodeSystemConcept[]): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    id,
    url,
    version: '0.1.0',
    name: title.replace(/[^A-Za-z]/g, ''),
    title,
    status: 'active',
    publisher: 'Passerelle',
    description,
    caseSensitive: true,
    content: 'complete',
    count: concept.length,
    concept,
  };
}

export function passerelleCodeSystems(): CodeSystem[] {
  return [
    codeSystem(
      'passerelle-specialty',
      PASSERELLE_SYSTEM.specialty,
      'Ward specialty',
      'The medical specialty of a hospital ward (Location.type of a ward, and the code of the component of its bed-availability Observation that counts its available beds).',
      Object.entries(SPECIALTIES).map(([code, display]) => ({ code, display })),
    ),
    codeSystem(
      'passerelle-bed-availability',
      PASSERELLE_SYSTEM.bedAvailability,
      'Bed availability',
      'The bed-availability Observation of a ward and its components: counts of beds by status.',
      [BED_AVAILABILITY_CODE, ...AVAILABILITY_COMPONENTS].map(({ code, display }) => ({ code: code as string, display })),
    ),
    codeSystem(
      'passerelle-or-equipment',
      PASSERELLE_SYSTEM.orEquipment,
      'Operating room equipment',
      'Kinds of equipment installed in an operating room (Device.type).',
      Object.entries(OR_EQUIPMENT).map(([code, display]) => ({ code, display })),
    ),
    codeSystem(
      'passerelle-tool-tracking',
      PASSERELLE_SYSTEM.toolTracking,
      'Tool tracking',
      'The pose Observation of a tracked tool and its components, and the device-status Observation of OR equipment (from OpenIGTLink).',
      Object.entries(TOOL_TRACKING).map(([code, display]) => ({ code, display })),
    ),
    codeSystem(
      'passerelle-igtl-status',
      PASSERELLE_SYSTEM.igtlStatus,
      'OpenIGTLink status',
      'The STATUS codes of the OpenIGTLink protocol, as a device reported them.',
      Object.entries(IGTL_STATUS).map(([code, display]) => ({ code, display })),
    ),
    codeSystem(
      'passerelle-communication-category',
      PASSERELLE_SYSTEM.communicationCategory,
      'Communication category',
      'What a Communication between the actors of emergency care is about (Communication.category).',
      Object.entries(COMMUNICATION_CATEGORY).map(([code, display]) => ({ code, display })),
    ),
    codeSystem(
      'passerelle-organization-role',
      PASSERELLE_SYSTEM.organizationRole,
      'Organization role',
      'What an Organization is in the care of emergencies (Organization.type, beside HL7 organization-type).',
      Object.entries(ORGANIZATION_ROLE).map(([code, display]) => ({ code, display })),
    ),
  ];
}
