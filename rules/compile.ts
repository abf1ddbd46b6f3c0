import { createHash } from 'node:crypto';
import type { DeviceKind } from '../gateway/types.ts';
import type { Rule, RuleMatch } from './schema/rule.ts';

/** What the engine needs to know of a device. */
export interface EngineDevice {
  id: string;
  name: string;
  site: string;
  kind: DeviceKind;
  labels: Readonly<Record<string, string>>;
  /** Linked devices that are cameras: their snapshots go with this device's alerts. */
  cameras: readonly string[];
}

export interface CompiledRule {
  rule: Rule;
  /** Changes whenever the rule's definition does: persisted states of another hash are void. */
  hash: string;
  devices: EngineDevice[];
}

export function ruleHash(rule: Rule): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('hex').slice(0, 16);
}

export function matches(match: RuleMatch, d: EngineDevice): boolean {
  if (match.kinds && !match.kinds.includes(d.kind)) return false;
  if (match.devices && !match.devices.includes(d.id)) return false;
  for (const [k, v] of Object.entries(match.labels)) if (d.labels[k] !== v) return false;
  return true;
}

export function compileRules(rules: readonly Rule[], devices: readonly EngineDevice[]): CompiledRule[] {
  return rules.map((rule) => ({
    rule,
    hash: ruleHash(rule),
    devices: devices.filter((d) => matches(rule.match, d)),
  }));
}

/** Device id → the rules watching it, in config order. */
export function indexByDevice(compiled: readonly CompiledRule[]): Map<string, CompiledRule[]> {
  const index = new Map<string, CompiledRule[]>();
  for (const c of compiled)
    for (const d of c.devices) {
      const list = index.get(d.id);
      if (list) list.push(c);
      else index.set(d.id, [c]);
    }
  return index;
}

/** The engine's view of the configured devices; links to cameras become snapshot sources. */
export function engineDevices(
  devices: ReadonlyArray<{
    id: string;
    name?: string;
    site: string;
    kind: DeviceKind;
    labels: Readonly<Record<string, string>>;
    links: readonly string[];
  }>,
): EngineDevice[] {
  const kinds = new Map(devices.map((d) => [d.id, d.kind]));
  return devices.map((d) => ({
    id: d.id,
    name: d.name ?? d.id,
    site: d.site,
    kind: d.kind,
    labels: d.labels,
    cameras: d.links.filter((id) => kinds.get(id) === 'camera'),
  }));
}
