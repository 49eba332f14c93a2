/**
 * The supervision console: Passerelle's public APIs (FHIR, /events) in the browser. Views by the
 * URL's hash (#/rooms, #/room/<id>, #/dispatch, #/hospital/<Organization id>), so a view can be bookmarked and the server serves one page.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Dispatch } from './dispatch/Dispatch.tsx';
import { labels, lang } from './labels.ts';
import { HospitalView } from './hospital/HospitalView.tsx';
import { RoomView } from './room/RoomView.tsx';
import { OperatingRooms } from './rooms/OperatingRooms.tsx';
import './style.css';

type View = { name: 'rooms' } | { name: 'dispatch' } | { name: 'room'; id: string } | { name: 'hospital'; id: string };
function viewOf(hash: string): View {
  if (hash === '#/dispatch') return { name: 'dispatch' };
  const room = /^#\/room\/([A-Za-z0-9\-.]{1,64})$/.exec(hash);
  if (room) return { name: 'room', id: room[1] as string };
  const hospital = /^#\/hospital\/([A-Za-z0-9\-.]{1,64})$/.exec(hash);
  return hospital ? { name: 'hospital', id: hospital[1] as string } : { name: 'rooms' };
}

function App() {
  const [view, setView] = useState<View>(viewOf(window.location.hash));
  useEffect(() => {
    const follow = (): void => setView(viewOf(window.location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return (
    <>
      <header>
        <h1>{labels.title}</h1>
        <nav>
          {(['rooms', 'dispatch'] as const).map((name) => (
            <a key={name} href={`#/${name}`} aria-current={view.name === name ? 'page' : undefined}>{labels.nav[name]}</a>
          ))}
        </nav>
      </header>
      <main>
        {view.name === 'dispatch' ? <Dispatch />
          : view.name === 'room' ? <RoomView key={view.id} roomId={view.id} />
          : view.name === 'hospital' ? <HospitalView key={view.id} hospitalId={view.id} />
          : <OperatingRooms />}
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
