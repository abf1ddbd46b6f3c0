import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { WSD } from '../adapters/onvif/discover.ts';
import { escapeXml as x, parseXml, path, text } from '../adapters/onvif/soap.ts';
import type { Logger } from '../gateway/log.ts';

/** What a camera says about itself in a ProbeMatch. */
export interface DiscoverableCamera {
  readonly urn: string;
  readonly xaddr: string;
  readonly scopes: readonly string[];
}

export interface DiscoveryResponderOptions {
  /** Default 3702, the WS-Discovery port; 0 for any (read `port` after `start()`). */
  port?: number;
  /** Default 127.0.0.1: the responder never listens on the LAN. */
  host?: string;
  /** The cameras to announce, read at each probe (a camera that is offline is left out). */
  cameras: () => readonly DiscoverableCamera[];
  log?: Logger;
}

export interface DiscoveryResponder {
  readonly port: number;
  /** Probes answered so far. */
  readonly probes: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The types a Probe may ask for that a camera is. */
const MATCHING_TYPES = /NetworkVideoTransmitter|(^|:)Device$/;

export function probeMatches(camera: DiscoverableCamera, relatesTo: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${WSD.soap}" xmlns:a="${WSD.addressing}" xmlns:d="${WSD.discovery}" xmlns:dn="${WSD.network}" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">` +
    `<s:Header><a:MessageID>urn:uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${x(relatesTo)}</a:RelatesTo>` +
    `<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:Action>${WSD.matchesAction}</a:Action></s:Header>` +
    `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${x(camera.urn)}</a:Address></a:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes>${x(camera.scopes.join(' '))}</d:Scopes>` +
    `<d:XAddrs>${x(camera.xaddr)}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`
  );
}

/**
 * Answers WS-Discovery probes for simulated cameras, one ProbeMatches datagram per camera as real
 * cameras each send their own, unicast to the prober.
 */
export function createDiscoveryResponder(options: DiscoveryResponderOptions): DiscoveryResponder {
  let socket: Socket | undefined;
  let port = options.port ?? 3702;
  let probes = 0;

  const onMessage = (buffer: Buffer, rinfo: { address: string; port: number }): void => {
    const parsed = parseXml(buffer.toString('utf8'));
    if ('error' in parsed) return;
    const probe = path(parsed.tree, 'Envelope', 'Body', 'Probe');
    if (!probe) return;
    const types = text(probe.Types).split(/\s+/).filter(Boolean);
    if (types.length > 0 && !types.some((t) => MATCHING_TYPES.test(t))) return;
    const messageId = text(path(parsed.tree, 'Envelope', 'Header', 'MessageID'));
    probes++;
    for (const camera of options.cameras()) {
      socket?.send(Buffer.from(probeMatches(camera, messageId), 'utf8'), rinfo.port, rinfo.address);
    }
  };

  return {
    get port() {
      return port;
    },
    get probes() {
      return probes;
    },
    async start() {
      if (socket) return;
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, options.host ?? '127.0.0.1', () => {
          s.off('error', reject);
          resolve();
        });
      });
      s.on('error', (err) => options.log?.warn({ err }, 'discovery responder error'));
      s.on('message', onMessage);
      port = s.address().port;
      socket = s;
    },
    async stop() {
      const s = socket;
      socket = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
