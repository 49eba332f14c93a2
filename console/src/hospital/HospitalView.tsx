/**
 * One hospital (#/hospital/<Organization id>): its wards' occupancy over the day, kept current
 * from the stream, and its side of the messages with dispatch: the receiving team's screen.
 */
import { useEffect, useState } from 'react';
import { labels } from '../labels.ts';
import { apiFetch } from '../session.ts';
import { followEvents } from '../live.ts';
import { Conversation } from '../messages/Conversation.tsx';
import { WardOccupancyTable } from './WardOccupancy.tsx';

export function HospitalView({ hospitalId }: { hospitalId: string }) {
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const stop = followEvents(new URLSearchParams({ type: 'Observation' }), (message) => {
      const performer = (message.resource as { performer?: { reference?: string }[] } | undefined)?.performer?.[0]?.reference;
      if (message.event !== 'change' || performer !== `Organization/${hospitalId}`) return;
      clearTimeout(pending);
      pending = setTimeout(() => setRefresh((n) => n + 1), 200);
    }, () => undefined);
    return () => {
      clearTimeout(pending);
      stop();
    };
  }, [hospitalId]);
  const [name, setName] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    apiFetch(`/fhir/Organization/${encodeURIComponent(hospitalId)}`, { headers: { accept: 'application/fhir+json' } })
      .then(async (response) => {
        if (!response.ok) throw new Error(response.status === 404 ? labels.noSuchHospital : `${response.status}`);
        setName(((await response.json()) as { name?: string }).name ?? hospitalId);
      })
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [hospitalId]);
  if (error) return <p role="alert">{error}</p>;
  if (!name) return <p>{labels.loading}</p>;
  return (
    <section aria-labelledby="hospital-title">
      <h2 id="hospital-title">{name}</h2>
      <div className="hospital-grid">
        <WardOccupancyTable hospitalId={hospitalId} refresh={refresh} />
        <Conversation hospital={{ id: hospitalId, name }} side="hospital" />
      </div>
    </section>
  );
}
