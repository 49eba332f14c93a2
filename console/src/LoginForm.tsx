/**
 * Signing in when the server asks for authentication: Kerberos single sign-on first (at once,
 * unless the user just signed out), the directory (LDAP) login form otherwise.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { labels } from './labels.ts';
import { logIn, signedOut, singleSignOn, type Session } from './session.ts';

export function LoginForm({ onSession, kerberos }: { onSession: (session: Session) => void; kerberos: boolean }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // 'trying' while the ticket is offered; 'none' when the server has no Kerberos.
  const [sso, setSso] = useState<'trying' | 'offered' | 'none'>(!kerberos ? 'none' : signedOut() ? 'offered' : 'trying');

  useEffect(() => {
    if (sso !== 'trying') return;
    let current = true;
    const offered = (): void => {
      if (!current) return;
      setSso('offered');
      setError(labels.noTicket);
    };
    singleSignOn().then((session) => (session ? current && onSession(session) : offered()), offered);
    return () => { current = false; };
  }, [sso, onSession]);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    try {
      onSession(await logIn(username, password));
    } catch (err) {
      setError(`${labels.loginRefused} (${err instanceof Error ? err.message : String(err)})`);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  if (sso === 'trying') return <p className="login" role="status">{labels.signingInWithTicket}</p>;
  return (
    <form className="login" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
      <h2 id="login-title">{labels.login}</h2>
      <label>{labels.username} <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} /></label>
      <label>{labels.password} <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{labels.signIn}</button>
      {sso === 'offered' && <button type="button" className="sso" disabled={busy} onClick={() => { setError(undefined); setSso('trying'); }}>{labels.signInWithTicket}</button>}
    </form>
  );
}
