/** A hospital's side of dispatch messages (#/hospital/<Organization id>): the receiving team's screen. */
import { useEffect, useState } from 'react';
import { labels } from '../labels.ts';
import { Conversation } from './Conversation.tsx';

export function HospitalInbox({ hospitalId }: { hospitalId: string }) {
  const [name, setName] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    fetch(`/fhir/Organization/${encodeURIComponent(hospitalId)}`, { headers: { accept: 'application/fhir+json' } })
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
      <Conversation hospital={{ id: hospitalId, name }} side="hospital" />
    </section>
  );
}
