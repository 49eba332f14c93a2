/**
 * The messages between dispatch and one hospital, live from `/events?type=Communication`, with a
 * form to write the next one: the same component on both sides, each writing as itself.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { labels } from '../labels.ts';
import { followEvents } from '../live.ts';
import { conversation, dispatchCentre, involves, merged, message, send, UNREGISTERED_DISPATCH, type Communication, type Party } from './communications.ts';

export function Conversation({ hospital, side }: { hospital: { id: string; name: string }; side: 'dispatch' | 'hospital' }) {
  const [messages, setMessages] = useState<Communication[]>([]);
  const [about, setAbout] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [dispatch, setDispatch] = useState<Party>(UNREGISTERED_DISPATCH);

  useEffect(() => {
    let current = true;
    dispatchCentre().then((found) => current && setDispatch(found), () => undefined);
    return () => { current = false; };
  }, []);

  useEffect(() => {
    conversation(hospital.id).then((found) => setMessages((current) => merged(current, found)), (err: unknown) => setError(String(err)));
    return followEvents(new URLSearchParams({ type: 'Communication' }), (event) => {
      const communication = event.resource as unknown as Communication | undefined;
      if (event.event === 'change' && communication && involves(communication, hospital.id)) setMessages((current) => merged(current, [communication]));
    }, () => undefined);
  }, [hospital.id]);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    try {
      const sent = await send(message({ hospital, dispatch, fromHospital: side === 'hospital', about, text }));
      setMessages((current) => merged(current, [sent]));
      setText('');
      setError(undefined);
    } catch (err) {
      setError(String(err));
    }
  };

  return (
    <section className="conversation" aria-label={`${labels.messagesWith} ${side === 'dispatch' ? hospital.name : labels.dispatchCentre}`}>
      <h3>{labels.messagesWith} {side === 'dispatch' ? hospital.name : dispatch.display ?? labels.dispatchCentre}</h3>
      <ol className="messages">
        {messages.map((m) => {
          const mine = (m.sender?.reference === `Organization/${hospital.id}`) === (side === 'hospital');
          return (
            <li key={m.id} className={mine ? 'mine' : 'theirs'} data-message={m.id}>
              <span className="message-meta">{m.sender?.display} · {m.sent ? new Date(m.sent).toLocaleTimeString() : ''}{m.about?.[0]?.display ? ` · ${labels.about} ${m.about[0].display}` : ''}</span>
              <p className="message-text">{m.payload?.[0]?.contentString}</p>
            </li>
          );
        })}
      </ol>
      {error && <p role="alert">{error}</p>}
      <form onSubmit={(e) => void submit(e)} className="message-form">
        <label>{labels.about} <input name="about" value={about} onChange={(e) => setAbout(e.target.value)} placeholder={labels.aboutPlaceholder} /></label>
        <label>{labels.messageText} <textarea name="text" required value={text} onChange={(e) => setText(e.target.value)} rows={2} /></label>
        <button type="submit">{labels.sendMessage}</button>
      </form>
    </section>
  );
}
