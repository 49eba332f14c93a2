/**
 * Dispatch (SAMU): where is the nearest free bed of a specialty. A search by position, radius and
 * specialty through `$find-available-beds`, its answer as a ranked list and on the map, searched
 * again whenever a ward's bed availability changes (the `/events` stream), so an admission in an
 * EHR shows here as it happens.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { searchAll } from '../fhir.ts';
import { labels, specialtyLabel } from '../labels.ts';
import { apiFetch } from '../session.ts';
import { followEvents } from '../live.ts';
import { Conversation } from '../messages/Conversation.tsx';
import { BedMap } from './BedMap.tsx';
import { bedsUrl, hospitalsOf, SPECIALTY_SYSTEM, type BedQuery, type HospitalBeds } from './beds.ts';

/** Bordeaux, where the demo region lies: a starting point the dispatcher changes. */
const START: BedQuery = { latitude: 44.8378, longitude: -0.5792, radiusKm: 100, specialty: '' };
const BED_AVAILABILITY = 'bed-availability';

export function Dispatch() {
  const [query, setQuery] = useState<BedQuery>(START);
  const [draft, setDraft] = useState<BedQuery>(START);
  const [hospitals, setHospitals] = useState<HospitalBeds[] | undefined>();
  const [specialties, setSpecialties] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [connected, setConnected] = useState(false);
  const [selected, setSelected] = useState<HospitalBeds | undefined>();
  const latest = useRef(query);
  latest.current = query;

  const search = useCallback(async (asked: BedQuery) => {
    try {
      const response = await apiFetch(bedsUrl(asked), { headers: { accept: 'application/fhir+json' } });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      // An older answer arriving after a newer question is not shown.
      if (latest.current === asked) setHospitals(hospitalsOf(await response.json()));
      setError(undefined);
    } catch (err) {
      setError(String(err));
    }
  }, []);

  useEffect(() => void search(query), [query, search]);

  useEffect(() => {
    // The server's CodeSystem when the role may read it (samu-dispatch may not), else the console's own list.
    const known = Object.keys(labels.specialties);
    searchAll<{ resourceType: string; concept?: { code: string }[] }>(`CodeSystem?url=${encodeURIComponent(SPECIALTY_SYSTEM)}`).then(
      ([system]) => setSpecialties(system?.concept?.length ? system.concept.map((c) => c.code) : known),
      () => setSpecialties(known),
    );
    let pending: ReturnType<typeof setTimeout> | undefined;
    const stop = followEvents(new URLSearchParams({ type: 'Observation' }), (message) => {
      const code = (message.resource as { code?: { coding?: { code?: string }[] } } | undefined)?.code?.coding?.[0]?.code;
      if (message.event !== 'change' || code !== BED_AVAILABILITY) return;
      // A transfer changes two wards at once: one search for both.
      clearTimeout(pending);
      pending = setTimeout(() => void search(latest.current), 100);
    }, setConnected);
    return () => {
      clearTimeout(pending);
      stop();
    };
  }, [search]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setQuery({ ...draft });
  };
  const number = (key: 'latitude' | 'longitude' | 'radiusKm') => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: Number(e.target.value) }),
  });

  return (
    <section aria-labelledby="dispatch-title" className="dispatch">
      <h2 id="dispatch-title">
        {labels.dispatch} <span className={connected ? 'live' : 'offline'} role="status">{connected ? `● ${labels.live}` : `○ ${labels.offline}`}</span>
      </h2>
      <form onSubmit={submit} className="bed-search">
        <label>{labels.latitude} <input type="number" step="0.0001" min="-90" max="90" required {...number('latitude')} /></label>
        <label>{labels.longitude} <input type="number" step="0.0001" min="-180" max="180" required {...number('longitude')} /></label>
        <label>{labels.radius} <input type="number" step="1" min="1" max="500" required {...number('radiusKm')} /></label>
        <label>
          {labels.specialty}{' '}
          <select value={draft.specialty} onChange={(e) => setDraft({ ...draft, specialty: e.target.value })} name="specialty">
            <option value="">{labels.anySpecialty}</option>
            {specialties.map((code) => <option key={code} value={code}>{specialtyLabel(code)}</option>)}
          </select>
        </label>
        <button type="submit">{labels.search}</button>
      </form>
      {error && <p role="alert">{labels.loadFailed}: {error}</p>}
      <div className="dispatch-body">
        <BedMap query={query} hospitals={hospitals ?? []} />
        <div className="bed-results">
          {!hospitals ? <p>{labels.loading}</p> : hospitals.length === 0 ? <p>{labels.noFreeBed}</p> : (
            <table>
              <thead><tr><th>{labels.hospital}</th><th>{labels.distance}</th><th>{labels.freeBedsHeader}</th><th /></tr></thead>
              <tbody>
                {hospitals.map((h) => (
                  <tr key={h.id} data-hospital={h.id}>
                    <td>{h.name}</td>
                    <td>{h.distanceKm.toFixed(1)} km</td>
                    <td className="free-beds">{h.available} / {h.total}</td>
                    <td><button type="button" onClick={() => setSelected(h)} aria-pressed={selected?.id === h.id}>{labels.write}</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {selected && <Conversation key={selected.id} hospital={selected} side="dispatch" />}
        </div>
      </div>
    </section>
  );
}
