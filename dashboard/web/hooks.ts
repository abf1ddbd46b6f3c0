import { useEffect, useState } from 'preact/hooks';
import type { LiveStore } from './live.ts';

/** Re-renders the component on every applied batch of the store (at most once per frame). */
export function useLive(store: LiveStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  return version;
}

/** The current time, ticking every `everyMs` (alert ages count up live). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Loads `load()` when `key` changes; `reload()` loads again. */
export function useLoad<T>(
  load: () => Promise<T>,
  key: unknown[],
): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && (setData(value), setError(undefined)),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [...key, nonce]);
  return { data, error, reload: () => setNonce((n) => n + 1) };
}
