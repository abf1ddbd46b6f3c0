import { t, type MessageKey } from '../i18n.ts';
import { buildingOf } from '../format.ts';
import type { LiveStore } from '../live.ts';
import type { DeviceKind, Severity } from '../types.ts';

const KINDS: DeviceKind[] = ['access', 'elevator', 'pump', 'camera'];
const SEVERITIES: Severity[] = ['critical', 'major', 'minor', 'info'];

interface Tally {
  up: number;
  down: number;
  unknown: number;
}

/** Devices up/down per building and kind, and the open alerts by severity. */
export function Overview(props: { store: LiveStore }) {
  const { store } = props;
  const table = new Map<string, Map<DeviceKind, Tally>>();
  for (const d of store.devices.values()) {
    const building = buildingOf(d);
    const row = table.get(building) ?? new Map<DeviceKind, Tally>();
    table.set(building, row);
    const tally = row.get(d.kind) ?? { up: 0, down: 0, unknown: 0 };
    row.set(d.kind, tally);
    tally[d.online === true ? 'up' : d.online === false ? 'down' : 'unknown']++;
  }
  const bySeverity = new Map<Severity, number>();
  for (const a of store.alerts.values())
    if (a.state !== 'resolved') bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
  const buildings = [...table.keys()].sort();
  return (
    <section class="overview">
      <div class="cards" data-testid="alert-counts">
        {SEVERITIES.map((s) => (
          <a href="#/alerts" class={`card sev-${s}${bySeverity.get(s) ? ' lit' : ''}`} key={s}>
            <span class="card-label">{t(s)}</span>
            <b class="card-value" data-severity={s}>
              {bySeverity.get(s) ?? 0}
            </b>
          </a>
        ))}
      </div>
      <h2>{t('devices')}</h2>
      <div class="table-wrap">
        <table class="grid">
          <thead>
            <tr>
              <th>{t('building')}</th>
              {KINDS.map((k) => (
                <th key={k}>{t(`kind.${k}` as MessageKey)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {buildings.map((b) => (
              <tr key={b}>
                <th>{b}</th>
                {KINDS.map((k) => {
                  const tally = table.get(b)?.get(k);
                  if (!tally)
                    return (
                      <td key={k} class="dim">
                        –
                      </td>
                    );
                  return (
                    <td key={k} class={tally.down ? 'has-down' : ''}>
                      <span class="pill up">
                        {tally.up} {t('up')}
                      </span>
                      {tally.down > 0 && (
                        <span class="pill down">
                          {tally.down} {t('down')}
                        </span>
                      )}
                      {tally.unknown > 0 && (
                        <span class="pill unknown">
                          {tally.unknown} {t('unknown')}
                        </span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
