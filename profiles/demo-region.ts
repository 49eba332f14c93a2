/**
 * A fictitious but realistic health region around Bordeaux (Nouvelle-Aquitaine): hospitals with
 * their site, wards of varied specialties, beds with a plausible mix of statuses, operating rooms
 * and their equipment. Pure and deterministic: the same sizes and seed give the same resources,
 * with ids derived from natural keys (the FINESS number, ward and bed numbers), so writing them
 * again with PUT changes nothing. Names of towns and products are real; FINESS numbers and every
 * count are generated. The bed-availability Observations are not here: the server derives them.
 */
import type { Device, Location, Organization, Reference, Resource } from '@medplum/fhirtypes';
import {
  BED_STATUS, bedStatusCoding, OPERATING_ROOM_TYPE, OR_EQUIPMENT, ORGANIZATION_ROLE, PASSERELLE_SYSTEM, PHYSICAL_TYPE, physicalTypeCoding, PROFILE,
  SPECIALTIES, specialtyCoding, SYSTEM, type BedStatusCode, type OrEquipment, type Specialty,
} from './model.ts';

/** A fixed number, or an inclusive range drawn per hospital (wards, rooms) or per ward (beds). */
export type Size = number | readonly [min: number, max: number];

export interface DemoSizes {
  hospitals: number;
  wardsPerHospital: Size;
  bedsPerWard: Size;
  operatingRoomsPerHospital: Size;
  devicesPerOperatingRoom: Size;
  /** Seed of the pseudo-random generator. */
  seed: number;
}

export const DEMO_DEFAULT_SIZES: DemoSizes = {
  hospitals: 12,
  wardsPerHospital: [4, 8],
  bedsPerWard: [10, 30],
  operatingRoomsPerHospital: [2, 4],
  devicesPerOperatingRoom: [3, 5],
  seed: 33,
};

export interface DemoHospital {
  organization: Organization;
  site: Location;
  wards: Location[];
  beds: Location[];
  operatingRooms: Location[];
  devices: Device[];
}

export interface DemoRegion {
  hospitals: DemoHospital[];
  /** The region's emergency medical dispatch centre (SAMU), which talks to the hospitals about patients on the way. */
  dispatchCentre: Organization;
}

interface Town {
  name: string;
  hospital: string;
  postalCode: string;
  latitude: number;
  longitude: number;
}

/** Hospital towns of Nouvelle-Aquitaine, nearest Bordeaux first; coordinates of the hospital's area. */
const TOWNS: Town[] = [
  { name: 'Bordeaux', hospital: 'Centre hospitalier universitaire de Bordeaux', postalCode: '33000', latitude: 44.8295, longitude: -0.6060 },
  { name: 'Pessac', hospital: 'Hôpital cardiologique de Pessac', postalCode: '33600', latitude: 44.7930, longitude: -0.6460 },
  { name: 'Mérignac', hospital: 'Hôpital privé de Mérignac', postalCode: '33700', latitude: 44.8386, longitude: -0.6436 },
  { name: 'Libourne', hospital: 'Centre hospitalier de Libourne', postalCode: '33500', latitude: 44.9153, longitude: -0.2439 },
  { name: 'La Teste-de-Buch', hospital: "Pôle de santé d'Arcachon", postalCode: '33260', latitude: 44.6340, longitude: -1.1440 },
  { name: 'Langon', hospital: 'Centre hospitalier Sud Gironde', postalCode: '33210', latitude: 44.5531, longitude: -0.2494 },
  { name: 'Blaye', hospital: 'Centre hospitalier de la Haute Gironde', postalCode: '33390', latitude: 45.1281, longitude: -0.6622 },
  { name: 'Périgueux', hospital: 'Centre hospitalier de Périgueux', postalCode: '24000', latitude: 45.1846, longitude: 0.7214 },
  { name: 'Bergerac', hospital: 'Centre hospitalier de Bergerac', postalCode: '24100', latitude: 44.8533, longitude: 0.4833 },
  { name: 'Agen', hospital: "Centre hospitalier d'Agen", postalCode: '47000', latitude: 44.2033, longitude: 0.6163 },
  { name: 'Mont-de-Marsan', hospital: 'Centre hospitalier de Mont-de-Marsan', postalCode: '40000', latitude: 43.8902, longitude: -0.4999 },
  { name: 'Dax', hospital: 'Centre hospitalier de Dax', postalCode: '40100', latitude: 43.7102, longitude: -1.0536 },
  { name: 'Marmande', hospital: 'Centre hospitalier de Marmande', postalCode: '47200', latitude: 44.5000, longitude: 0.1653 },
  { name: 'Bayonne', hospital: 'Centre hospitalier de la Côte Basque', postalCode: '64100', latitude: 43.4929, longitude: -1.4748 },
  { name: 'Pau', hospital: 'Centre hospitalier de Pau', postalCode: '64000', latitude: 43.2951, longitude: -0.3708 },
  { name: 'Angoulême', hospital: "Centre hospitalier d'Angoulême", postalCode: '16000', latitude: 45.6484, longitude: 0.1562 },
  { name: 'Saintes', hospital: 'Centre hospitalier de Saintonge', postalCode: '17100', latitude: 45.7464, longitude: -0.6333 },
  { name: 'La Rochelle', hospital: 'Groupe hospitalier de La Rochelle', postalCode: '17000', latitude: 46.1603, longitude: -1.1511 },
  { name: 'Niort', hospital: 'Centre hospitalier de Niort', postalCode: '79000', latitude: 46.3237, longitude: -0.4588 },
  { name: 'Poitiers', hospital: 'Centre hospitalier universitaire de Poitiers', postalCode: '86000', latitude: 46.5802, longitude: 0.3404 },
  { name: 'Limoges', hospital: 'Centre hospitalier universitaire de Limoges', postalCode: '87000', latitude: 45.8336, longitude: 1.2611 },
];

const WARD_NAMES: Record<Specialty, string> = {
  cardiology: 'Cardiologie',
  neurology: 'Neurologie',
  pediatrics: 'Pédiatrie',
  'intensive-care': 'Réanimation',
  orthopedics: 'Chirurgie orthopédique',
  'general-surgery': 'Chirurgie générale',
  emergency: 'Urgences – UHCD',
  maternity: 'Maternité',
  psychiatry: 'Psychiatrie',
  oncology: 'Oncologie',
  pneumology: 'Pneumologie',
  geriatrics: 'Gériatrie',
  'internal-medicine': 'Médecine interne',
  nephrology: 'Néphrologie',
  gastroenterology: 'Hépato-gastro-entérologie',
};

/** Share of occupied beds typical of each specialty (intensive care and emergency run fuller). */
const OCCUPANCY: Partial<Record<Specialty, number>> = { 'intensive-care': 0.9, emergency: 0.85, geriatrics: 0.9, maternity: 0.65, pediatrics: 0.7 };

const EQUIPMENT_MODELS: Record<OrEquipment, [manufacturer: string, model: string][]> = {
  'anesthesia-machine': [['Dräger', 'Perseus A500'], ['GE HealthCare', 'Aisys CS2'], ['Mindray', 'A7']],
  'surgical-navigation-system': [['Medtronic', 'StealthStation S8'], ['Brainlab', 'Curve'], ['Stryker', 'Q Guidance System']],
  'ultrasound-system': [['GE HealthCare', 'Venue'], ['Philips', 'EPIQ 7'], ['Siemens Healthineers', 'ACUSON Juniper']],
  'surgical-robot': [['Intuitive Surgical', 'da Vinci Xi'], ['Medtronic', 'Hugo RAS'], ['CMR Surgical', 'Versius']],
  'electrosurgical-unit': [['Erbe', 'VIO 3'], ['Medtronic', 'Valleylab FT10']],
  'patient-monitor': [['Philips', 'IntelliVue MX750'], ['GE HealthCare', 'CARESCAPE B850'], ['Dräger', 'Infinity M540']],
  'surgical-microscope': [['Zeiss', 'KINEVO 900'], ['Leica Microsystems', 'ARveo 8']],
  'mobile-c-arm': [['Siemens Healthineers', 'Cios Spin'], ['GE HealthCare', 'OEC 3D'], ['Philips', 'Zenition 70']],
};

/** A small deterministic pseudo-random generator (32-bit state, splitmix-style mixing). */
export class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  size(size: Size): number {
    return typeof size === 'number' ? size : this.int(size[0], size[1]);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }
}

/** The Luhn check digit of a string of digits. */
export function luhnKey(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** A FINESS-shaped number: département, category digit, a 5-digit order unique per index, Luhn key. */
function finess(town: Town, index: number): string {
  const order = String((index * 7919 + 1021) % 100000).padStart(5, '0');
  const body = `${town.postalCode.slice(0, 2)}0${order}`;
  return `${body}${luhnKey(body)}`;
}

const two = (n: number): string => String(n).padStart(2, '0');
const three = (n: number): string => String(n).padStart(3, '0');
const ref = <T extends Organization | Location>(target: T): Reference<T> => ({ reference: `${target.resourceType}/${target.id}`, display: target.name });

/** A bed status drawn for a ward whose occupancy is about `occupancy`. */
function bedStatus(rng: Prng, occupancy: number): BedStatusCode {
  const r = rng.next();
  if (r < occupancy) return BED_STATUS.occupied;
  const rest = (r - occupancy) / (1 - occupancy);
  if (rest < 0.6) return BED_STATUS.unoccupied;
  if (rest < 0.8) return BED_STATUS.housekeeping;
  if (rest < 0.88) return BED_STATUS.closed;
  if (rest < 0.95) return BED_STATUS.isolated;
  return BED_STATUS.contaminated;
}

function hospital(index: number, sizes: DemoSizes): DemoHospital {
  const rng = new Prng((sizes.seed * 1_000_003 + index * 7_919) >>> 0);
  const town = TOWNS[index % TOWNS.length] as Town;
  const round = Math.floor(index / TOWNS.length);
  const number = finess(town, index);
  const name = round === 0 ? town.hospital : `${town.hospital} – site ${round + 1}`;
  // Later rounds of the town list (large benchmark regions) sit a few kilometres away.
  const latitude = Number((town.latitude + (round === 0 ? 0 : (rng.next() - 0.5) * 0.1)).toFixed(5));
  const longitude = Number((town.longitude + (round === 0 ? 0 : (rng.next() - 0.5) * 0.1)).toFixed(5));
  const address = { use: 'work' as const, city: town.name, postalCode: town.postalCode, country: 'FR' };

  const organization: Organization = {
    resourceType: 'Organization',
    id: `hospital-${number}`,
    meta: { profile: [PROFILE.hospital] },
    identifier: [{ system: SYSTEM.finess, value: number }],
    active: true,
    type: [{ coding: [{ system: SYSTEM.organizationType, code: 'prov', display: 'Healthcare Provider' }] }],
    name,
    address: [address],
  };
  const org = ref(organization);
  const site: Location = {
    resourceType: 'Location',
    id: `site-${number}`,
    meta: { profile: [PROFILE.site] },
    status: 'active',
    name: `${name} – site principal`,
    mode: 'instance',
    physicalType: { coding: [physicalTypeCoding(PHYSICAL_TYPE.site)] },
    address,
    position: { latitude, longitude },
    managingOrganization: org,
  };
  const siteRef = ref(site);

  const wardCount = rng.size(sizes.wardsPerHospital);
  const specialties = rng.shuffled(Object.keys(SPECIALTIES) as Specialty[]);
  const wards: Location[] = [];
  const beds: Location[] = [];
  for (let w = 1; w <= wardCount; w++) {
    const specialty = specialties[(w - 1) % specialties.length] as Specialty;
    const repeat = Math.floor((w - 1) / specialties.length);
    const ward: Location = {
      resourceType: 'Location',
      id: `ward-${number}-${two(w)}`,
      meta: { profile: [PROFILE.ward] },
      status: 'active',
      name: repeat === 0 ? WARD_NAMES[specialty] : `${WARD_NAMES[specialty]} ${repeat + 1}`,
      mode: 'instance',
      type: [{ coding: [specialtyCoding(specialty)] }],
      physicalType: { coding: [physicalTypeCoding(PHYSICAL_TYPE.ward)] },
      managingOrganization: org,
      partOf: siteRef,
    };
    wards.push(ward);
    const occupancy = OCCUPANCY[specialty] ?? 0.6 + rng.next() * 0.3;
    const bedCount = rng.size(sizes.bedsPerWard);
    for (let b = 1; b <= bedCount; b++) {
      const status = bedStatus(rng, occupancy);
      beds.push({
        resourceType: 'Location',
        id: `bed-${number}-${two(w)}-${three(b)}`,
        meta: { profile: [PROFILE.bed] },
        status: status === BED_STATUS.closed ? 'suspended' : 'active',
        operationalStatus: bedStatusCoding(status),
        name: `Chambre ${w}${two(Math.ceil(b / 2))}, lit ${b % 2 === 1 ? 'A' : 'B'}`,
        mode: 'instance',
        physicalType: { coding: [physicalTypeCoding(PHYSICAL_TYPE.bed)] },
        managingOrganization: org,
        partOf: ref(ward),
      });
    }
  }

  const operatingRooms: Location[] = [];
  const devices: Device[] = [];
  const roomCount = rng.size(sizes.operatingRoomsPerHospital);
  const kinds = (Object.keys(OR_EQUIPMENT) as OrEquipment[]).filter((k) => k !== 'anesthesia-machine');
  for (let o = 1; o <= roomCount; o++) {
    const room: Location = {
      resourceType: 'Location',
      id: `or-${number}-${two(o)}`,
      meta: { profile: [PROFILE.operatingRoom] },
      status: 'active',
      operationalStatus: bedStatusCoding(rng.pick([BED_STATUS.occupied, BED_STATUS.occupied, BED_STATUS.unoccupied, BED_STATUS.housekeeping])),
      name: `Bloc opératoire, salle ${o}`,
      mode: 'instance',
      type: [{ coding: [OPERATING_ROOM_TYPE] }],
      physicalType: { coding: [physicalTypeCoding(PHYSICAL_TYPE.room)] },
      managingOrganization: org,
      partOf: siteRef,
    };
    operatingRooms.push(room);
    const deviceCount = rng.size(sizes.devicesPerOperatingRoom);
    const equipment: OrEquipment[] = (['anesthesia-machine', ...rng.shuffled(kinds)] as OrEquipment[]).slice(0, deviceCount);
    equipment.forEach((kind, k) => {
      const [manufacturer, model] = rng.pick(EQUIPMENT_MODELS[kind]);
      devices.push({
        resourceType: 'Device',
        id: `device-${number}-${two(o)}-${two(k + 1)}`,
        meta: { profile: [PROFILE.operatingRoomDevice] },
        status: rng.next() < 0.93 ? 'active' : 'inactive',
        type: { coding: [{ system: PASSERELLE_SYSTEM.orEquipment, code: kind, display: OR_EQUIPMENT[kind] }], text: OR_EQUIPMENT[kind] },
        manufacturer,
        deviceName: [
          { name: model, type: 'model-name' },
          { name: `${OR_EQUIPMENT[kind]}, salle ${o}`, type: 'user-friendly-name' },
        ],
        serialNumber: `${number.slice(0, 2)}${String(rng.int(0, 99_999_999)).padStart(8, '0')}`,
        owner: org,
        location: ref(room),
      });
    });
  }
  return { organization, site, wards, beds, operatingRooms, devices };
}

/** Generates the region; the default sizes give about 12 hospitals, 70 wards and 1,400 beds. */
export function demoRegion(sizes: Partial<DemoSizes> = {}): DemoRegion {
  const full = { ...DEMO_DEFAULT_SIZES, ...sizes };
  const hospitals = Array.from({ length: full.hospitals }, (_, i) => hospital(i, full));
  return { hospitals, dispatchCentre: dispatchCentre(hospitals[0]?.organization) };
}

/** The SAMU of the first town's département, a service of its hospital (as SAMUs are of a CHU). */
function dispatchCentre(hospital: Organization | undefined): Organization {
  const town = TOWNS[0] as Town;
  const departement = town.postalCode.slice(0, 2);
  return {
    resourceType: 'Organization',
    id: `samu-${departement}`,
    active: true,
    type: [
      { coding: [{ system: SYSTEM.organizationType, code: 'dept', display: 'Hospital Department' }] },
      { coding: [{ system: PASSERELLE_SYSTEM.organizationRole, code: 'dispatch-centre', display: ORGANIZATION_ROLE['dispatch-centre'] }] },
    ],
    name: `SAMU ${departement} – centre de régulation`,
    telecom: [{ system: 'phone', value: '15', use: 'work' }],
    address: [{ use: 'work', city: town.name, postalCode: town.postalCode, country: 'FR' }],
    ...(hospital ? { partOf: { reference: `Organization/${hospital.id}`, display: hospital.name } } : {}),
  };
}

/**
 * A hospital's resources in the order to write them: wards come after their beds, so that with the
 * bed-availability rule active each ward is counted once (when it is written) rather than per bed.
 */
export function hospitalResources(h: DemoHospital): Resource[] {
  return [h.organization, h.site, ...h.beds, ...h.operatingRooms, ...h.devices, ...h.wards];
}
