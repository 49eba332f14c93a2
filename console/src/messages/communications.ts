/**
 * Messages between dispatch and a hospital about a patient on the way, as FHIR Communication
 * resources (sender, recipient, about, payload), created through the REST API so every other
 * reader (and the `/events` stream) sees them as they are written.
 * @see https://hl7.org/fhir/R4/communication.html
 */
import { searchAll, type Resource } from '../fhir.ts';
import { apiFetch } from '../session.ts';

const BASE = 'https://passerelle.health/fhir';
/** The profile dispatch may read and write Communications of, and no other (README, Authentication). */
export const PATIENT_TRANSFER_PROFILE = `${BASE}/StructureDefinition/patient-transfer-communication`;
const CATEGORY = { system: `${BASE}/CodeSystem/communication-category`, code: 'patient-transfer' };
const DISPATCH_CENTRE_TYPE = `${BASE}/CodeSystem/organization-role|dispatch-centre`;

export interface Party {
  reference?: string;
  display?: string;
}

/** Without a dispatch-centre Organization on the server, dispatch still signs its messages. */
export const UNREGISTERED_DISPATCH: Party = { display: 'SAMU – régulation' };

/**
 * The dispatch centre (SAMU) as a reference: the Organization typed `dispatch-centre`, the first
 * if a server holds several (one per département); else a display-only party.
 */
export async function dispatchCentre(): Promise<Party> {
  const [found] = await searchAll<Resource & { name?: string }>(`Organization?type=${encodeURIComponent(DISPATCH_CENTRE_TYPE)}&_count=1`).catch(() => []);
  return found?.id ? { reference: `Organization/${found.id}`, display: found.name ?? UNREGISTERED_DISPATCH.display } : UNREGISTERED_DISPATCH;
}

export interface Communication extends Resource {
  resourceType: 'Communication';
  status: 'completed';
  meta?: { profile?: string[] };
  category?: { coding?: { system: string; code: string }[]; text?: string }[];
  sent?: string;
  sender?: Party;
  recipient?: Party[];
  about?: { display?: string }[];
  payload?: { contentString?: string }[];
}

/** Whether a Communication is a patient-transfer message between dispatch and this hospital (either way). */
export function involves(communication: Communication, hospital: string): boolean {
  const reference = `Organization/${hospital}`;
  if (!(communication.meta?.profile ?? []).some((url) => url.split('|')[0] === PATIENT_TRANSFER_PROFILE)) return false;
  return communication.sender?.reference === reference || (communication.recipient ?? []).some((r) => r.reference === reference);
}

/** The conversation with a hospital, oldest first. */
export async function conversation(hospital: string): Promise<Communication[]> {
  const [received, sent] = await Promise.all([
    searchAll<Communication>(`Communication?recipient=Organization/${encodeURIComponent(hospital)}&_profile=${encodeURIComponent(PATIENT_TRANSFER_PROFILE)}&_count=100`),
    searchAll<Communication>(`Communication?sender=Organization/${encodeURIComponent(hospital)}&_profile=${encodeURIComponent(PATIENT_TRANSFER_PROFILE)}&_count=100`),
  ]);
  return merged([], [...received, ...sent]);
}

/** The messages with new or updated ones, each once, in the order they were sent. */
export function merged(current: Communication[], more: Communication[]): Communication[] {
  const byId = new Map(current.map((c) => [c.id, c]));
  for (const communication of more) byId.set(communication.id, communication);
  return [...byId.values()].sort((a, b) => (a.sent ?? '').localeCompare(b.sent ?? ''));
}

/** A message from dispatch to the hospital, or from the hospital to dispatch (the patient-transfer profile). */
export function message(options: { hospital: { id: string; name: string }; dispatch: Party; fromHospital: boolean; about: string; text: string; now?: Date }): Communication {
  const hospital = { reference: `Organization/${options.hospital.id}`, display: options.hospital.name };
  return {
    resourceType: 'Communication',
    meta: { profile: [PATIENT_TRANSFER_PROFILE] },
    status: 'completed',
    category: [{ coding: [CATEGORY], text: 'patient-transfer' }],
    sent: (options.now ?? new Date()).toISOString(),
    sender: options.fromHospital ? hospital : options.dispatch,
    recipient: [options.fromHospital ? options.dispatch : hospital],
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
