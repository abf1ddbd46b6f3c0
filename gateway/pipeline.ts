import type { Adapter } from '../adapters/types.ts';
import type { AlarmsFirst } from './alarms-first.ts';
import type { Bus, DeadLetter } from './bus.ts';
import type { Clock } from './clock.ts';
import type { DeadLetterList } from './dead-letters.ts';
import { formatDuration } from './duration.ts';
import { LogThrottle, type Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Pseudonymiser } from './privacy.ts';
import type { DeviceRegistry, DeviceState } from './registry.ts';
import type { SeriesPoint, SeriesStore } from './store/series-store.ts';
import type { DeviceEvent, Reading, Status } from './types.ts';

export interface PipelineDeps {
  registry: DeviceRegistry;
  store: SeriesStore;
  bus: Bus;
  metrics: Metrics;
  deadLetters: DeadLetterList;
  privacy: Pseudonymiser;
  log: Logger;
  clock: Clock;
  /** Where adapter input waits while an alert is on its way out (alarms-first.ts); none: at once. */
  lane?: AlarmsFirst;
}

/**
 * Where every adapter's output goes: the registry (live state), the series store (history), the
 * bus (rules, dashboard). Rejected input is counted, dead-lettered and logged once per device per
 * minute. Nothing here throws back into an adapter.
 */
export class Pipeline {
  readonly #d: PipelineDeps;
  readonly #throttle = new LogThrottle(60_000);
  readonly #tags = new Map<string, Record<string, string>>();
  readonly #log: Logger;

  constructor(deps: PipelineDeps) {
    this.#d = deps;
    this.#log = deps.log;
  }

  /** Subscribes to an adapter's events; returns the function that unsubscribes. */
  attach(adapter: Adapter): () => void {
    const lane = this.#d.lane;
    const reading = (r: Reading): void => this.reading(r);
    const event = (e: DeviceEvent): void => this.event(e);
    const status = (s: Status): void => this.status(s);
    const rejected = (l: DeadLetter): void => this.rejected(l);
    const onReading = lane ? (r: Reading): void => lane.run(reading, r) : reading;
    const onEvent = lane ? (e: DeviceEvent): void => lane.run(event, e) : event;
    const onStatus = lane ? (s: Status): void => lane.run(status, s) : status;
    const onRejected = lane ? (l: DeadLetter): void => lane.run(rejected, l) : rejected;
    adapter.on('reading', onReading).on('event', onEvent).on('status', onStatus).on('rejected', onRejected);
    return () => {
      adapter
        .off('reading', onReading)
        .off('event', onEvent)
        .off('status', onStatus)
        .off('rejected', onRejected);
    };
  }

  reading(reading: Reading): void {
    const device = this.#d.registry.get(reading.deviceId);
    if (!device) return;
    this.#d.metrics.countMessage(device.kind, 'telemetry');
    this.#noteReturn(device);
    this.#d.registry.applyReading(reading);
    const fields = this.#fieldsOf(reading);
    if (fields)
      this.#d.store.write([{ measurement: device.kind, tags: this.#tagsOf(device), fields, ts: reading.ts }]);
    this.#d.bus.emit('reading', reading);
  }

  event(raw: DeviceEvent): void {
    const device = this.#d.registry.get(raw.deviceId);
    if (!device) return;
    const event = { ...raw, data: this.#d.privacy.scrub(raw.data) };
    this.#d.metrics.countMessage(device.kind, 'event');
    this.#noteReturn(device);
    this.#d.registry.applyEvent(event);
    this.#d.store.write([
      {
        measurement: 'events',
        tags: { site: device.site, device: device.id, kind: device.kind, type: event.type },
        fields: { count: 1, ...event.data },
        ts: event.ts,
      },
    ]);
    this.#d.bus.emit('event', event);
  }

  status(status: Status): void {
    const device = this.#d.registry.get(status.deviceId);
    if (!device) return;
    this.#d.metrics.countMessage(device.kind, 'status');
    const wasOnline = device.online;
    const since = device.since;
    if (!this.#d.registry.applyStatus(status)) return;
    this.#logChange(device, wasOnline, since, status.reason);
    this.#d.bus.emit('status', status);
  }

  rejected(letter: DeadLetter): void {
    this.#d.metrics.rejects.inc({ reason: letter.reason });
    this.#d.deadLetters.add(letter);
    const key = `${letter.deviceId ?? letter.topic ?? letter.source}:${letter.reason}`;
    const suppressed = this.#throttle.take(key, this.#d.clock.now());
    if (suppressed !== undefined) {
      this.#log.warn(
        { device: letter.deviceId, topic: letter.topic, reason: letter.reason, suppressed },
        `rejected input from ${letter.deviceId ?? letter.topic ?? letter.source}: ${letter.reason}: ${letter.detail}`,
      );
    }
    this.#d.bus.emit('rejected', letter);
  }

  /** Marks silent devices offline; the supervisor calls this on an interval. */
  checkSilence(): void {
    for (const status of this.#d.registry.checkSilence(this.#d.clock.now())) {
      const device = this.#d.registry.get(status.deviceId);
      if (device) this.#log.warn({ device: device.id }, `${device.id} offline: ${status.reason}`);
      this.#d.bus.emit('status', status);
    }
  }

  #noteReturn(device: DeviceState): void {
    if (device.online === false) {
      const away = this.#d.clock.now() - device.since;
      this.#log.info({ device: device.id }, `${device.id} back after ${formatDuration(away)}`);
    }
  }

  #logChange(device: DeviceState, wasOnline: boolean | null, since: number, reason: string): void {
    if (device.online === false) this.#log.warn({ device: device.id }, `${device.id} offline: ${reason}`);
    else if (wasOnline === false) {
      this.#log.info(
        { device: device.id },
        `${device.id} back after ${formatDuration(this.#d.clock.now() - since)}`,
      );
    }
  }

  /** The reading's values without the missing ones (the same object when none is); undefined when empty. */
  #fieldsOf(reading: Reading): SeriesPoint['fields'] | undefined {
    const { values, quality } = reading;
    if (!quality) {
      for (const _ in values) return values;
      return undefined;
    }
    const fields: SeriesPoint['fields'] = {};
    let any = false;
    for (const key in values) {
      if (quality[key] === 'missing') continue;
      fields[key] = values[key]!;
      any = true;
    }
    return any ? fields : undefined;
  }

  #tagsOf(device: DeviceState): Record<string, string> {
    let tags = this.#tags.get(device.id);
    if (!tags) {
      // Frozen: the line-protocol encoder may then remember its escaped form.
      tags = Object.freeze({ ...device.labels, site: device.site, device: device.id });
      this.#tags.set(device.id, tags);
    }
    return tags;
  }
}
