/**
 * The supervision console: Passerelle's public APIs (FHIR, /events) in the browser. Views by the
 * URL's hash (#/rooms, #/room/<id>, #/dispatch, #/hospital/<Organization id>), so a view can be bookmarked and the server serves one page.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Dispatch } from './dispatch/Dispatch.tsx';
import { labels, lang } from './labels.ts';
import { LoginForm } from './LoginForm.tsx';
import { currentSession, loginWanted, logOut, viewsFor, type Session } from './session.ts';
import { HospitalView } from './hospital/HospitalView.tsx';
import { RoomView } from './room/RoomView.tsx';
import { OperatingRooms } from './rooms/OperatingRooms.tsx';
import './style.css';

type View = { name: 'rooms' } | { name: 'dispatch' } | { name: 'room'; id: string } | { name: 'hospital'; id: string } | { name: 'none' };
function viewOf(hash: string): View {
  if (hash === '#/dispatch') return { name: 'dispatch' };
  const room = /^#\/room\/([A-Za-z0-9\-.]{1,64})$/.exec(hash);
  if (room) return { name: 'room', id: room[1] as string };
  const hospital = /^#\/hospital\/([A-Za-z0-9\-.]{1,64})$/.exec(hash);
  return hospital ? { name: 'hospital', id: hospital[1] as string } : { name: 'rooms' };
}

/** The view asked for when the role is for it, else the role's first view (or none). */
function allowedView(view: View, views: ('rooms' | 'dispatch')[]): View {
  const needs = view.name === 'room' ? 'rooms' : view.name === 'hospital' ? 'dispatch' : view.name;
  if (needs === 'none' || views.includes(needs)) return view;
  return views[0] ? { name: views[0] } : { name: 'none' };
}

function App() {
  const [view, setView] = useState<View>(viewOf(window.location.hash));
  const [session, setSession] = useState<Session | undefined>(currentSession());
  const [login, setLogin] = useState<'unknown' | { kerberos: boolean } | 'done'>('unknown');
  useEffect(() => {
    const follow = (): void => setView(viewOf(window.location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  useEffect(() => {
    loginWanted().then((wanted) => setLogin(wanted ?? 'done'), () => setLogin('done'));
  }, [session]);

  const views = viewsFor(session);
  const shown = allowedView(view, views);
  return (
    <>
      <header>
        <h1>{labels.title}</h1>
        {login === 'done' && (
          <nav>
            {views.map((name) => (
              <a key={name} href={`#/${name}`} aria-current={shown.name === name ? 'page' : undefined}>{labels.nav[name]}</a>
            ))}
          </nav>
        )}
        {session && (
          <span className="user">
            {session.name}{' '}
            <button type="button" onClick={() => { logOut(); setSession(undefined); }}>{labels.signOut}</button>
          </span>
        )}
      </header>
      <main>
        {login === 'unknown' ? <p>{labels.loading}</p>
          : login !== 'done' ? <LoginForm onSession={setSession} kerberos={login.kerberos} />
          : shown.name === 'dispatch' ? <Dispatch />
          : shown.name === 'room' ? <RoomView key={shown.id} roomId={shown.id} />
          : shown.name === 'hospital' ? <HospitalView key={shown.id} hospitalId={shown.id} />
          : shown.name === 'rooms' ? <OperatingRooms />
          : <p role="alert">{labels.nothingForRole}</p>}
      </main>
    </>
  );
}

document.documentElement.lang = lang;
document.title = labels.title;

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
