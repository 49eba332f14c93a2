/**
 * IMAGE messages into the imaging record: at most one image per device every `intervalMs` (by
 * the device's clock) becomes a DICOM instance of the procedure under way in the room, in one
 * series per device, stored through the DICOMweb store, so viewers find it by QIDO and WADO and
 * in the ImagingStudy.
 */
import { randomUUID } from 'node:crypto';
import type { Device, Reference } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/index.ts';
import type { IgtlMessage, ImageContent } from '../codec/index.ts';
import { dicomImage } from './dicom-image.ts';
import { UnstorableImageError } from './dicom-pixels.ts';
import { equipmentKind } from './equipment.ts';
import { derivedUid, procedureIn, type Procedure } from './procedure.ts';

/** Stores Part 10 instances; rejects when one was not stored. */
export type StoreDicom = (instances: Buffer[]) => Promise<void>;

/** An image that is due to be kept, and what the live stream says of it. */
export interface PendingImage {
  message: IgtlMessage & { content: ImageContent };
  device: Reference<Device>;
  room: string;
  deviceTime: Date;
  source: Record<string, unknown>;
}

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

  /**
   * Stores the images as DICOM instances of their room's procedure, all in one call of the
   * store; what was stored, in the images' order (undefined for an image with no DICOM form,
   * which is reported and skipped: the others are stored).
   */
  async store(images: PendingImage[], onUnstorable: (err: UnstorableImageError) => void): Promise<(StoredImage | undefined)[]> {
    const procedures = new Map<string, Promise<Procedure>>();
    const stored: (StoredImage | undefined)[] = [];
    const instances: Buffer[] = [];
    for (const image of images) {
      // One lookup per room and batch: the images of a batch are a few seconds apart at most.
      let lookup = procedures.get(image.room);
      if (!lookup) procedures.set(image.room, (lookup = procedureIn(this.#repository, image.room, image.deviceTime)));
      try {
        const { instance, uids } = this.#instanceOf(image, await lookup);
        instances.push(instance);
        stored.push(uids);
      } catch (err) {
        if (!(err instanceof UnstorableImageError)) throw err;
        onUnstorable(err);
        stored.push(undefined);
      }
    }
    if (instances.length === 0) return stored;
    await this.#store(instances);
    return stored;
  }

  #instanceOf({ message, room, deviceTime }: PendingImage, procedure: Procedure): { instance: Buffer; uids: StoredImage } {
    const seriesUid = derivedUid(`igtl/${procedure.key}/${message.deviceName}`);
    const sopInstanceUid = `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString(10)}`;
    const modality = message.metadata?.find(([name]) => name === 'Modality')?.[1];
    const instance = dicomImage(message.content, {
      studyUid: procedure.studyUid,
      seriesUid,
      sopInstanceUid,
      // Stable per device within a study (IS: a small positive number), so viewers order series alike.
      seriesNumber: 1 + (Number.parseInt(seriesUid.slice(-6), 10) % 9999),
      instanceNumber: (this.#numbers.get(seriesUid) ?? 0) + 1,
      studyId: room,
      studyDescription: procedure.description,
      deviceName: message.deviceName,
      room,
      acquired: deviceTime,
      ultrasound: modality === 'US' || equipmentKind(message.deviceName) === 'ultrasound-system',
      ...(procedure.patient ? { patient: procedure.patient } : {}),
    });
    // Numbered once the instance exists: an image that has no DICOM form takes no number.
    this.#numbers.set(seriesUid, (this.#numbers.get(seriesUid) ?? 0) + 1);
    return { instance, uids: { studyUid: procedure.studyUid, seriesUid, sopInstanceUid } };
  }
}
