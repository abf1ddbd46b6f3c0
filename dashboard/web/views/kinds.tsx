import { useNow } from '../hooks.ts';
import { clockTime, t } from '../i18n.ts';
import { formatValue, onlineClass, onlineLabel, valueOf } from '../format.ts';
import type { LiveStore } from '../live.ts';
import type { Device, DeviceKind } from '../types.ts';
import { Sparkline } from './chart.tsx';

const SNAPSHOT_REFRESH_MS = 10_000;

function ofKind(store: LiveStore, kind: DeviceKind): Device[] {
  return [...store.devices.values()].filter((d) => d.kind === kind);
}

function DeviceLink(props: { device: Device }) {
  const d = props.device;
  return (
    <a class="device-link" href={`#/device/${encodeURIComponent(d.id)}`}>
      <span class={`dot ${onlineClass(d.online)}`} title={onlineLabel(d.online)} />
      {d.name}
    </a>
  );
}

/** Doors: open/closed, locked, last event; forced or held open highlighted (an open alert of that rule). */
export function Doors(props: { store: LiveStore }) {
  const { store } = props;
  const alarm = new Map<string, 'forced' | 'held'>();
  for (const a of store.alerts.values()) {
    if (a.state === 'resolved') continue;
    if (a.rule.includes('forced')) alarm.set(a.device, 'forced');
    else if (a.rule.includes('held') && !alarm.has(a.device)) alarm.set(a.device, 'held');
  }
  const lastEvent = new Map<string, { type: string; ts: number }>();
  for (const e of store.events) if (!lastEvent.has(e.deviceId)) lastEvent.set(e.deviceId, e);
  return (
    <div class="tiles">
      {ofKind(store, 'access').map((d) => {
        const flag = alarm.get(d.id);
        const open = valueOf(d, 'door_open') === true;
        const event = lastEvent.get(d.id);
        return (
          <div key={d.id} class={`tile door${flag ? ` alarm ${flag}` : ''}`} data-device={d.id}>
            <DeviceLink device={d} />
            <div class="big">{open ? t('doorOpen') : t('doorClosed')}</div>
            <div class="dim">{valueOf(d, 'locked') === false ? t('unlocked') : t('locked')}</div>
            {flag && <div class="flag">{flag === 'forced' ? t('forced') : t('heldOpen')}</div>}
            {event && (
              <div class="dim small">
                {t('lastEvent')}: {event.type} · {clockTime(event.ts)}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** Cameras: a snapshot thumbnail reloaded every 10 s (the URL changes), and the online state. */
export function Cameras(props: { store: LiveStore }) {
  const tick = Math.floor(useNow(SNAPSHOT_REFRESH_MS) / SNAPSHOT_REFRESH_MS);
  return (
    <div class="tiles cameras">
      {ofKind(props.store, 'camera').map((d) => (
        <div key={d.id} class="tile camera" data-device={d.id}>
          <DeviceLink device={d} />
          {d.online === false ? (
            <div class="thumb off">{t('offline')}</div>
          ) : (
            <img
              class="thumb"
              loading="lazy"
              alt={d.name}
              src={`/api/cameras/${encodeURIComponent(d.id)}/snapshot?t=${tick}`}
            />
          )}
        </div>
      ))}
    </div>
  );
}

const ARROW: Record<string, string> = { up: '▲', down: '▼', idle: '■', none: '■' };

/** Lifts: one column per shaft with floor, direction, door, mode and load. */
export function Lifts(props: { store: LiveStore }) {
  return (
    <div class="shafts">
      {ofKind(props.store, 'elevator').map((d) => {
        const mode = String(valueOf(d, 'mode') ?? '–');
        const direction = String(valueOf(d, 'direction') ?? 'idle');
        return (
          <div key={d.id} class={`shaft${mode !== 'normal' ? ' abnormal' : ''}`} data-device={d.id}>
            <DeviceLink device={d} />
            <div class="floor" data-field="floor">
              {formatValue(valueOf(d, 'floor'))}
            </div>
            <div class={`direction dir-${direction}`}>
              {ARROW[direction] ?? '■'} {direction}
            </div>
            <dl>
              <dt>{t('door')}</dt>
              <dd>{valueOf(d, 'door_open') === true ? t('doorOpen') : t('doorClosed')}</dd>
              <dt>{t('mode')}</dt>
              <dd>{mode}</dd>
              <dt>{t('load')}</dt>
              <dd>{formatValue(valueOf(d, 'load_kg'))} kg</dd>
            </dl>
          </div>
        );
      })}
    </div>
  );
}

const PUMP_FIELDS = [
  ['outlet_pressure_bar', 'pressure', 'bar'],
  ['flow_m3h', 'flow', 'm³/h'],
  ['motor_current_a', 'current', 'A'],
  ['frequency_hz', 'frequency', 'Hz'],
] as const;

/** Pumps: pressure, flow, current and frequency with sparklines, and whether each runs. */
export function Pumps(props: { store: LiveStore }) {
  const { store } = props;
  return (
    <div class="tiles pumps">
      {ofKind(store, 'pump').map((d) => {
        const running = valueOf(d, 'running') === true;
        return (
          <div key={d.id} class="tile pump" data-device={d.id}>
            <DeviceLink device={d} />
            <div class={running ? 'run on' : 'run'}>{running ? t('running') : t('stopped')}</div>
            <table class="kv">
              <tbody>
                {PUMP_FIELDS.filter(([field]) => field in d.values).map(([field, label, unit]) => (
                  <tr key={field}>
                    <th>{t(label)}</th>
                    <td class="num">
                      {formatValue(valueOf(d, field))} {unit}
                    </td>
                    <td>
                      <Sparkline values={store.sparks.get(`${d.id}/${field}`)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </div>
  );
}
