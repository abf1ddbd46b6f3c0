import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { child, children, parseXml, path, text } from './soap.ts';

/**
 * WS-Discovery for ONVIF cameras: a Probe over UDP and the ProbeMatches that come back. The
 * multicast group is the default only for a user running `cgw discover` on a LAN; tests and the
 * simulators send the probe unicast to a responder on 127.0.0.1 (loopback has no multicast).
 *
 * Our own, not node-onvif's startProbe: that one binds every interface and always multicasts to
 * a module-wide address, so it can neither stay on loopback nor run two probes at once.
 */

export const WS_DISCOVERY_MULTICAST = { host: '239.255.255.250', port: 3702 } as const;

export const WSD = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  discovery: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  network: 'http://www.onvif.org/ver10/network/wsdl',
  probeAction: 'http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe',
  matchesAction: 'http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches',
  to: 'urn:schemas-xmlsoap-org:ws:2005:04:discovery',
} as const;

export interface DiscoveryTarget {
  host: string;
  port: number;
}

/** One camera that answered. */
export interface DiscoveredCamera {
  /** Endpoint reference, `urn:uuid:…`: stable across address changes. */
  urn: string;
  /** Device-service addresses it offers. */
  xaddrs: string[];
  scopes: string[];
  types: string[];
  /** From the scopes (`onvif://www.onvif.org/name/…`, `…/hardware/…`, `…/location/…`). */
  name: string;
  hardware: string;
  location: string;
  /** Who sent the answer, `ip:port`. */
  from: string;
}

export function buildProbe(messageId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${WSD.soap}" xmlns:a="${WSD.addressing}" xmlns:d="${WSD.discovery}" xmlns:dn="${WSD.network}">` +
    `<s:Header><a:Action s:mustUnderstand="1">${WSD.probeAction}</a:Action><a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
    `<a:To s:mustUnderstand="1">${WSD.to}</a:To></s:Header>` +
    `<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>`
  );
}

function scopeValue(scopes: string[], kind: string): string {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const scope = scopes.find((s) => s.toLowerCase().startsWith(prefix.toLowerCase()));
  if (!scope) return '';
  const raw = scope.slice(prefix.length);
  try {
    return decodeURIComponent(raw).replace(/_/g, ' ');
  } catch {
    return raw.replace(/_/g, ' ');
  }
}

const words = (value: unknown): string[] => text(value).split(/\s+/).filter(Boolean);

/** The cameras in one ProbeMatches datagram. Never throws: anything else gives `[]`. */
export function parseProbeMatches(xml: string, from = ''): DiscoveredCamera[] {
  const parsed = parseXml(xml);
  if ('error' in parsed) return [];
  const matches = path(parsed.tree, 'Envelope', 'Body', 'ProbeMatches');
  return children(matches, 'ProbeMatch').flatMap((match) => {
    const urn = text(path(match, 'EndpointReference', 'Address')).trim();
    const xaddrs = words(match.XAddrs).filter((x) => /^https?:\/\//i.test(x));
    if (!urn || xaddrs.length === 0) return [];
    const scopes = words(child(match, 'Scopes'));
    return [
      {
        urn,
        xaddrs,
        scopes,
        types: words(match.Types),
        name: scopeValue(scopes, 'name'),
        hardware: scopeValue(scopes, 'hardware'),
        location: scopeValue(scopes, 'location'),
        from,
      },
    ];
  });
}

export interface DiscoverOptions {
  /** Default: the WS-Discovery multicast group (use only on a real LAN). */
  target?: DiscoveryTarget;
  /** How long to collect answers. Default 3 s. */
  timeoutMs?: number;
  /** Probes sent, a little apart (UDP may drop one). Default 2. */
  probes?: number;
  signal?: AbortSignal;
}

/** Sends the probe and collects the cameras that answer within the timeout, one entry per `urn`. */
export async function discoverCameras(options: DiscoverOptions = {}): Promise<DiscoveredCamera[]> {
  const target = options.target ?? WS_DISCOVERY_MULTICAST;
  const family = isIP(target.host) === 6 ? 'udp6' : 'udp4';
  const socket = createSocket({ type: family, reuseAddr: false });
  const found = new Map<string, DiscoveredCamera>();
  socket.on('message', (buffer, rinfo) => {
    for (const camera of parseProbeMatches(buffer.toString('utf8'), `${rinfo.address}:${rinfo.port}`))
      if (!found.has(camera.urn)) found.set(camera.urn, camera);
  });
  // A probe to a loopback responder is answered on loopback: bind there, never on the LAN.
  const loopback = /^(127\.|::1$|localhost$)/.test(target.host);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, loopback ? (family === 'udp6' ? '::1' : '127.0.0.1') : undefined, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {}); // an ICMP "port unreachable" on loopback must not throw later
  const messageId = `urn:uuid:${randomUUID()}`;
  const probe = Buffer.from(buildProbe(messageId), 'utf8');
  const timeoutMs = options.timeoutMs ?? 3000;
  const probes = Math.max(1, options.probes ?? 2);
  const started = Date.now();
  try {
    for (let i = 0; i < probes && !options.signal?.aborted; i++) {
      socket.send(probe, target.port, target.host);
      if (i < probes - 1) await delay(Math.min(200, timeoutMs / (probes + 1)), options.signal);
    }
    await delay(Math.max(0, timeoutMs - (Date.now() - started)), options.signal);
  } finally {
    socket.close();
  }
  return [...found.values()];
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
