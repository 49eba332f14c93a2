/**
 * The supervision console: Passerelle's public APIs (FHIR, /events) in the browser. Views by the
 * URL's hash (#/rooms, #/dispatch), so a view can be bookmarked and the server serves one page.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Dispatch } from './dispatch/Dispatch.tsx';
import { labels, lang } from './labels.ts';
import { OperatingRooms } from './rooms/OperatingRooms.tsx';
import './style.css';

type View = 'rooms' | 'dispatch';
const viewOf = (hash: string): View => (hash === '#/dispatch' ? 'dispatch' : 'rooms');

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
            <a key={name} href={`#/${name}${window.location.search}`} aria-current={view === name ? 'page' : undefined}>{labels.nav[name]}</a>
          ))}
        </nav>
      </header>
      <main>{view === 'dispatch' ? <Dispatch /> : <OperatingRooms />}</main>
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
