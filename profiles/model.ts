/**
 * The hospital model's names in one place: canonical URLs of our profiles, the code systems we use
 * and define, and their codes. Code, tests and the demo generator import these; nobody re-types them.
 * @see https://hl7.org/fhir/R4/location.html
 * @see https://hl7.org/fhir/R4/observation.html
 */
import type { Coding, Quantity } from '@medplum/fhirtypes';

const BASE = 'https://passerelle.health/fhir';

/** Canonical URLs of Passerelle's StructureDefinitions (`profiles/definitions/*.json`). */
export const PROFILE = {
  hospital: `${BASE}/StructureDefinition/hospital`,
  site: `${BASE}/StructureDefinition/hospital-site`,
  ward: `${BASE}/StructureDefinition/hospital-ward`,
  bed: `${BASE}/StructureDefinition/hospital-bed`,
  operatingRoom: `${BASE}/StructureDefinition/operating-room`,
  operatingRoomDevice: `${BASE}/StructureDefinition/operating-room-device`,
  bedAvailability: `${BASE}/StructureDefinition/bed-availability`,
  toolTracking: `${BASE}/StructureDefinition/tool-tracking`,
  patientTransfer: `${BASE}/StructureDefinition/patient-transfer-communication`,
} as const;

/** Code systems defined elsewhere that the model uses. */
export const SYSTEM = {
  /** FINESS (Fichier national des établissements sanitaires et sociaux). */
  finess: 'urn:oid:1.2.250.1.71.4.2.2',
  locationPhysicalType: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
  /** HL7 v2 table 0116, Bed Status: Location.operationalStatus of beds. */
  bedStatus: 'http://terminology.hl7.org/CodeSystem/v2-0116',
  /** HL7 v2 table 0260, Patient Location Type: `O` is an operating room. */
  patientLocationType: 'http://terminology.hl7.org/CodeSystem/v2-0260',
  organizationType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  deviceNameType: 'http://hl7.org/fhir/device-nametype',
  /** UCUM, the units of Quantity values. */
  ucum: 'http://unitsofmeasure.org',
} as const;

/** Code systems Passerelle defines (see `profiles/terminology.ts` for them as CodeSystem resources). */
/**
 * Passerelle as the writer of the DICOM files it makes (File Meta Information, PS3.10 7.1): the
 * implementation class UID is a 2.25 UUID-derived UID (PS3.5 B.2), fixed for the product.
 */
export const DICOM_IMPLEMENTATION = { classUid: '2.25.274532803173187807090701749403288871565', versionName: 'PASSERELLE' } as const;

export const PASSERELLE_SYSTEM = {
  specialty: `${BASE}/CodeSystem/specialty`,
  bedAvailability: `${BASE}/CodeSystem/bed-availability`,
  orEquipment: `${BASE}/CodeSystem/or-equipment`,
  toolTracking: `${BASE}/CodeSystem/tool-tracking`,
  igtlStatus: `${BASE}/CodeSystem/igtl-status`,
  communicationCategory: `${BASE}/CodeSystem/communication-category`,
  organizationRole: `${BASE}/CodeSystem/organization-role`,
} as const;

/** Communication.category of the messages between emergency dispatch and a hospital (patient-transfer profile). */
export const COMMUNICATION_CATEGORY = { 'patient-transfer': 'Patient on the way: dispatch and receiving hospital' } as const;

/** What an Organization is in the care of emergencies, beyond HL7's organization-type (Organization.type). */
export const ORGANIZATION_ROLE = { 'dispatch-centre': 'Emergency medical dispatch centre (SAMU, centre de régulation)' } as const;

/** The identifier system of OR equipment known by its OpenIGTLink device name: `<operating room id>/<device name>`. */
export const IGTL_DEVICE_SYSTEM = `${BASE}/sid/igtl-device`;

/** The pose Observation and its components (tool-tracking profile): position in mm, orientation as a unit quaternion. */
export const TOOL_TRACKING = {
  'tool-pose': 'Tracked tool pose',
  'position-x': 'Position x', 'position-y': 'Position y', 'position-z': 'Position z',
  'orientation-x': 'Orientation quaternion x', 'orientation-y': 'Orientation quaternion y', 'orientation-z': 'Orientation quaternion z', 'orientation-w': 'Orientation quaternion w',
  tool: 'Tracked tool', 'reference-frame': 'Reference frame',
  'device-status': 'Device status (OpenIGTLink STATUS)',
} as const;

/** OpenIGTLink STATUS codes (the device-status Observation's value). */
export const IGTL_STATUS = {
  0: 'Invalid', 1: 'OK', 2: 'Unknown error', 3: 'Panic mode', 4: 'Not found', 5: 'Access denied', 6: 'Busy', 7: 'Time out', 8: 'Overflow',
  9: 'Checksum error', 10: 'Configuration error', 11: 'Resource error', 12: 'Unknown instruction', 13: 'Not ready', 14: 'Manual mode',
  15: 'Disabled', 16: 'Not present', 17: 'Unknown version', 18: 'Hardware failure', 19: 'Shut down',
} as const;

/** Location.physicalType codes of the model. */
export const PHYSICAL_TYPE = { site: 'si', ward: 'wa', room: 'ro', bed: 'bd' } as const;

export const PHYSICAL_TYPE_DISPLAY: Record<string, string> = { si: 'Site', wa: 'Ward', ro: 'Room', bd: 'Bed' };

/** Bed status codes of v2 table 0116, in the order the availability components list them. */
export const BED_STATUS = {
  occupied: 'O',
  unoccupied: 'U',
  contaminated: 'K',
  isolated: 'I',
  housekeeping: 'H',
  closed: 'C',
} as const;

export type BedStatusCode = (typeof BED_STATUS)[keyof typeof BED_STATUS];

export const BED_STATUS_DISPLAY: Record<BedStatusCode, string> = {
  O: 'Occupied',
  U: 'Unoccupied',
  K: 'Contaminated',
  I: 'Isolated',
  H: 'Housekeeping',
  C: 'Closed',
};

/** The operating room type: v2-0260 `O`. */
export const OPERATING_ROOM_TYPE: Coding = { system: SYSTEM.patientLocationType, code: 'O', display: 'Operating Room' };

/** The bed-availability Observation's code. */
export const BED_AVAILABILITY_CODE: Coding = { system: PASSERELLE_SYSTEM.bedAvailability, code: 'bed-availability', display: 'Bed availability' };

/**
 * The unit of every bed-availability component: a number of beds, the UCUM annotation `{beds}`
 * (dimensionless, i.e. `1`). Counts are Quantities rather than integers so that the R4 search
 * parameters `component-value-quantity` and `component-code-value-quantity` reach them.
 */
export const BEDS_UNIT = { unit: 'beds', system: SYSTEM.ucum, code: '{beds}' } as const satisfies Quantity;

/** A number of beds as a Quantity: `{ value, unit: 'beds', system: UCUM, code: '{beds}' }`. */
export const bedsQuantity = (value: number): Quantity => ({ value, ...BEDS_UNIT });

/**
 * The bed-availability Observation's count components: each is a number of beds
 * (`valueQuantity`, {@link BEDS_UNIT}) coded in our bed-availability system and, for a single bed
 * status, also with its v2-0116 code. `total` counts every bed of the ward that is not `inactive`;
 * `unknown` those without a recognised status. `total` is the sum of the others.
 *
 * A ward with a specialty has one more component, coded with the ward's specialty coding(s)
 * (our specialty system) and valued with the number of `available` beds, so that
 * `component-code-value-quantity=<specialty system>|cardiology$gt0` finds the cardiology wards with
 * a free bed.
 */
export const AVAILABILITY_COMPONENTS = [
  { code: 'total', display: 'Total beds' },
  { code: 'occupied', display: 'Occupied beds', bedStatus: BED_STATUS.occupied },
  { code: 'available', display: 'Available (unoccupied) beds', bedStatus: BED_STATUS.unoccupied },
  { code: 'contaminated', display: 'Contaminated beds', bedStatus: BED_STATUS.contaminated },
  { code: 'isolated', display: 'Isolated beds', bedStatus: BED_STATUS.isolated },
  { code: 'housekeeping', display: 'Beds in housekeeping', bedStatus: BED_STATUS.housekeeping },
  { code: 'closed', display: 'Closed beds', bedStatus: BED_STATUS.closed },
  { code: 'unknown', display: 'Beds without a known status' },
] as const satisfies readonly { code: string; display: string; bedStatus?: BedStatusCode }[];

export type AvailabilityCount = (typeof AVAILABILITY_COMPONENTS)[number]['code'];

/** Specialties of wards (Location.type of a ward, our specialty system). */
export const SPECIALTIES = {
  cardiology: 'Cardiology',
  neurology: 'Neurology',
  pediatrics: 'Pediatrics',
  'intensive-care': 'Intensive care',
  orthopedics: 'Orthopedics',
  'general-surgery': 'General surgery',
  emergency: 'Emergency',
  maternity: 'Maternity',
  psychiatry: 'Psychiatry',
  oncology: 'Oncology',
  pneumology: 'Pneumology',
  geriatrics: 'Geriatrics',
  'internal-medicine': 'Internal medicine',
  nephrology: 'Nephrology',
  gastroenterology: 'Gastroenterology',
} as const;

export type Specialty = keyof typeof SPECIALTIES;

/** Kinds of operating-room equipment (Device.type, our or-equipment system). */
export const OR_EQUIPMENT = {
  'anesthesia-machine': 'Anesthesia machine',
  'surgical-navigation-system': 'Surgical navigation system',
  'ultrasound-system': 'Ultrasound system',
  'surgical-robot': 'Surgical robot',
  'electrosurgical-unit': 'Electrosurgical unit',
  'patient-monitor': 'Patient monitor',
  'surgical-microscope': 'Surgical microscope',
  'mobile-c-arm': 'Mobile C-arm X-ray system',
} as const;

export type OrEquipment = keyof typeof OR_EQUIPMENT;

export const specialtyCoding = (code: Specialty): Coding => ({ system: PASSERELLE_SYSTEM.specialty, code, display: SPECIALTIES[code] });

export const physicalTypeCoding = (code: string): Coding => ({ system: SYSTEM.locationPhysicalType, code, display: PHYSICAL_TYPE_DISPLAY[code] });

export const bedStatusCoding = (code: BedStatusCode): Coding => ({ system: SYSTEM.bedStatus, code, display: BED_STATUS_DISPLAY[code] });
