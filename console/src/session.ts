/**
 * Signing in to the console: a bearer token from `POST /auth/negotiate` for the browser's Kerberos
 * ticket, else from `POST /auth/token` with the user's directory login and password as Basic
 * credentials (README, Authentication), kept for the tab (sessionStorage) until it expires, and
 * sent with every API call and WebSocket (`access_token`).
 * Calls go without the browser's own credentials, so a 401 never opens the browser's login box.
 * Without authentication configured (loopback), the API answers without a token and none is asked.
 */
const KEY = 'passerelle.session';
const SIGNED_OUT = 'passerelle.signed-out';
const NEGOTIATE_RETRY_MS = 300;

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

/** The session for the token in a `POST /auth/token` or `/auth/negotiate` answer. */
async function sessionFrom(response: Response, fallbackName: string): Promise<Session> {
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!response.ok || !body.access_token) throw new LoginRefused(body.error_description ?? `${response.status}`);
  const claims = claimsOf(body.access_token);
  const session: Session = { token: body.access_token, name: claims.name ?? fallbackName, roles: claims.roles ?? [], expiresAt: Date.now() + (body.expires_in ?? 0) * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  sessionStorage.removeItem(SIGNED_OUT);
  return session;
}

export async function logIn(username: string, password: string): Promise<Session> {
  const credentials = btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)));
  const response = await fetch('/auth/token', { method: 'POST', credentials: 'omit', headers: { authorization: `Basic ${credentials}` } });
  return sessionFrom(response, username);
}

/**
 * Kerberos single sign-on: `/auth/negotiate` challenges with Negotiate only, so a browser with a
 * ticket for this server (and the server among its allowed ones) answers by itself, and one without
 * gets the 401 back with no login box. Undefined without a ticket: the form is for that.
 */
export async function singleSignOn(): Promise<Session | undefined> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch('/auth/negotiate', { method: 'POST', credentials: 'same-origin' });
    // Chromium on Linux loads its Kerberos library only once it has seen a Negotiate challenge,
    // so the first one a browser ever meets fails: ask once more, a moment later.
    if (response.status === 401 && attempt === 1) {
      await new Promise((resolve) => setTimeout(resolve, NEGOTIATE_RETRY_MS));
      continue;
    }
    try {
      return await sessionFrom(response, '');
    } catch (err) {
      if (err instanceof LoginRefused) return undefined;
      throw err;
    }
  }
}

/** Whether the user signed out in this tab: single sign-on then waits to be asked. */
export function signedOut(): boolean {
  return sessionStorage.getItem(SIGNED_OUT) !== null;
}

export function logOut(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.setItem(SIGNED_OUT, '1');
}

/** fetch() for Passerelle's APIs: the session's token, never the browser's own credentials. */
export function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const token = currentSession()?.token;
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(url, { ...init, headers, credentials: 'omit' });
}

/**
 * Whether the API wants a login, asked once at start with the stored token if there is one, and
 * whether Kerberos is among the ways offered (its 401's challenges, RFC 7235).
 */
export async function loginWanted(): Promise<{ kerberos: boolean } | undefined> {
  const response = await apiFetch('/fhir/Location?_count=1&_summary=count', { headers: { accept: 'application/fhir+json' } });
  if (response.status !== 401) return undefined;
  return { kerberos: /(^|,)\s*Negotiate\b/i.test(response.headers.get('www-authenticate') ?? '') };
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
