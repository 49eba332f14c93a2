/**
 * From OpenIGTLink into the OR's record and the live stream (the server's sink):
 * - each device name in an operating room (IGTL_ROOM_MAP) is a Device of that room;
 * - STATUS updates the Device and is recorded as a device-status Observation;
 * - tracking messages (TRANSFORM, POSITION, QTDATA, TDATA) go to the live stream at full rate,
 *   one pose event per tool, and are persisted as tool-tracking Observations at most once per
 *   `persistIntervalMs` per tool (1 s by default: the record of where a tool was, not a replay),
 *   written in the background so that the database never holds the stream back (bounded: see
 *   background-writer.ts);
 * - IMAGE is announced on the live stream at full rate ('frame') and, when an image store is
 *   given, kept as a DICOM instance of the room's procedure at most once per `images.intervalMs`
 *   per device, in the background ('image' once stored; see images.ts);
 * - STRING goes to the live stream ('text'), bounded, as what the device said;
 * - both clocks are kept (the device's in effectiveInstant, Passerelle's in issued) and their
 *   difference is reported per device.
 * A device whose room is not configured is reported once and its messages are not recorded.
 */
import type { Device, Observation, Reference, Resource } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/index.ts';
import { poseObservation } from '../../profiles/index.ts';
import { timestampToMillis, type IgtlMessage } from '../codec/index.ts';
import type { Arrival, IgtlSink } from '../server/index.ts';
import { BackgroundWriter } from './background-writer.ts';
import { Equipment } from './equipment.ts';
import { RoomImages, type PendingImage, type StoreDicom } from './images.ts';
import { posesOf } from './poses.ts';
import type { RoomMap } from './room-map.ts';

/** Where events that are not stored go (the `/events` stream). */
export interface LiveEvents {
  broadcast(event: string, resource: Resource, location: string | undefined, extra?: Record<string, unknown>): void;
}

export interface BridgeOptions {
  repository: Repository;
  rooms: RoomMap;
  live?: LiveEvents;
  /** Minimum time between two persisted poses of one tool (default 1000 ms). */
  persistIntervalMs?: number;
  /** Where IMAGE messages are stored as DICOM, and at most how often per device (default 10 s). */
  images?: { store: StoreDicom; intervalMs?: number };
  /** The device clock minus Passerelle's, in seconds, at each message. */
  onClockOffset?(deviceName: string, seconds: number): void;
  /** A device that no IGTL_ROOM_MAP entry places in a room (once per device and peer). */
  onUnplaced?(deviceName: string, peerAddress: string): void;
  onError(err: unknown): void;
}

export class IgtlBridge implements IgtlSink {
  readonly #options: BridgeOptions;
  readonly #equipment: Equipment;
  /** Per device and tool, when its last pose was persisted (device clock, ms). */
  readonly #lastPersisted = new Map<string, number>();
  readonly #unplaced = new Set<string>();
  readonly #images: RoomImages | undefined;
  /** Poses and images to record, written off the live path (see background-writer.ts). */
  readonly #poseWriter: BackgroundWriter<Observation>;
  readonly #imageWriter: BackgroundWriter<PendingImage>;

  constructor(options: BridgeOptions) {
    this.#options = options;
    this.#equipment = new Equipment(options.repository);
    this.#images = options.images && new RoomImages({ repository: options.repository, store: options.images.store, intervalMs: options.images.intervalMs ?? 10_000 });
    const onDropped = (what: string) => (dropped: number): void => {
      if (dropped === 1 || dropped % 1000 === 0) options.onError(new Error(`the database is too slow for the OpenIGTLink record: ${dropped} ${what} not recorded so far`));
    };
    // A pose per write (a short transaction); the images waiting, all together (one ImagingStudy
    // update per study). Bounds: 10,000 poses is 8 minutes of 20 tools at 1 Hz; 16 images of 512x512, 4 MB.
    this.#poseWriter = new BackgroundWriter({
      write: async ([observation]) => void (await options.repository.create(observation as Observation)),
      maxBatch: 1, maxPending: 10_000, onError: options.onError, onDropped: onDropped('poses'),
    });
    this.#imageWriter = new BackgroundWriter({
      write: async (images) => {
        for (const [i, stored] of (await this.#images?.store(images, options.onError) ?? []).entries()) {
          const { device, room, source } = images[i] as PendingImage;
          if (stored) this.#options.live?.broadcast('image', deviceResource(device), room, { ...source, ...stored });
        }
      },
      maxBatch: 16, maxPending: 16, onError: options.onError, onDropped: onDropped('images'),
    });
  }

  /** Resolves once every pose and image decided on so far is recorded (for shutdown and tests). */
  async drain(): Promise<void> {
    await Promise.all([this.#poseWriter.drain(), this.#imageWriter.drain()]);
  }

  async receive(message: IgtlMessage, arrival: Arrival): Promise<void> {
    const { deviceName } = message;
    const room = this.#options.rooms.roomOf(arrival.peerAddress, deviceName);
    if (room === undefined) {
      const key = `${arrival.peerAddress}|${deviceName}`;
      if (!this.#unplaced.has(key)) {
        this.#unplaced.add(key);
        this.#options.onUnplaced?.(deviceName, arrival.peerAddress);
      }
      return;
    }
    try {
      const deviceTime = new Date(timestampToMillis(message.timestamp));
      const receivedAt = new Date(arrival.receivedAt);
      // A device that sends no time (0) has no clock to compare.
      if (message.timestamp.seconds > 0) this.#options.onClockOffset?.(deviceName, (deviceTime.getTime() - receivedAt.getTime()) / 1000);
      const device = await this.#equipment.deviceFor(room, deviceName);
      const { content } = message;
      // The device's name too: a reader may not know the Device yet (its creation and this event race).
      const source = { device: device.reference, deviceName, deviceTime: deviceTime.toISOString(), receivedAt: receivedAt.toISOString() };
      if (content.type === 'STATUS') {
        const observation = await this.#equipment.recordStatus(device, content, deviceTime, receivedAt);
        this.#options.live?.broadcast('status', observation, room);
      } else if (content.type === 'STRING') {
        this.#options.live?.broadcast('text', deviceResource(device), room, { ...source, text: content.value.slice(0, 1000) });
      } else if (content.type === 'IMAGE') {
        const [columns, rows, frames] = content.subvolumeSize;
        this.#options.live?.broadcast('frame', deviceResource(device), room, { ...source, rows, columns, frames });
        if (this.#images?.isDue(device, deviceTime)) this.#imageWriter.put({ message: { ...message, content }, device, room, deviceTime, source });
      } else {
        this.#tracking(message, device, room, deviceTime, receivedAt);
      }
    } catch (err) {
      this.#options.onError(err);
    }
  }

  #tracking(message: IgtlMessage, device: Reference<Device>, room: string, deviceTime: Date, receivedAt: Date): void {
    const interval = this.#options.persistIntervalMs ?? 1000;
    for (const pose of posesOf(message.deviceName, message.content)) {
      const observation = poseObservation({ device, tool: pose.tool, position: pose.position, orientation: pose.orientation, deviceTime, receivedAt });
      this.#options.live?.broadcast('pose', observation, room, { device: device.reference, tool: pose.tool });
      const key = `${device.reference}|${pose.tool}`;
      const last = this.#lastPersisted.get(key);
      // By the device's clock, so a burst delayed on the network is not persisted as if it were spread out.
      if (last === undefined || deviceTime.getTime() - last >= interval || deviceTime.getTime() < last) {
        this.#lastPersisted.set(key, deviceTime.getTime());
        this.#poseWriter.put(observation);
      }
    }
  }
}

/** The Device an event that is not a stored change stands for (for the stream's filters). */
function deviceResource(device: Reference<Device>): Device {
  return { resourceType: 'Device', id: (device.reference as string).slice('Device/'.length) };
}
