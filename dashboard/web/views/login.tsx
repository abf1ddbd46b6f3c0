import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { t } from '../i18n.ts';
import type { Session } from '../types.ts';

export function Login(props: { onLogin: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      const session = await api<Session>('/api/login', { method: 'POST', body: { username, password } });
      setPassword('');
      props.onLogin(session);
    } catch (err) {
      setError(err instanceof Error ? err.message : t('loginFailed'));
    }
  };
  return (
    <form class="login" onSubmit={(e) => void submit(e)}>
      <h1>{t('appTitle')}</h1>
      <label>
        {t('username')}
        <input
          name="username"
          autocomplete="username"
          required
          value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        {t('password')}
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">{t('login')}</button>
      <p class="error" role="alert">
        {error}
      </p>
    </form>
  );
}
