/**
 * The OR equipment records of OpenIGTLink devices: each device name in an operating room is one
 * FHIR Device of the operating-room-device profile (its id derived from room and name, so a
 * reconnection, a restart or two connections at once find the same one), and each STATUS it
 * sends updates the Device's status and is recorded as a device-status Observation with both
 * clocks, in one transaction.
 * @see https://hl7.org/fhir/R4/device.html
 */
import { createHash } from 'node:crypto';
import type { CodeableConcept, Device, Observation, Reference } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/index.ts';
import { IGTL_DEVICE_SYSTEM, IGTL_STATUS, OR_EQUIPMENT, PASSERELLE_SYSTEM, PROFILE, TOOL_TRACKING, type OrEquipment } from '../../profiles/index.ts';
import type { StatusContent } from '../codec/index.ts';

const STATUS_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/device-status-reason';

/** What a STATUS code says of the device: FHIR Device.status and, where R4 has one, its statusReason. */
const DEVICE_STATE: Readonly<Record<number, { status: Device['status']; reason?: string }>> = {
  1: { status: 'active', reason: 'online' },
  7: { status: 'active', reason: 'offline' },
  13: { status: 'active', reason: 'not-ready' },
  15: { status: 'inactive', reason: 'off' },
  16: { status: 'inactive', reason: 'hw-discon' },
  18: { status: 'inactive', reason: 'hw-discon' },
  19: { status: 'inactive', reason: 'off' },
};

/** The kind of equipment a device name suggests; a navigation system unless it says otherwise. */
export function equipmentKind(deviceName: string): OrEquipment {
  if (/^US|ultrasound|echo/i.test(deviceName)) return 'ultrasound-system';
  if (/robot/i.test(deviceName)) return 'surgical-robot';
  if (/microscope/i.test(deviceName)) return 'surgical-microscope';
  return 'surgical-navigation-system';
}

export const deviceId = (room: string, deviceName: string): string => `igtl-${createHash('sha256').update(`${room}/${deviceName}`).digest('hex').slice(0, 32)}`;

export class Equipment {
  readonly #repository: Repository;
  readonly #known = new Map<string, Reference<Device>>();

  constructor(repository: Repository) {
    this.#repository = repository;
  }

  /** The device's record, created the first time the device is heard of in this room. */
  async deviceFor(room: string, deviceName: string): Promise<Reference<Device>> {
    const id = deviceId(room, deviceName);
    const known = this.#known.get(id);
    if (known) return known;
    if (!(await this.#repository.readIfExists('Device', id))) {
      const kind = equipmentKind(deviceName);
      const device: Device = {
        resourceType: 'Device',
        id,
        meta: { profile: [PROFILE.operatingRoomDevice] },
        identifier: [{ system: IGTL_DEVICE_SYSTEM, value: `${room}/${deviceName}` }],
        status: 'active',
        type: { coding: [{ system: PASSERELLE_SYSTEM.orEquipment, code: kind, display: OR_EQUIPMENT[kind] }], text: OR_EQUIPMENT[kind] },
        deviceName: [{ name: deviceName, type: 'other' }],
        location: { reference: `Location/${room}` },
      };
      // PUT with the derived id: two connections creating it at once write one Device.
      await this.#repository.update(device);
    }
    const reference = { reference: `Device/${id}`, display: deviceName };
    this.#known.set(id, reference);
    return reference;
  }

  /** Updates the Device from a STATUS (when what it says changed) and records the STATUS as an Observation. */
  async recordStatus(device: Reference<Device>, status: StatusContent, deviceTime: Date, receivedAt: Date): Promise<Observation> {
    const id = (device.reference as string).split('/')[1] as string;
    const name = IGTL_STATUS[status.code as keyof typeof IGTL_STATUS] ?? `Code ${status.code}`;
    const state = DEVICE_STATE[status.code] ?? { status: 'active' as const };
    const statusReason: CodeableConcept[] = [{ ...(state.reason ? { coding: [{ system: STATUS_REASON_SYSTEM, code: state.reason }] } : {}), text: name }];
    return this.#repository.transaction(async (tx) => {
      const current = (await tx.read('Device', id)) as Device;
      if (current.status !== state.status || JSON.stringify(current.statusReason) !== JSON.stringify(statusReason)) {
        await tx.update({ ...current, status: state.status, statusReason });
      }
      const observation: Observation = {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: PASSERELLE_SYSTEM.toolTracking, code: 'device-status', display: TOOL_TRACKING['device-status'] }] },
        device,
        effectiveInstant: deviceTime.toISOString(),
        issued: receivedAt.toISOString(),
        valueCodeableConcept: {
          coding: [{ system: PASSERELLE_SYSTEM.igtlStatus, code: String(status.code), display: name }],
          // The device's own words (an error name and message), bounded.
          text: [status.errorName, status.message].filter((part) => part !== '').join(': ').slice(0, 1000) || name,
        },
      };
      return (await tx.create(observation)).resource as Observation;
    });
  }
}
