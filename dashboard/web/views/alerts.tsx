import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useLoad, useNow } from '../hooks.ts';
import { clockTime, duration, t, type MessageKey } from '../i18n.ts';
import type { LiveStore } from '../live.ts';
import type { Alert, AlertDetail, Session } from '../types.ts';

const RANK = { critical: 0, major: 1, minor: 2, info: 3 } as const;

/** The alert queue: open alerts first by severity, then age; acknowledge / resolve with a note. */
export function Alerts(props: { store: LiveStore; session: Session }) {
  const { store, session } = props;
  const now = useNow();
  const [filter, setFilter] = useState<'open' | 'all'>('open');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const canAct = session.role !== 'viewer';
  const alerts = [...store.alerts.values()]
    .filter((a) => filter === 'all' || a.state !== 'resolved')
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.startedAt - a.startedAt);
  return (
    <section class="alerts">
      <div class="toolbar">
        <button class={filter === 'open' ? 'tab on' : 'tab'} onClick={() => setFilter('open')}>
          {t('open')}
        </button>
        <button class={filter === 'all' ? 'tab on' : 'tab'} onClick={() => setFilter('all')}>
          {t('all')}
        </button>
      </div>
      {alerts.length === 0 ? (
        <p class="dim">{t('noAlerts')}</p>
      ) : (
        <div class="table-wrap">
          <table class="grid" data-testid="alert-queue">
            <thead>
              <tr>
                <th>{t('severity')}</th>
                <th>{t('device')}</th>
                <th>{t('message')}</th>
                <th>{t('age')}</th>
                <th>{t('state')}</th>
                <th>{t('actions')}</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <AlertRow key={a.id} alert={a} now={now} canAct={canAct} store={store} onOpen={setSelected} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected && (
        <AlertHistory
          id={selected}
          version={store.alerts.get(selected)?.seq ?? 0}
          onClose={() => setSelected(undefined)}
        />
      )}
    </section>
  );
}

function AlertRow(props: {
  alert: Alert;
  now: number;
  canAct: boolean;
  store: LiveStore;
  onOpen: (id: string) => void;
}) {
  const { alert: a, now, canAct, store } = props;
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const act = async (action: 'ack' | 'resolve') => {
    setError('');
    try {
      const body = note.trim() ? { note: note.trim() } : {};
      store.putAlert(
        await api<Alert>(`/api/alerts/${encodeURIComponent(a.id)}/${action}`, { method: 'POST', body }),
      );
      setNote('');
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const end = a.resolvedAt ?? now;
  return (
    <tr class={`alert-row sev-${a.severity} st-${a.state}`} data-alert={a.id} data-rule={a.rule}>
      <td>
        <span class={`badge sev-${a.severity}`}>{t(a.severity)}</span>
      </td>
      <td>
        <a href={`#/device/${encodeURIComponent(a.device)}`}>{a.deviceName}</a>
      </td>
      <td>
        <button class="link" onClick={() => props.onOpen(a.id)}>
          {a.message}
        </button>
      </td>
      <td class="num age">{duration(end - a.startedAt)}</td>
      <td>
        <span class={`state st-${a.state}`}>{t(`state.${a.state}` as MessageKey)}</span>
        {a.ackedBy && (
          <small class="dim">
            {' '}
            {t('by')} {a.ackedBy}
          </small>
        )}
      </td>
      <td class="actions">
        {canAct && a.state !== 'resolved' && (
          <>
            <input
              class="note"
              placeholder={t('note')}
              value={note}
              maxLength={1000}
              onInput={(e) => setNote((e.target as HTMLInputElement).value)}
            />
            {a.state === 'active' && (
              <button class="ack" onClick={() => void act('ack')}>
                {t('acknowledge')}
              </button>
            )}
            <button class="resolve quiet" onClick={() => void act('resolve')}>
              {t('resolve')}
            </button>
          </>
        )}
        {error && <span class="error">{error}</span>}
      </td>
    </tr>
  );
}

function AlertHistory(props: { id: string; version: number; onClose: () => void }) {
  const { data, error } = useLoad(
    () => api<AlertDetail>(`/api/alerts/${encodeURIComponent(props.id)}`),
    [props.id, props.version],
  );
  return (
    <div class="modal" role="dialog" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="modal-body">
        <header>
          <h2>{t('history')}</h2>
          <button class="quiet" onClick={props.onClose}>
            {t('close')}
          </button>
        </header>
        {error && <p class="error">{error}</p>}
        {data && (
          <>
            <p>
              <span class={`badge sev-${data.severity}`}>{t(data.severity)}</span> {data.message}
            </p>
            {data.snapshots.length > 0 && (
              <img
                class="snapshot"
                alt={t('snapshot')}
                src={`/api/alerts/${encodeURIComponent(data.id)}/snapshot`}
              />
            )}
            <table class="grid history">
              <tbody>
                {data.history.map((h, i) => (
                  <tr key={i}>
                    <td class="num">{clockTime(h.ts)}</td>
                    <td>{t(`action.${h.action}` as MessageKey)}</td>
                    <td>{h.by ?? '–'}</td>
                    <td>{h.note ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </div>
  );
}
