import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, whenUnauthorized } from './api.ts';
import { beep } from './beep.ts';
import { useLive } from './hooks.ts';
import { lang, setLang, t, type MessageKey } from './i18n.ts';
import { LiveStore } from './live.ts';
import type { Alert, Session } from './types.ts';
import { Alerts } from './views/alerts.tsx';
import { DeviceView } from './views/device.tsx';
import { Cameras, Doors, Lifts, Pumps } from './views/kinds.tsx';
import { KpiView } from './views/kpi.tsx';
import { Login } from './views/login.tsx';
import { Overview } from './views/overview.tsx';

/** The site name the server puts in the page. */
const SITE = document.querySelector('meta[name=cgw-site]')?.getAttribute('content') ?? '';

const PAGES: [string, MessageKey][] = [
  ['overview', 'overview'],
  ['alerts', 'alerts'],
  ['doors', 'doors'],
  ['cameras', 'cameras'],
  ['lifts', 'lifts'],
  ['pumps', 'pumps'],
  ['kpi', 'kpi'],
];

declare global {
  interface Window {
    /** The live store, for diagnostics in the console and for bench/dashboard.ts. */
    cgwLive?: LiveStore;
  }
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash.replace(/^#\/?/, '') || 'overview';
}

/** Login until there is a session (GET /api/session on load, so a reload keeps it). */
export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [, setLangVersion] = useState(0);
  useEffect(() => {
    whenUnauthorized(() => setSession(null));
    api<Session>('/api/session').then(setSession, () => setSession(null));
  }, []);
  const switchLang = () => {
    setLang(lang() === 'en' ? 'zh-CN' : 'en');
    setLangVersion((v) => v + 1);
  };
  if (session === undefined) return <p class="dim center">{t('loading')}</p>;
  if (session === null)
    return (
      <>
        <div class="corner">
          <LangButton onClick={switchLang} />
        </div>
        <Login onLogin={setSession} />
      </>
    );
  return <Board session={session} onLogout={() => setSession(null)} onLang={switchLang} />;
}

function LangButton(props: { onClick: () => void }) {
  return (
    <button class="quiet lang" onClick={props.onClick} title={t('language')} data-testid="lang">
      {lang() === 'en' ? '中文' : 'EN'}
    </button>
  );
}

function Board(props: { session: Session; onLogout: () => void; onLang: () => void }) {
  const store = useMemo(() => new LiveStore(), []);
  useLive(store);
  const page = useHash();
  const [banner, setBanner] = useState<Alert | undefined>(undefined);
  const [sound, setSound] = useState(false);
  useEffect(() => {
    void store.start().catch(() => {});
    window.cgwLive = store;
    return () => {
      store.stop();
      window.cgwLive = undefined;
    };
  }, [store]);
  useEffect(
    () =>
      store.onAlert((alert, isNew) => {
        if (!isNew || alert.severity !== 'critical' || alert.state !== 'active') return;
        setBanner(alert);
        if (sound) beep();
      }),
    [store, sound],
  );
  const logout = async () => {
    await api('/api/logout', { method: 'POST' }).catch(() => {});
    store.stop();
    props.onLogout();
  };
  // The badge counts what still needs a person: alerts nobody has acknowledged yet.
  const open = [...store.alerts.values()].filter((a) => a.state === 'active').length;
  const [name, arg] = page.split('/');
  return (
    <div class="board">
      <header class="top">
        <h1>
          {t('appTitle')} <span class="dim site">{SITE}</span>
        </h1>
        <nav>
          {PAGES.map(([id, label]) => (
            <a key={id} href={`#/${id}`} class={name === id ? 'on' : ''} data-page={id}>
              {t(label)}
              {id === 'alerts' && open > 0 && (
                <span class="count" data-testid="open-count">
                  {open}
                </span>
              )}
            </a>
          ))}
        </nav>
        <span class={`conn ${store.connection}`} title={store.connection} data-testid="connection">
          {t(store.connection)}
        </span>
        <button
          class="quiet"
          aria-pressed={sound}
          onClick={() => {
            // Turning it on is the user gesture that unlocks audio; the test beep says it works.
            if (!sound) beep();
            setSound(!sound);
          }}
        >
          {sound ? t('soundOn') : t('soundOff')}
        </button>
        <LangButton onClick={props.onLang} />
        <span class="dim user">{props.session.username}</span>
        <button class="quiet" onClick={() => void logout()}>
          {t('logout')}
        </button>
      </header>
      {banner && (
        <div class="banner" role="alert" data-testid="critical-banner">
          <b>{t('newCritical')}:</b> {banner.deviceName} — {banner.message}
          <a href="#/alerts" onClick={() => setBanner(undefined)}>
            {t('alerts')}
          </a>
          <button class="quiet" onClick={() => setBanner(undefined)}>
            {t('dismiss')}
          </button>
        </div>
      )}
      <main>
        {name === 'alerts' ? (
          <Alerts store={store} session={props.session} />
        ) : name === 'doors' ? (
          <Doors store={store} />
        ) : name === 'cameras' ? (
          <Cameras store={store} />
        ) : name === 'lifts' ? (
          <Lifts store={store} />
        ) : name === 'pumps' ? (
          <Pumps store={store} />
        ) : name === 'kpi' ? (
          <KpiView />
        ) : name === 'device' && arg ? (
          <DeviceView id={decodeURIComponent(arg)} store={store} />
        ) : (
          <Overview store={store} />
        )}
      </main>
    </div>
  );
}
