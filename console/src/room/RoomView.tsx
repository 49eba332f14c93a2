/**
 * One operating room: its equipment with live status, its tracked tools in 3D moving as the poses
 * stream in (with their positions written out), the images acquired in the room (thumbnails from
 * WADO-RS, the latest first, each opening the viewer) and its event history with both clocks: the
 * device's and Passerelle's.
 */
import { useCallback, useEffect, useState } from 'react';
import { searchAll } from '../fhir.ts';
import { apiFetch } from '../session.ts';
import { AuthorizedImage } from './AuthorizedImage.tsx';
import { ImageViewer, instancePath, type RoomImage } from './ImageViewer.tsx';
import { labels } from '../labels.ts';
import { followEvents, type LiveMessage } from '../live.ts';
import { DeviceStatus } from '../rooms/DeviceStatus.tsx';
import { deviceLabel, withDevice, type Device, type Location, type Room } from '../rooms/model.ts';
import { poseOf, withPose, type TimelineEntry, type ToolPose } from './model.ts';
import { ToolScene } from './ToolScene.tsx';

const TIMELINE_LENGTH = 50;
const uid = (attributes: Record<string, { Value?: unknown[] }>, tag: string): string => String(attributes[tag]?.Value?.[0] ?? '');
/** A time of day to the millisecond, as the device and Passerelle clocks are compared. */
export const CLOCK_FORMAT: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false };
const time = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleTimeString(undefined, CLOCK_FORMAT) : '—');

/** The images of the room: those of the studies the OpenIGTLink bridge made for it (StudyID = the room). */
async function roomImages(room: string): Promise<RoomImage[]> {
  const response = await apiFetch(`/dicomweb/instances?StudyID=${encodeURIComponent(room.slice(0, 16))}&limit=24`, { headers: { accept: 'application/dicom+json' } });
  if (!response.ok) return [];
  const found = (await response.json()) as Record<string, { Value?: unknown[] }>[];
  return found.map((a) => ({ study: uid(a, '0020000D'), series: uid(a, '0020000E'), instance: uid(a, '00080018') })).reverse();
}

function entryOf(message: LiveMessage, devices: Device[]): TimelineEntry | undefined {
  const deviceName = (reference: unknown, display?: string): string => {
    const found = devices.find((d) => `Device/${d.id}` === reference);
    return found ? deviceLabel(found) : display ?? String(reference ?? '');
  };
  const named = typeof message.deviceName === 'string' ? message.deviceName : undefined;
  const extra = { ...(typeof message.deviceTime === 'string' ? { deviceTime: message.deviceTime } : {}), ...(typeof message.receivedAt === 'string' ? { receivedAt: message.receivedAt } : {}) };
  const resource = message.resource as Record<string, unknown> | undefined;
  switch (message.event) {
    case 'status': {
      const observation = resource as { device?: { reference?: string; display?: string }; valueCodeableConcept?: { text?: string }; effectiveInstant?: string; issued?: string };
      return { kind: 'status', summary: `${deviceName(observation.device?.reference, observation.device?.display)}: ${observation.valueCodeableConcept?.text ?? ''}`, ...(observation.effectiveInstant ? { deviceTime: observation.effectiveInstant } : {}), ...(observation.issued ? { receivedAt: observation.issued } : {}) };
    }
    case 'image':
      return { kind: 'image', summary: `${deviceName(message.device, named)}: ${labels.imageStored}`, ...extra };
    case 'text':
      return { kind: 'text', summary: `${deviceName(message.device, named)}: « ${String(message.text ?? '')} »`, ...extra };
    case 'change':
      if (message.resourceType !== 'Encounter' && message.resourceType !== 'Device') return undefined;
      return {
        kind: 'change',
        summary: message.resourceType === 'Device' ? `${deviceName(`Device/${message.id}`)}: ${labels.deviceStatus[String(resource?.status ?? 'unknown')] ?? ''}` : `${labels.stay} ${String(resource?.status ?? message.interaction ?? '')}`,
        ...(typeof message.at === 'string' ? { receivedAt: message.at } : {}),
      };
    default:
      return undefined;
  }
}

export function RoomView({ roomId }: { roomId: string }) {
  const [room, setRoom] = useState<Room | undefined>();
  const [poses, setPoses] = useState<ToolPose[]>([]);
  const [images, setImages] = useState<RoomImage[]>([]);
  const [viewing, setViewing] = useState<RoomImage | undefined>();
  const closeViewer = useCallback(() => setViewing(undefined), []);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let devices: Device[] = [];
    Promise.all([searchAll<Location>(`Location?_id=${encodeURIComponent(roomId)}`), searchAll<Device>(`Device?location=Location/${encodeURIComponent(roomId)}&_count=200`), roomImages(roomId)]).then(
      ([[location], found, acquired]) => {
        if (!location) return setError(labels.noSuchRoom);
        devices = found;
        setRoom({ location, devices: found });
        setImages(acquired);
      },
      (err: unknown) => setError(String(err)),
    );
    const stop = followEvents(new URLSearchParams({ location: `Location/${roomId}` }), (message) => {
      if (message.event === 'pose') {
        const pose = poseOf(message);
        if (pose) setPoses((current) => withPose(current, pose));
        return;
      }
      if (message.event === 'change' && message.resourceType === 'Device' && message.resource) {
        const device = message.resource as unknown as Device;
        devices = [...devices.filter((d) => d.id !== device.id), device];
        setRoom((current) => current && withDevice([current], device, message.interaction === 'delete')[0]);
      }
      if (message.event === 'image') {
        const image = { study: String(message.studyUid), series: String(message.seriesUid), instance: String(message.sopInstanceUid) };
        setImages((current) => [image, ...current].slice(0, 24));
      }
      const entry = entryOf(message, devices);
      if (entry) setTimeline((current) => [entry, ...current].slice(0, TIMELINE_LENGTH));
    }, setConnected);
    return stop;
  }, [roomId]);

  if (error) return <p role="alert">{error}</p>;
  if (!room) return <p>{labels.loading}</p>;
  return (
    <section className="room-view" aria-labelledby="room-title">
      <h2 id="room-title">
        {room.location.name ?? roomId} <span className={connected ? 'live' : 'offline'} role="status">{connected ? `● ${labels.live}` : `○ ${labels.offline}`}</span>
      </h2>
      <div className="room-grid">
        <div>
          <h3>{labels.trackedTools}</h3>
          <ToolScene poses={poses} />
          {poses.length === 0 ? <p>{labels.noTools}</p> : (
            <ul className="tools">
              {poses.map((pose) => (
                <li key={pose.tool} data-tool={pose.tool}>
                  {pose.tool}: <span className="tool-position">{pose.position.map((v) => v.toFixed(1)).join(', ')}</span> mm
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>{labels.equipment}</h3>
          <ul className="devices">
            {room.devices.map((device) => (
              <li key={device.id} className={`device ${device.status ?? 'unknown'}`} data-device={device.id}>
                <span className="device-name">{deviceLabel(device)}</span> <DeviceStatus device={device} />
              </li>
            ))}
          </ul>
          <h3>{labels.images}</h3>
          {images.length === 0 ? <p>{labels.noImages}</p> : (
            <div className="thumbnails">
              {images.map((image) => (
                <button type="button" key={image.instance} className="thumbnail" onClick={() => setViewing(image)} aria-label={labels.openImage}>
                  <AuthorizedImage src={`${instancePath(image)}/thumbnail`} alt={labels.imageOf} size={96} instance={image.instance} />
                </button>
              ))}
            </div>
          )}
          {viewing && <ImageViewer key={viewing.instance} image={viewing} onClose={closeViewer} />}
          <h3>{labels.timeline}</h3>
          <table className="timeline">
            <thead><tr><th>{labels.deviceClock}</th><th>{labels.receivedClock}</th><th>{labels.event}</th></tr></thead>
            <tbody>
              {timeline.map((entry, i) => (
                <tr key={timeline.length - i} data-kind={entry.kind}><td>{time(entry.deviceTime)}</td><td>{time(entry.receivedAt)}</td><td>{entry.summary}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
