/**
 * The operating rooms: each room's status and its equipment with each device's status, as text
 * and icon (never colour alone), kept live from the `/events` stream.
 */
import { useEffect, useState } from 'react';
import { searchAll } from '../fhir.ts';
import { labels } from '../labels.ts';
import { followEvents } from '../live.ts';
import { DeviceStatus } from './DeviceStatus.tsx';
import { loadProcedure, procedureLabel, startOf, type RoomProcedure } from './procedure.ts';
import { deviceLabel, locationsOf, OPERATING_ROOM_QUERY, withDevice, withLocation, type Device, type Location, type Room } from './model.ts';

const clock = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false }) : '');

function ProcedureLine({ procedure }: { procedure: RoomProcedure | undefined }) {
  if (!procedure) return null;
  const { performing, current, next, encounterInProgress } = procedure;
  return (
    <p className="procedure">
      {performing ? (
        <>{labels.underWay}: <strong>{procedureLabel(performing)}</strong> ({labels.since} {clock(startOf(performing)) || '—'}){next ? ` · ${labels.nextProcedure}: ${procedureLabel(next)} (${clock(next.start)})` : ''}</>
      ) : current ? (
        <>{labels.underWay}: <strong>{procedureLabel(current)}</strong> ({clock(current.start)}–{clock(current.end)})</>
      ) : next ? (
        <>{labels.nextProcedure}: <strong>{procedureLabel(next)}</strong> ({clock(next.start)})</>
      ) : (
        labels.noProcedure
      )}
      {encounterInProgress ? ` · ${labels.patientInRoom}` : ''}
    </p>
  );
}

async function loadRooms(): Promise<Room[]> {
  const locations = (await searchAll<Location>(OPERATING_ROOM_QUERY)).sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '', undefined, { numeric: true }));
  return Promise.all(
    locations.map(async (location) => ({
      location,
      devices: (await searchAll<Device>(`Device?location=Location/${location.id}&_count=200`)).sort((a, b) => deviceLabel(a).localeCompare(deviceLabel(b))),
      procedure: await loadProcedure(location.id as string).catch(() => undefined),
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
    // Not poses: they come many times a second and are for the room's 3D view.
    const stop = followEvents(new URLSearchParams({ type: 'Device,Location,Appointment,Encounter,Procedure' }), (message) => {
      const resource = message.resource;
      if (message.event !== 'change' || !resource) return;
      if (resource.resourceType === 'Appointment' || resource.resourceType === 'Encounter' || resource.resourceType === 'Procedure') {
        // A booking, a stay or a procedure in a room: that room's procedure is read again.
        for (const room of locationsOf(resource)) void loadProcedure(room).then((procedure) => setRooms((current) => current?.map((r) => (r.location.id === room ? { ...r, procedure } : r))));
        return;
      }
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
        {rooms.map(({ location, devices, procedure }) => (
          <li key={location.id} className="room" data-room={location.id}>
            <h3><a href={`#/room/${location.id}`}>{location.name ?? location.id}</a></h3>
            <p>
              {labels.roomStatus}: <strong>{labels.roomOccupancy[location.operationalStatus?.code ?? ''] ?? location.operationalStatus?.display ?? '—'}</strong>
            </p>
            <ProcedureLine procedure={procedure} />
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
