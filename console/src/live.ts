/**
 * The `/events` stream (README, Change feed): every change to what the filter admits, and the
 * live events of the bridges (poses, device status). Reconnects with a growing pause, and says
 * whether it is connected so the screen can show when what it shows may be stale.
 */
import { currentSession } from './session.ts';

export interface LiveMessage {
  event: string;
  resourceType?: string;
  location?: string;
  resource?: { resourceType: string; id?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export function followEvents(filter: URLSearchParams, onMessage: (message: LiveMessage) => void, onConnected: (connected: boolean) => void): () => void {
  let socket: WebSocket | undefined;
  let closed = false;
  let pause = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connect = (): void => {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    // A browser cannot set headers on a WebSocket: the token goes as `access_token`.
    const token = currentSession()?.token;
    const query = new URLSearchParams(filter);
    if (token) query.set('access_token', token);
    socket = new WebSocket(`${scheme}://${window.location.host}/events?${query}`);
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as LiveMessage;
      if (message.event === 'open') {
        pause = 500;
        onConnected(true);
      } else onMessage(message);
    };
    socket.onclose = () => {
      onConnected(false);
      if (closed) return;
      timer = setTimeout(connect, pause);
      pause = Math.min(pause * 2, 10_000);
    };
  };
  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    socket?.close();
  };
}
