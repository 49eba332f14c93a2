/**
 * IMAGE messages into the imaging record: at most one image per device every `intervalMs` (by
 * the device's clock; an ultrasound stream at 15 Hz keeps one frame a second by default) becomes
 * a DICOM instance of the procedure under way in the room, in one series per device, stored
 * through the DICOMweb store, so viewers find it by QIDO and WADO and in the ImagingStudy.
 */
import { randomUUID } from 'node:crypto';
import type { Device, Reference } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/index.ts';
import type { IgtlMessage, ImageContent } from '../codec/index.ts';
import { dicomImage } from './dicom-image.ts';
import { equipmentKind } from './equipment.ts';
import { derivedUid, procedureIn } from './procedure.ts';

/** Stores one Part 10 instance; rejects when it was not stored. */
export type StoreDicom = (instance: Buffer) => Promise<void>;

export interface StoredImage {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
}

export class RoomImages {
  readonly #repository: Repository;
  readonly #store: StoreDicom;
  readonly #intervalMs: number;
  /** Per device, when its last image was kept (device clock, ms). */
  readonly #lastKept = new Map<string, number>();
  /** Per series, the last instance number given (numbers follow arrival, from 1 at each start). */
  readonly #numbers = new Map<string, number>();

  constructor(options: { repository: Repository; store: StoreDicom; intervalMs: number }) {
    this.#repository = options.repository;
    this.#store = options.store;
    this.#intervalMs = options.intervalMs;
  }

  /** Whether this device's image of `deviceTime` is to be kept (and, if so, the next one waits the interval). */
  isDue(device: Reference<Device>, deviceTime: Date): boolean {
    const key = device.reference as string;
    const last = this.#lastKept.get(key);
    if (last !== undefined && deviceTime.getTime() - last < this.#intervalMs && deviceTime.getTime() >= last) return false;
    this.#lastKept.set(key, deviceTime.getTime());
    return true;
  }

  /** Stores the image as a DICOM instance of the room's procedure. */
  async store(message: IgtlMessage & { content: ImageContent }, device: Reference<Device>, room: string, deviceTime: Date): Promise<StoredImage> {
    const procedure = await procedureIn(this.#repository, room, deviceTime);
    const seriesUid = derivedUid(`igtl/${procedure.key}/${message.deviceName}`);
    const instanceNumber = (this.#numbers.get(seriesUid) ?? 0) + 1;
    this.#numbers.set(seriesUid, instanceNumber);
    const sopInstanceUid = `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString(10)}`;
    const modality = message.metadata?.find(([name]) => name === 'Modality')?.[1];
    await this.#store(dicomImage(message.content, {
      studyUid: procedure.studyUid,
      seriesUid,
      sopInstanceUid,
      // Stable per device within a study (IS: a small positive number), so viewers order series alike.
      seriesNumber: 1 + (Number.parseInt(seriesUid.slice(-6), 10) % 9999),
      instanceNumber,
      studyId: room,
      studyDescription: procedure.description,
      deviceName: message.deviceName,
      room,
      acquired: deviceTime,
      ultrasound: modality === 'US' || equipmentKind(message.deviceName) === 'ultrasound-system',
      ...(procedure.patient ? { patient: procedure.patient } : {}),
    }));
    return { studyUid: procedure.studyUid, seriesUid, sopInstanceUid };
  }
}
