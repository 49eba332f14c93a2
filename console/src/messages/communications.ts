/**
 * Messages between dispatch and a hospital about a patient on the way, as FHIR Communication
 * resources (sender, recipient, about, payload), created through the REST API so every other
 * reader (and the `/events` stream) sees them as they are written.
 * @see https://hl7.org/fhir/R4/communication.html
 */
import { searchAll, type Resource } from '../fhir.ts';
import { apiFetch } from '../session.ts';

/** Dispatch speaks as the SAMU's regulation centre; it has no Organization of its own in the model yet. */
export const DISPATCH = { display: 'SAMU — régulation' };

export interface Communication extends Resource {
  resourceType: 'Communication';
  status: 'completed';
  category?: { text?: string }[];
  sent?: string;
  sender?: { reference?: string; display?: string };
  recipient?: { reference?: string; display?: string }[];
  about?: { display?: string }[];
  payload?: { contentString?: string }[];
}

/** Whether a Communication is between dispatch and this hospital (either way). */
export function involves(communication: Communication, hospital: string): boolean {
  const reference = `Organization/${hospital}`;
  return communication.sender?.reference === reference || (communication.recipient ?? []).some((r) => r.reference === reference);
}

/** The conversation with a hospital, oldest first. */
export async function conversation(hospital: string): Promise<Communication[]> {
  const [received, sent] = await Promise.all([
    searchAll<Communication>(`Communication?recipient=Organization/${encodeURIComponent(hospital)}&_count=100`),
    searchAll<Communication>(`Communication?sender=Organization/${encodeURIComponent(hospital)}&_count=100`),
  ]);
  return merged([], [...received, ...sent]);
}

/** The messages with new or updated ones, each once, in the order they were sent. */
export function merged(current: Communication[], more: Communication[]): Communication[] {
  const byId = new Map(current.map((c) => [c.id, c]));
  for (const communication of more) byId.set(communication.id, communication);
  return [...byId.values()].sort((a, b) => (a.sent ?? '').localeCompare(b.sent ?? ''));
}

/** A message from dispatch to the hospital, or from the hospital to dispatch. */
export function message(options: { hospital: { id: string; name: string }; fromHospital: boolean; about: string; text: string; now?: Date }): Communication {
  const hospital = { reference: `Organization/${options.hospital.id}`, display: options.hospital.name };
  return {
    resourceType: 'Communication',
    status: 'completed',
    category: [{ text: 'patient-transfer' }],
    sent: (options.now ?? new Date()).toISOString(),
    sender: options.fromHospital ? hospital : DISPATCH,
    recipient: [options.fromHospital ? DISPATCH : hospital],
    ...(options.about ? { about: [{ display: options.about }] } : {}),
    payload: [{ contentString: options.text }],
  };
}

export async function send(communication: Communication): Promise<Communication> {
  const response = await apiFetch('/fhir/Communication', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: JSON.stringify(communication),
  });
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as Communication;
}
