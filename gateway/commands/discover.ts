import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { checkCamera, maskUrl } from '../../adapters/onvif/client.ts';
import {
  discoverCameras,
  WS_DISCOVERY_MULTICAST,
  type DiscoveredCamera,
} from '../../adapters/onvif/discover.ts';
import type { Config } from '../config/schema.ts';
import { loadConfigFile } from '../config/load.ts';

type OnvifDevice = Extract<Config['devices'][number], { protocol: 'onvif' }>;

const USAGE = 'usage: cgw discover [--target host:port] [--timeout ms] [--config gateway.yaml]';

/** `host:port`, `[v6]:port`; undefined when it is neither. */
export function parseTarget(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (host !== 'localhost' && isIP(host) === 0) return undefined;
  return { host, port };
}

/** Same camera when scheme, host, port and path agree (default ports filled in). */
function sameAddress(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname.replace(/\/$/, '') === y.pathname.replace(/\/$/, '');
  } catch {
    return false;
  }
}

/**
 * `cgw discover`: ONVIF cameras that answer a WS-Discovery probe — address, model, name — and,
 * with `--config`, which configured camera each one is and whether our credentials work there.
 * Without `--target` the probe goes to the multicast group: run it on the cameras' LAN.
 * Exit 0 when at least one camera answered, 1 when none did.
 */
export async function discover(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: 'string', short: 't' },
      timeout: { type: 'string' },
      config: { type: 'string', short: 'c' },
    },
  });
  const target = values.target ? parseTarget(values.target) : WS_DISCOVERY_MULTICAST;
  if (!target) {
    process.stderr.write(
      `cgw discover: --target must be host:port (an IP address), not "${values.target}"\n${USAGE}\n`,
    );
    return 1;
  }
  const timeoutMs = values.timeout ? Number(values.timeout) : 3000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) {
    process.stderr.write(`cgw discover: --timeout is milliseconds (100-60000), not "${values.timeout}"\n`);
    return 1;
  }
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const devices = (config?.devices ?? []).filter((d): d is OnvifDevice => d.protocol === 'onvif');
  const where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  process.stdout.write(`probing ${where} for ${timeoutMs} ms…\n`);
  const found = await discoverCameras({ target, timeoutMs });
  found.sort((a, b) => (a.xaddrs[0] ?? '').localeCompare(b.xaddrs[0] ?? ''));
  if (found.length === 0) {
    process.stdout.write(`no ONVIF camera answered at ${where}\n`);
  } else {
    process.stdout.write(`${found.length} camera(s) answered:\n`);
    const lines = await Promise.all(found.map((camera) => describe(camera, devices)));
    process.stdout.write(lines.join(''));
  }
  if (config) {
    const missing = devices.filter(
      (d) => !found.some((c) => c.xaddrs.some((x) => sameAddress(x, d.onvif.xaddr))),
    );
    for (const d of missing)
      process.stdout.write(`  configured but silent: ${d.id} at ${maskUrl(d.onvif.xaddr)}\n`);
  }
  return found.length > 0 ? 0 : 1;
}

async function describe(camera: DiscoveredCamera, devices: readonly OnvifDevice[]): Promise<string> {
  const address = maskUrl(camera.xaddrs[0]!);
  const parts = [address, camera.hardware ? `model ${camera.hardware}` : 'model unknown'];
  if (camera.name) parts.push(`"${camera.name}"`);
  const device = devices.find((d) => camera.xaddrs.some((x) => sameAddress(x, d.onvif.xaddr)));
  if (devices.length > 0) {
    if (!device) parts.push('not in the config');
    else {
      const { xaddr, username, password, timeoutMs } = device.onvif;
      const check = await checkCamera({ xaddr, username, password, timeoutMs });
      parts.push(
        check.ok
          ? `config ${device.id}: credentials OK (${check.info.manufacturer} ${check.info.model})`
          : check.code === 'CGW_ONVIF_UNAUTHORIZED'
            ? `config ${device.id}: credentials REFUSED`
            : `config ${device.id}: check failed: ${check.reason}`,
      );
    }
  }
  return `  ${parts.join('  ')}\n`;
}
