import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { chartField } from '../chart-field.ts';
import { useLoad } from '../hooks.ts';
import { clockTime, t } from '../i18n.ts';
import { formatValue, onlineClass, onlineLabel } from '../format.ts';
import type { LiveStore } from '../live.ts';
import type { DeviceDetail, DeviceEvent, Series } from '../types.ts';
import { Chart } from './chart.tsx';

const RANGES = [
  ['range1h', 3_600_000],
  ['range24h', 86_400_000],
  ['range7d', 7 * 86_400_000],
] as const;

/** One device: latest values (live), a chart of any numeric field, recent events, linked cameras. */
export function DeviceView(props: { id: string; store: LiveStore }) {
  const { id, store } = props;
  const detail = useLoad(() => api<DeviceDetail>(`/api/devices/${encodeURIComponent(id)}`), [id]);
  const events = useLoad(
    () => api<DeviceEvent[]>(`/api/events?device=${encodeURIComponent(id)}&limit=20`).catch(() => []),
    [id],
  );
  const live = store.devices.get(id);
  const device = live ?? detail.data;
  const numeric = device
    ? Object.entries(device.values)
        .filter(([, v]) => typeof v.value === 'number')
        .map(([k]) => k)
    : [];
  const [field, setField] = useState<string | undefined>(undefined);
  const [range, setRange] = useState<number>(RANGES[0][1]);
  const chosen = device ? chartField(field, device.values) : undefined;
  // The field first shown stays picked: a failed read of it must not move the chart elsewhere.
  useEffect(() => {
    if (chosen !== undefined && chosen !== field) setField(chosen);
  }, [chosen, field]);
  if (detail.error && !device) return <p class="error">{detail.error}</p>;
  if (!device) return <p class="dim">{t('loading')}</p>;
  const cameras = (detail.data?.links ?? []).filter((l) => l.kind === 'camera');
  return (
    <section class="device-detail">
      <h2>
        <span class={`dot ${onlineClass(device.online)}`} /> {device.name}{' '}
        <small class="dim">{device.id}</small>
      </h2>
      <p class="dim">
        {onlineLabel(device.online)} · {device.reason}
      </p>
      <div class="detail-grid">
        <div class="panel">
          <h3>{t('latestValues')}</h3>
          <table class="grid">
            <thead>
              <tr>
                <th>{t('field')}</th>
                <th>{t('value')}</th>
                <th>{t('updated')}</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(device.values).map(([k, v]) => (
                <tr key={k} class={chosen === k ? 'sel' : ''}>
                  <td>
                    {numeric.includes(k) ? (
                      <button class="link" onClick={() => setField(k)}>
                        {k}
                      </button>
                    ) : (
                      k
                    )}
                  </td>
                  <td class="num">{formatValue(v.value)}</td>
                  <td class="dim">{clockTime(v.ts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="panel">
          <h3>
            {t('chart')}: {chosen ?? '–'}
          </h3>
          <div class="toolbar">
            {RANGES.map(([label, ms]) => (
              <button key={label} class={range === ms ? 'tab on' : 'tab'} onClick={() => setRange(ms)}>
                {t(label)}
              </button>
            ))}
          </div>
          {chosen && <SeriesChart id={id} field={chosen} rangeMs={range} />}
        </div>
      </div>
      {cameras.length > 0 && (
        <div class="panel">
          <h3>{t('linkedCameras')}</h3>
          <div class="tiles cameras">
            {cameras.map((c) => (
              <a key={c.id} class="tile camera" href={`#/device/${encodeURIComponent(c.id)}`}>
                {c.name}
                <img class="thumb" alt={c.name} src={`/api/cameras/${encodeURIComponent(c.id)}/snapshot`} />
              </a>
            ))}
          </div>
        </div>
      )}
      <div class="panel">
        <h3>{t('recentEvents')}</h3>
        <table class="grid">
          <tbody>
            {(events.data ?? []).map((e, i) => (
              <tr key={i}>
                <td class="num">{clockTime(e.ts)}</td>
                <td>{e.type}</td>
                <td class="dim small">
                  {Object.entries(e.data)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(' ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function SeriesChart(props: { id: string; field: string; rangeMs: number }) {
  const { id, field, rangeMs } = props;
  const { data, error } = useLoad(() => {
    const to = Date.now();
    const query = new URLSearchParams({ field, from: String(to - rangeMs), to: String(to), points: '500' });
    return api<Series>(`/api/devices/${encodeURIComponent(id)}/series?${query}`);
  }, [id, field, rangeMs]);
  // The same arrays until the data changes: live updates re-render the page, not the chart.
  const columns = useMemo(
    () => (data ? { ts: data.points.map((p) => p.ts), values: data.points.map((p) => p.value) } : undefined),
    [data],
  );
  if (error) return <p class="error">{error}</p>;
  if (!columns) return <p class="dim">{t('loading')}</p>;
  if (columns.ts.length === 0) return <p class="dim">{t('noData')}</p>;
  return <Chart ts={columns.ts} values={columns.values} label={field} />;
}
