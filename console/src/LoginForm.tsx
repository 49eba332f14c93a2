/** The directory (LDAP) login, when the server asks for authentication. */
import { useState, type FormEvent } from 'react';
import { labels } from './labels.ts';
import { logIn, type Session } from './session.ts';

export function LoginForm({ onSession }: { onSession: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

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

  return (
    <form className="login" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
      <h2 id="login-title">{labels.login}</h2>
      <label>{labels.username} <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} /></label>
      <label>{labels.password} <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{labels.signIn}</button>
    </form>
  );
}
