import type { BackoffOptions } from '../gateway/backoff.ts';
import type { Bus } from '../gateway/bus.ts';
import type { Clock } from '../gateway/clock.ts';
import type { Logger } from '../gateway/log.ts';
import type { ComponentHealth, SeriesStore } from '../gateway/store/series-store.ts';
import type { SnapshotSource } from '../gateway/types.ts';
import { alertKey } from './alert-book.ts';
import { compileRules, indexByDevice, type CompiledRule, type EngineDevice } from './compile.ts';
import { AlertMaker } from './alert-maker.ts';
import { buildEngineParts } from './engine-parts.ts';
import { AlertQueries } from './engine-queries.ts';
import { evaluate, initialState, rehydrate, type RuleInput, type RuleState } from './evaluate.ts';
import { clear, escalate } from './lifecycle.ts';
import type { Notifier } from './notify/notifier.ts';
import type { OutboxWorker } from './notify/outbox-worker.ts';
import type { PublishFn } from './notify/senders.ts';
import { TimerQueue } from './scheduler.ts';
import { WakeTimer } from './wake-timer.ts';
import type { NotifyConfig } from './schema/notify.ts';
import type { Rule } from './schema/rule.ts';
import { validateRules } from './schema/validate.ts';
import type { ReloadResult } from './service.ts';
import type { DeferWork } from '../gateway/store/series-store.ts';
import { traceCommit } from '../gateway/trace.ts';
import { StateSaver } from './state-saver.ts';
import type { SqliteDatabase } from './store/database.ts';
import type { OutboxEntry, OutboxStore } from './store/outbox-store.ts';

export interface AlertEngineOptions {
  rules: readonly Rule[];
  /** Absent: every alert change to the MQTT alert topic. */
  notify?: NotifyConfig;
  /** MQTT topic root (`cg`). */
  prefix: string;
  devices: readonly EngineDevice[];
  bus: Bus;
  /** State changes go to its `alerts` measurement. */
  series: SeriesStore;
  log: Logger;
  clock: Clock;
  /** `alerts.db`, `alerts.key` and `snapshots/` live here. */
  dataDir: string;
  /** The MQTT broker's publish (the supervisor passes the embedded broker's). */
  publish?: PublishFn;
  snapshots?: SnapshotSource;
  /** Overrides `notify.retry` (tests keep waits short). */
  backoff?: BackoffOptions & { giveUpAfterMs?: number };
  /** Arm real timers for `for` windows, silence and escalation (default true; tests may call tick()). */
  timers?: boolean;
  onSent?: (entry: OutboxEntry) => void;
  /** Runs the rule-state writes made on the engine's own time (the gateway's alarms-first lane). */
  defer?: DeferWork;
}

const ESCALATION = 'esc\u0000';

/**
 * The rule engine (STYLE.md 10): subscribes to the bus, runs every matching rule's pure
 * evaluator on each reading, event and status, feeds the transitions to the alert state machine,
 * and keeps `for` timers, silence clocks and escalations in one timer queue. Time comes from the
 * injected clock; rule states with a pending timer are persisted, so a restart resumes them.
 */
export class AlertEngine extends AlertQueries {
  readonly #o: AlertEngineOptions;
  readonly #log: Logger;
  readonly #db: SqliteDatabase;
  readonly #timers = new TimerQueue();
  readonly #saver: StateSaver;
  readonly #states = new Map<string, RuleState>();
  readonly #worker: OutboxWorker;
  readonly #notifier: Notifier;
  readonly #outbox: OutboxStore;
  readonly #maker: AlertMaker;
  #compiled: CompiledRule[] = [];
  /** Per device: its rules, each with its state key (made once, not on every message). */
  #byDevice = new Map<string, Array<{ c: CompiledRule; key: string }>>();
  #rulesById = new Map<string, CompiledRule>();
  readonly #devices: Map<string, EngineDevice>;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #online = new Map<string, boolean>();
  readonly #wake: WakeTimer;
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(options: AlertEngineOptions) {
    const parts = buildEngineParts(options);
    super({ ...parts, clock: options.clock });
    this.#o = options;
    this.#log = options.log;
    this.#db = parts.db;
    this.#saver = new StateSaver(parts.store, { defer: options.defer });
    this.#wake = new WakeTimer(options.clock, () => this.tick());
    this.#worker = parts.worker;
    this.#notifier = parts.notifier;
    this.#outbox = parts.outbox;
    this.#maker = new AlertMaker({
      book: parts.book,
      snapshots: parts.snapshots,
      onOpened: (alert) => this.#scheduleEscalation(alert.id, alert.rule, alert.startedAt),
    });
    this.#devices = new Map(options.devices.map((d) => [d.id, d]));
    this.#install(options.rules);
  }

  /** The rules running now. */
  override rules(): readonly Rule[] {
    return this.#compiled.map((c) => c.rule);
  }

  protected override devicesForKpi(): Array<{ id: string; kind: EngineDevice['kind'] }> {
    return [...this.#devices.values()];
  }

  /** Base of acknowledge and snapshot links (the supervisor sets it once HTTP listens). */
  setBaseUrl(url: string | undefined): void {
    this.#notifier.setBaseUrl(url);
  }

  /** Loads open alerts and rule states, catches up on time that passed, starts listening. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.book.load();
    this.#restoreStates();
    const { bus } = this.#o;
    this.#unsubscribe.push(
      bus.on('reading', (r) => this.#input(r.deviceId, { type: 'reading', reading: r })),
      bus.on('event', (e) => {
        this.recent.add(e);
        this.#input(e.deviceId, { type: 'event', event: e });
      }),
      bus.on('status', (s) => this.#input(s.deviceId, { type: 'status', status: s })),
      bus.on('update', (u) => {
        if (u.online === undefined || this.#online.get(u.deviceId) === u.online) return;
        this.#online.set(u.deviceId, u.online);
        this.store.addStatus(u.deviceId, u.ts, u.online);
      }),
    );
    for (const alert of this.book.open()) this.#scheduleEscalation(alert.id, alert.rule, alert.startedAt);
    this.tick();
    this.#worker.start();
    this.#log.info({ rules: this.#compiled.length, open: this.book.open().length }, 'rule engine started');
  }

  /** Stops listening and timers, lets notifications on their way finish, closes the database. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const off of this.#unsubscribe.splice(0)) off();
      this.#wake.cancel();
      await this.snapshots.settle();
      this.#maker.close();
      await this.#worker.stop();
      if (this.#started) {
        this.#saver.flush();
        this.book.flushValues();
      }
      this.#db.close();
    })();
    return this.#stopping;
  }

  /**
   * Replaces the rules. An invalid set changes nothing and says why. Unchanged rules keep their
   * state and timers; open alerts of changed or removed rules resolve with a note (a changed rule
   * that still fires re-opens them silently within its flap window).
   */
  reload(raw: unknown): ReloadResult {
    const result = validateRules(raw, [...this.#devices.keys()]);
    if (!result.ok) {
      this.#log.error(
        { problems: result.problems },
        `rules not reloaded: ${result.problems.length} problem(s); the previous rules keep running`,
      );
      return result;
    }
    return this.replace(result.rules);
  }

  /** `reload` for rules already validated (a config file parsed whole, with its line numbers). */
  replace(rules: readonly Rule[]): Extract<ReloadResult, { ok: true }> {
    const before = this.#rulesById;
    this.#install(rules);
    const added: string[] = [];
    const changed: string[] = [];
    for (const c of this.#compiled) {
      const old = before.get(c.rule.id);
      if (!old) added.push(c.rule.id);
      else if (old.hash !== c.hash) changed.push(c.rule.id);
    }
    const removed = [...before.keys()].filter((id) => !this.#rulesById.has(id));
    const now = this.#o.clock.now();
    for (const id of [...changed, ...removed]) {
      const old = before.get(id)!;
      this.#saver.forget(id);
      this.store.dropRuleStates(id);
      for (const alert of this.book.open().filter((a) => a.rule === id)) {
        // Event alerts too: the rule that would let a person see them through is gone.
        const change = clear({ ...alert, manual: false }, null, now);
        if (!change) continue;
        const note = removed.includes(id) ? 'rule removed by a reload' : 'rule changed by a reload';
        const history = change.history && { ...change.history, note };
        this.book.apply(
          { ...change, alert: { ...change.alert, manual: alert.manual }, history },
          old.rule,
          false,
        );
      }
    }
    if (this.#started) {
      this.#restoreStates(new Set([...added, ...changed]));
      this.#arm();
    }
    this.#log.info({ added, changed, removed }, `rules reloaded: ${this.#compiled.length} rules`);
    return { ok: true, rules: this.#compiled.length, added, changed, removed };
  }

  /** Runs everything due at the clock's now (the timer calls it; tests with a fake clock too). */
  tick(): void {
    const now = this.#o.clock.now();
    for (const key of this.#timers.takeDue(now)) {
      if (key.startsWith(ESCALATION)) this.#escalate(key.slice(ESCALATION.length), now);
      else {
        const [ruleId, deviceId] = key.split('\u0000') as [string, string];
        const compiled = this.#rulesById.get(ruleId);
        const device = this.#devices.get(deviceId);
        if (compiled && device) this.#run(compiled, device, { type: 'tick' }, now, key);
      }
    }
    this.#arm();
  }

  /** For `/api/health`: rules, open alerts, and notifications waiting or given up. */
  health(): ComponentHealth {
    const counts = this.#outbox.counts();
    const detail = `${this.#compiled.length} rules, ${this.book.open().length} open alerts, ${counts.pending} notifications pending, ${counts.dead} given up`;
    return { state: counts.dead > 0 || this.#worker.failing ? 'degraded' : 'up', detail };
  }

  /** Runs a delivery pass at the clock's now and resolves when nothing is being sent (tests). */
  async idle(): Promise<void> {
    await this.#worker.idle();
    this.#worker.pass();
    await this.#worker.idle();
  }

  #install(rules: readonly Rule[]): void {
    this.#compiled = compileRules(rules, [...this.#devices.values()]);
    this.#byDevice = new Map(
      [...indexByDevice(this.#compiled)].map(([id, rules]) => [
        id,
        rules.map((c) => ({ c, key: alertKey(c.rule.id, id) })),
      ]),
    );
    this.#rulesById = new Map(this.#compiled.map((c) => [c.rule.id, c]));
  }

  /** States from the database where their rule is unchanged, fresh ones elsewhere; then a tick each. */
  #restoreStates(only?: Set<string>): void {
    const now = this.#o.clock.now();
    const saved = new Map(this.store.ruleStates().map((s) => [alertKey(s.rule, s.device), s]));
    for (const c of this.#compiled) {
      if (only && !only.has(c.rule.id)) continue;
      for (const d of c.devices) {
        const key = alertKey(c.rule.id, d.id);
        const s = saved.get(key);
        const state =
          s && s.hash === c.hash ? rehydrate(c.rule.when, s.state, now) : initialState(c.rule.when, now);
        this.#states.set(key, state);
        // A `for` window that ended while the gateway was down fires now, once.
        this.#run(c, d, { type: 'tick' }, now, key);
      }
    }
  }

  #input(deviceId: string, input: RuleInput): void {
    const rules = this.#byDevice.get(deviceId);
    const device = this.#devices.get(deviceId);
    if (!rules || !device) return;
    const now = this.#o.clock.now();
    for (const r of rules) this.#run(r.c, device, input, now, r.key);
    this.#arm();
  }

  #run(c: CompiledRule, device: EngineDevice, input: RuleInput, now: number, key: string): void {
    const state = this.#states.get(key) ?? initialState(c.rule.when, now);
    const ev = evaluate(c.rule, input, state, now);
    this.#states.set(key, ev.state);
    if (ev.due !== null) this.#timers.schedule(key, ev.due);
    if (!ev.durable && !ev.transitions.length) return;
    const saved = { rule: c.rule.id, device: device.id, hash: c.hash, state: ev.state, at: now };
    if (!ev.transitions.length) return this.#saver.later(key, saved);
    // The state and the alert it caused commit together: a crash leaves both or neither.
    const traced = traceCommit.hasSubscribers;
    if (traced) traceCommit.publish({ device: device.id, rule: c.rule.id, phase: 'start' });
    this.store.transaction(() => {
      // Timed at the commit, before the alert it sends (first of the work that follows it).
      if (traced)
        this.store.afterCommit(
          () => traceCommit.publish({ device: device.id, rule: c.rule.id, phase: 'end' }),
          true,
        );
      for (const t of ev.transitions) this.#maker.apply(c.rule, device, t, now);
      this.#saver.now(key, saved);
    });
  }

  #scheduleEscalation(alertId: string, ruleId: string, startedAt: number): void {
    const after = this.#rulesById.get(ruleId)?.rule.escalateAfterMs;
    if (after !== null && after !== undefined) this.#timers.schedule(ESCALATION + alertId, startedAt + after);
  }

  #escalate(alertId: string, now: number): void {
    const alert = this.book.get(alertId);
    const rule = alert && this.#rulesById.get(alert.rule)?.rule;
    const change = alert && rule && escalate(alert, now);
    if (change) this.book.apply(change, rule, false);
  }

  #arm(): void {
    if (this.#o.timers === false || !this.#started || this.#stopping) return;
    this.#wake.arm(this.#timers.next() ?? Infinity);
  }
}
