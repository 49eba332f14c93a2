/** A hospital's wards: beds occupied now and over the last 24 hours, from the Observations' history. */
import { useEffect, useState } from 'react';
import { searchAll } from '../fhir.ts';
import { labels } from '../labels.ts';
import { BED_AVAILABILITY_SYSTEM, sparkline, timelineOf, type BedAvailability, type WardOccupancy } from './occupancy.ts';

async function loadOccupancy(hospital: string): Promise<WardOccupancy[]> {
  const found = await searchAll<BedAvailability | { resourceType: 'Location'; id?: string; name?: string }>(
    `Observation?code=${encodeURIComponent(`${BED_AVAILABILITY_SYSTEM}|bed-availability`)}&performer=Organization/${encodeURIComponent(hospital)}&_include=Observation:subject&_count=100`,
  );
  const names = new Map(found.filter((r) => r.resourceType === 'Location').map((l) => [`Location/${l.id}`, (l as { name?: string }).name ?? l.id ?? '']));
  const since = new Date(Date.now() - 24 * 3600_000).toISOString();
  const observations = found.filter((r): r is BedAvailability => r.resourceType === 'Observation');
  const wards = await Promise.all(observations.map(async (observation) => {
    const versions = await searchAll<BedAvailability>(`Observation/${observation.id}/_history?_since=${encodeURIComponent(since)}&_count=500`);
    const ward = observation.subject?.reference ?? '';
    return { ward, name: names.get(ward) ?? observation.subject?.display ?? ward, points: timelineOf([...versions, observation]) };
  }));
  return wards.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

export function WardOccupancyTable({ hospitalId, refresh }: { hospitalId: string; refresh: number }) {
  const [wards, setWards] = useState<WardOccupancy[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    loadOccupancy(hospitalId).then(setWards, (err: unknown) => setError(String(err)));
  }, [hospitalId, refresh]);
  if (error) return <p role="alert">{labels.loadFailed}: {error}</p>;
  if (!wards) return <p>{labels.loading}</p>;
  const now = new Date();
  return (
    <table className="occupancy">
      <caption>{labels.wardOccupancy}</caption>
      <thead><tr><th>{labels.ward}</th><th>{labels.occupiedNow}</th><th>{labels.last24h}</th></tr></thead>
      <tbody>
        {wards.map((ward) => {
          const current = ward.points.at(-1);
          const occupied = ward.points.map((p) => p.occupied);
          return (
            <tr key={ward.ward} data-ward={ward.ward.replace(/^Location\//, '')}>
              <td>{ward.name}</td>
              <td className="occupied-now">{current ? `${current.occupied} / ${current.total}` : '—'}</td>
              <td>
                <svg width="160" height="24" role="img" aria-label={`${labels.between} ${Math.min(...occupied)} ${labels.and} ${Math.max(...occupied)} ${labels.occupiedBeds}`}>
                  <polyline points={sparkline(ward.points, now, 160, 24)} fill="none" stroke="#123b5e" strokeWidth="1.5" />
                </svg>{' '}
                <span className="occupancy-range">{Math.min(...occupied)}–{Math.max(...occupied)}</span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
