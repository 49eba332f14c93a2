/**
 * Signing in to the console: a bearer token from `POST /auth/token` (README, Authentication),
 * obtained with the user's directory login and password as Basic credentials, kept for the tab
 * (sessionStorage) until it expires, and sent with every API call and WebSocket (`access_token`).
 * Calls go without the browser's own credentials, so a 401 never opens the browser's login box.
 * Without authentication configured (loopback), the API answers without a token and none is asked.
 */
const KEY = 'passerelle.session';

export interface Session {
  token: string;
  name: string;
  roles: string[];
  /** ms since the epoch */
  expiresAt: number;
}

export class LoginRefused extends Error {}

export function currentSession(): Session | undefined {
  const stored = sessionStorage.getItem(KEY);
  const session = stored ? (JSON.parse(stored) as Session) : undefined;
  if (session && session.expiresAt > Date.now() + 5000) return session;
  sessionStorage.removeItem(KEY);
  return undefined;
}

/** The token's claims (name, roles): the console only reads them; the server verifies the token. */
function claimsOf(token: string): { name?: string; roles?: string[] } {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as { name?: string; roles?: string[] };
}

export async function logIn(username: string, password: string): Promise<Session> {
  const credentials = btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)));
  const response = await fetch('/auth/token', { method: 'POST', credentials: 'omit', headers: { authorization: `Basic ${credentials}` } });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!response.ok || !body.access_token) throw new LoginRefused(body.error_description ?? `${response.status}`);
  const claims = claimsOf(body.access_token);
  const session: Session = { token: body.access_token, name: claims.name ?? username, roles: claims.roles ?? [], expiresAt: Date.now() + (body.expires_in ?? 0) * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function logOut(): void {
  sessionStorage.removeItem(KEY);
}

/** fetch() for Passerelle's APIs: the session's token, never the browser's own credentials. */
export function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const token = currentSession()?.token;
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(url, { ...init, headers, credentials: 'omit' });
}

/** Whether the API wants a login: asked once at start, with the stored token if there is one. */
export async function needsLogin(): Promise<boolean> {
  return (await apiFetch('/fhir/Location?_count=1&_summary=count', { headers: { accept: 'application/fhir+json' } })).status === 401;
}

/** The views a session's roles are for: dispatch sees beds and messages, not the operating rooms. */
export function viewsFor(session: Session | undefined): ('rooms' | 'dispatch')[] {
  if (!session) return ['rooms', 'dispatch'];
  const roles = new Set(session.roles);
  const views: ('rooms' | 'dispatch')[] = [];
  if (roles.has('clinician') || roles.has('admin')) views.push('rooms');
  if (roles.has('samu-dispatch') || roles.has('clinician') || roles.has('admin')) views.push('dispatch');
  return views;
}
