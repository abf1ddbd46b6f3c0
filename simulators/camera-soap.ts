import { child, parseXml, text, type XmlNode } from '../adapters/onvif/soap.ts';
import { checkUsernameToken, type NonceCache } from './camera-auth.ts';
import { parseXsdDuration, type PullPointManager, type SimNotification } from './camera-events.ts';
import * as r from './camera-responses.ts';

/**
 * Routes one SOAP request of a simulated camera to its answer: checks the WS-Security token
 * (except on the PRE_AUTH operations a client needs before it can sign), then answers the Device,
 * Media or Events operation, or a subscription's PullMessages / Renew / Unsubscribe.
 */

/** What a client may call without a token (ONVIF Core, access class PRE_AUTH). */
const PRE_AUTH = new Set([
  'GetSystemDateAndTime',
  'GetCapabilities',
  'GetServices',
  'GetServiceCapabilities',
  'GetWsdlUrl',
  'GetEndpointReference',
]);

export interface SoapAnswer {
  status: number;
  xml: string;
  /** Run after the answer is sent (SystemReboot). */
  after?: () => void;
}

export interface SoapContext {
  identity: r.CameraIdentity;
  endpoints: r.Endpoints;
  username: string;
  password: string;
  maxSkewMs: number;
  maxPullHoldMs: number;
  cameraNow(): number;
  nonces: NonceCache;
  subscriptions: PullPointManager;
  /** Current alarm states, as `Initialized` messages for a new subscription. */
  initialMessages(): SimNotification[];
  /** false while the camera is told to let subscriptions expire. */
  honourRenew(): boolean;
  reboot(): void;
  count(operation: string, authorised: boolean): void;
}

const ok = (body: string): SoapAnswer => ({ status: 200, xml: r.envelope(body) });
const senderFault = (subcode: string, reason: string): SoapAnswer => ({
  status: 400,
  xml: r.fault('Sender', subcode, reason),
});
const NOT_AUTHORIZED = senderFault('ter:NotAuthorized', 'Sender not Authorized');
const UNKNOWN_SUBSCRIPTION = senderFault('wsrf:ResourceUnknownFault', 'No such subscription');

/** The operation: the first element of the Body. */
function operationOf(body: XmlNode): { name: string; node: XmlNode } | undefined {
  const name = Object.keys(body).find((k) => !k.startsWith('@') && !k.startsWith('#'));
  return name ? { name, node: child(body, name) ?? {} } : undefined;
}

/** An absolute xs:dateTime (camera time) or a duration, as ms from now; `fallback` when absent. */
function lifetimeMs(value: string, ctx: SoapContext, fallback: number): number | undefined {
  if (!value) return fallback;
  const duration = parseXsdDuration(value);
  const ms = duration ?? Date.parse(value) - ctx.cameraNow();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(3_600_000, Math.max(1000, ms));
}

export async function answerSoap(
  path: string,
  xml: string,
  ctx: SoapContext,
  cancel: AbortSignal,
): Promise<SoapAnswer> {
  const parsed = parseXml(xml);
  if ('error' in parsed) return senderFault('ter:WellFormed', 'The request is not well-formed XML');
  const envelope = child(parsed.tree, 'Envelope');
  const body = child(envelope, 'Body');
  const op = body && operationOf(body);
  if (!op) return senderFault('ter:InvalidArgs', 'No operation in the SOAP Body');
  const authorised =
    PRE_AUTH.has(op.name) ||
    checkUsernameToken(
      child(envelope, 'Header'),
      {
        username: ctx.username,
        password: ctx.password,
        cameraNowMs: ctx.cameraNow(),
        maxSkewMs: ctx.maxSkewMs,
      },
      ctx.nonces,
    ).ok;
  ctx.count(op.name, authorised);
  if (!authorised) return NOT_AUTHORIZED;

  const subscription = /^\/onvif\/subscription\/(\d+)$/.exec(path);
  if (subscription) return answerSubscription(Number(subscription[1]), op, ctx, cancel);
  const { identity, endpoints } = ctx;
  const profileOf = (node: XmlNode): r.SimProfile | undefined => {
    const token = text(node.ProfileToken);
    return r.PROFILES.find((p) => p.token === token);
  };
  const host = new URL(endpoints.base).hostname;
  switch (op.name) {
    case 'GetSystemDateAndTime':
      return ok(r.systemDateAndTime(ctx.cameraNow()));
    case 'GetCapabilities':
      return ok(r.capabilities(endpoints));
    case 'GetServices':
      return ok(r.services(endpoints));
    case 'GetServiceCapabilities':
      return ok(path === r.EVENTS_PATH ? r.eventServiceCapabilities() : r.deviceServiceCapabilities());
    case 'GetDeviceInformation':
      return ok(r.deviceInformation(identity));
    case 'GetScopes':
      return ok(r.scopes(identity));
    case 'GetHostname':
      return ok(
        `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>cam-${identity.serial}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`,
      );
    case 'SystemReboot':
      return {
        ...ok(`<tds:SystemRebootResponse><tds:Message>Rebooting</tds:Message></tds:SystemRebootResponse>`),
        after: ctx.reboot,
      };
    case 'GetProfiles':
      return ok(r.profiles());
    case 'GetProfile': {
      const p = profileOf(op.node);
      return p ? ok(r.oneProfile(p)) : senderFault('ter:NoProfile', 'No such profile');
    }
    case 'GetVideoSources':
      return ok(r.videoSources());
    case 'GetStreamUri': {
      const p = profileOf(op.node);
      if (!p) return senderFault('ter:NoProfile', 'No such profile');
      const protocol = text(child(child(op.node, 'StreamSetup'), 'Transport')?.Protocol);
      return ok(
        r.streamUri(
          protocol === 'HTTP'
            ? `${endpoints.base}/onvif/mjpeg/${p.token}`
            : `rtsp://${host}:554/Streaming/Channels/${p.token}`,
        ),
      );
    }
    case 'GetSnapshotUri': {
      const p = profileOf(op.node);
      if (!p) return senderFault('ter:NoProfile', 'No such profile');
      return ok(r.snapshotUri(`${endpoints.base}${r.SNAPSHOT_PATH}?profile=${p.token}`));
    }
    case 'GetEventProperties':
      return ok(r.eventProperties());
    case 'CreatePullPointSubscription': {
      const ttl = lifetimeMs(text(op.node.InitialTerminationTime), ctx, 60_000);
      if (ttl === undefined) return senderFault('ter:InvalidArgVal', 'InitialTerminationTime not understood');
      const sub = ctx.subscriptions.create(endpoints.base, ttl, ctx.initialMessages());
      return ok(r.createPullPoint(sub.address, sub.currentTime, sub.terminationTime));
    }
    default:
      return {
        status: 500,
        xml: r.fault('Receiver', 'ter:ActionNotSupported', `${op.name} is not supported`),
      };
  }
}

async function answerSubscription(
  id: number,
  op: { name: string; node: XmlNode },
  ctx: SoapContext,
  cancel: AbortSignal,
): Promise<SoapAnswer> {
  const address = `${ctx.endpoints.base}/onvif/subscription/${id}`;
  switch (op.name) {
    case 'PullMessages': {
      const timeoutMs = Math.min(ctx.maxPullHoldMs, parseXsdDuration(text(op.node.Timeout)) ?? 10_000);
      const limit = Number(text(op.node.MessageLimit)) || 10;
      const result = await ctx.subscriptions.pull(id, timeoutMs, limit, cancel);
      if (result.kind === 'unknown') return UNKNOWN_SUBSCRIPTION;
      const messages = result.messages.map((m) => r.notification(m, address));
      return ok(r.pullMessages(result.currentTime, result.terminationTime, messages));
    }
    case 'Renew': {
      const ttl = lifetimeMs(text(op.node.TerminationTime), ctx, 60_000);
      if (ttl === undefined) return senderFault('ter:InvalidArgVal', 'TerminationTime not understood');
      const times = ctx.subscriptions.renew(id, ttl, ctx.honourRenew());
      return times ? ok(r.renew(times.currentTime, times.terminationTime)) : UNKNOWN_SUBSCRIPTION;
    }
    case 'Unsubscribe':
      return ctx.subscriptions.unsubscribe(id) ? ok(r.unsubscribe()) : UNKNOWN_SUBSCRIPTION;
    case 'SetSynchronizationPoint':
      return ok(r.empty('tev:SetSynchronizationPointResponse'));
    default:
      return {
        status: 500,
        xml: r.fault('Receiver', 'ter:ActionNotSupported', `${op.name} is not supported here`),
      };
  }
}
