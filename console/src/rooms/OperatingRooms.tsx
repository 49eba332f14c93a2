/**
 * The operating rooms: each room's status and its equipment with each device's status, as text
 * and icon (never colour alone), kept live from the `/events` stream.
 */
import { useEffect, useState } from 'react';
import { searchAll } from '../fhir.ts';
import { labels } from '../labels.ts';
import { followEvents } from '../live.ts';
import { DeviceStatus } from './DeviceStatus.tsx';
import { deviceLabel, OPERATING_ROOM_QUERY, withDevice, withLocation, type Device, type Location, type Room } from './model.ts';

async function loadRooms(): Promise<Room[]> {
  const locations = (await searchAll<Location>(OPERATING_ROOM_QUERY)).sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '', undefined, { numeric: true }));
  return Promise.all(
    locations.map(async (location) => ({
      location,
      devices: (await searchAll<Device>(`Device?location=Location/${location.id}&_count=200`)).sort((a, b) => deviceLabel(a).localeCompare(deviceLabel(b))),
    })),
  );
}

export function OperatingRooms() {
  const [rooms, setRooms] = useState<Room[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    let cancelled = false;
    loadRooms().then((loaded) => !cancelled && setRooms(loaded), (err: unknown) => setError(String(err)));
    // Devices and rooms only: poses come many times a second and are for the room's 3D view.
    const stop = followEvents(new URLSearchParams({ type: 'Device,Location' }), (message) => {
      const resource = message.resource;
      if (message.event !== 'change' || !resource) return;
      const deleted = message.interaction === 'delete';
      if (resource.resourceType === 'Device') setRooms((current) => current && withDevice(current, resource as unknown as Device, deleted));
      if (resource.resourceType === 'Location' && !deleted) setRooms((current) => current && withLocation(current, resource as unknown as Location));
    }, setConnected);
    return () => {
      cancelled = true;
      stop();
    };
  }, []);

  if (error) return <p role="alert">{labels.loadFailed}: {error}</p>;
  if (!rooms) return <p>{labels.loading}</p>;
  return (
    <section aria-labelledby="rooms-title">
      <h2 id="rooms-title">
        {labels.operatingRooms} <span className={connected ? 'live' : 'offline'} role="status">{connected ? `● ${labels.live}` : `○ ${labels.offline}`}</span>
      </h2>
      {rooms.length === 0 && <p>{labels.noRooms}</p>}
      <ul className="rooms">
        {rooms.map(({ location, devices }) => (
          <li key={location.id} className="room" data-room={location.id}>
            <h3><a href={`#/room/${location.id}`}>{location.name ?? location.id}</a></h3>
            <p>
              {labels.roomStatus}: <strong>{labels.roomOccupancy[location.operationalStatus?.code ?? ''] ?? location.operationalStatus?.display ?? '—'}</strong>
            </p>
            <h4>{labels.equipment}</h4>
            {devices.length === 0 && <p>{labels.noEquipment}</p>}
            <ul className="devices">
              {devices.map((device) => (
                <li key={device.id} className={`device ${device.status ?? 'unknown'}`} data-device={device.id}>
                  <span className="device-name">{deviceLabel(device)}</span> <DeviceStatus device={device} />
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}
