import { api } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { duration, t, type MessageKey } from '../i18n.ts';
import type { Kpi, ResponseStats } from '../types.ts';

const ms = (v: number | null) => (v === null ? '–' : duration(v));
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);

/** Alert response times by team and severity over the last 7 days, and availability by kind. */
export function KpiView() {
  const { data, error } = useLoad(() => api<Kpi>('/api/kpi'), []);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="dim">{t('loading')}</p>;
  const byKind = new Map<string, number[]>();
  for (const d of data.devices)
    if (d.availability !== null) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d.availability]);
  return (
    <section class="kpi">
      <p class="dim">{t('last7days')}</p>
      <div class="cards">
        <div class="card">
          <span class="card-label">{t('alerts')}</span>
          <b class="card-value">{data.alerts.count}</b>
        </div>
        <div class="card">
          <span class="card-label">{t('meanAck')}</span>
          <b class="card-value">{ms(data.alerts.meanTimeToAckMs)}</b>
        </div>
        <div class="card">
          <span class="card-label">{t('meanResolve')}</span>
          <b class="card-value">{ms(data.alerts.meanTimeToResolveMs)}</b>
        </div>
        <div class="card">
          <span class="card-label">{t('availability')}</span>
          <b class="card-value">{pct(data.availability)}</b>
        </div>
      </div>
      <StatsTable title={t('byTeam')} rows={data.byTeam} />
      <StatsTable title={t('bySeverity')} rows={data.bySeverity} label={(k) => t(k as MessageKey)} />
      <h2>{t('availabilityByKind')}</h2>
      <table class="grid">
        <tbody>
          {[...byKind].map(([kind, values]) => (
            <tr key={kind}>
              <th>{t(`kind.${kind}` as MessageKey)}</th>
              <td class="num">{pct(values.reduce((a, b) => a + b, 0) / values.length)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function StatsTable(props: {
  title: string;
  rows: Record<string, ResponseStats>;
  label?: (key: string) => string;
}) {
  const entries = Object.entries(props.rows);
  return (
    <>
      <h2>{props.title}</h2>
      <div class="table-wrap">
        <table class="grid">
          <thead>
            <tr>
              <th />
              <th>{t('count')}</th>
              <th>{t('acknowledged')}</th>
              <th>{t('resolved')}</th>
              <th>{t('meanAck')}</th>
              <th>{t('p90Ack')}</th>
              <th>{t('meanResolve')}</th>
              <th>{t('p90Resolve')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map(([key, s]) => (
              <tr key={key}>
                <th>{props.label ? props.label(key) : key}</th>
                <td class="num">{s.count}</td>
                <td class="num">{s.acknowledged}</td>
                <td class="num">{s.resolved}</td>
                <td class="num">{ms(s.meanTimeToAckMs)}</td>
                <td class="num">{ms(s.p90TimeToAckMs)}</td>
                <td class="num">{ms(s.meanTimeToResolveMs)}</td>
                <td class="num">{ms(s.p90TimeToResolveMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
