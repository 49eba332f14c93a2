/** The supervision console: Passerelle's public APIs (FHIR, /events) in the browser. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { labels, lang } from './labels.ts';
import { OperatingRooms } from './rooms/OperatingRooms.tsx';
import './style.css';

document.documentElement.lang = lang;
document.title = labels.title;

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <header>
      <h1>{labels.title}</h1>
    </header>
    <main>
      <OperatingRooms />
    </main>
  </StrictMode>,
);
