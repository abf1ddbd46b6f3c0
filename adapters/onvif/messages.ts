import { attr, child, children, isNode, NS, path, text, type XmlNode } from './soap.ts';

/**
 * Request bodies and answer decoders for the few ONVIF operations the adapter sends itself.
 * Pure: decoders take the parsed SOAP body and return undefined for an answer they cannot use.
 */

export const REQUEST = {
  getSystemDateAndTime: `<GetSystemDateAndTime xmlns="${NS.device}"/>`,
  getDeviceInformation: `<GetDeviceInformation xmlns="${NS.device}"/>`,
  createPullPoint: (ttlMs: number) =>
    `<CreatePullPointSubscription xmlns="${NS.events}"><InitialTerminationTime>${xsdDuration(ttlMs)}</InitialTerminationTime></CreatePullPointSubscription>`,
  pullMessages: (timeoutMs: number, limit: number) =>
    `<PullMessages xmlns="${NS.events}"><Timeout>${xsdDuration(timeoutMs)}</Timeout><MessageLimit>${limit}</MessageLimit></PullMessages>`,
  renew: (ttlMs: number) =>
    `<Renew xmlns="${NS.wsnt}"><TerminationTime>${xsdDuration(ttlMs)}</TerminationTime></Renew>`,
  unsubscribe: `<Unsubscribe xmlns="${NS.wsnt}"/>`,
} as const;

export const ACTION = {
  pullMessages: `${NS.events}/PullPointSubscription/PullMessagesRequest`,
  renew: `${NS.wsnt}/SubscriptionManager/RenewRequest`,
  unsubscribe: `${NS.wsnt}/SubscriptionManager/UnsubscribeRequest`,
} as const;

/** Milliseconds in the whole seconds (at least 1) that go on the wire. */
export function xsdSeconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}

/** Milliseconds as an xs:duration in whole seconds: `PT10S` (some firmwares reject fractions). */
export function xsdDuration(ms: number): string {
  return `PT${xsdSeconds(ms)}S`;
}

/** An xs:dateTime to epoch ms; undefined for anything else. */
export function parseDateTime(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(value)) return undefined;
  // A camera that leaves out the zone means UTC (ONVIF mandates UTC on the wire).
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The camera's UTC clock from GetSystemDateAndTimeResponse, epoch ms (whole seconds). */
export function decodeSystemDateAndTime(body: XmlNode): number | undefined {
  const utc = path(body, 'GetSystemDateAndTimeResponse', 'SystemDateAndTime', 'UTCDateTime');
  const date = child(utc, 'Date');
  const time = child(utc, 'Time');
  const n = (node: XmlNode | undefined, name: string): number => Number(text(node?.[name]));
  const parts = [n(date, 'Year'), n(date, 'Month'), n(date, 'Day'), n(time, 'Hour'), n(time, 'Minute')];
  const second = n(time, 'Second');
  if (![...parts, second].every(Number.isInteger)) return undefined;
  const [year, month, day, hour, minute] = parts as [number, number, number, number, number];
  if (
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  )
    return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export function decodeDeviceInformation(body: XmlNode): DeviceInformation | undefined {
  const info = child(body, 'GetDeviceInformationResponse');
  if (!info) return undefined;
  return {
    manufacturer: text(info.Manufacturer),
    model: text(info.Model),
    firmwareVersion: text(info.FirmwareVersion),
    serialNumber: text(info.SerialNumber),
    hardwareId: text(info.HardwareId),
  };
}

/** What a subscription answer says about its lifetime, in the camera's clock. */
export interface SubscriptionTimes {
  currentTime?: number;
  terminationTime?: number;
}

export interface PullPointSubscription extends SubscriptionTimes {
  /** Where PullMessages, Renew and Unsubscribe go. */
  address: string;
}

function times(node: XmlNode | undefined): SubscriptionTimes {
  const currentTime = parseDateTime(text(node?.CurrentTime));
  const terminationTime = parseDateTime(text(node?.TerminationTime));
  return {
    ...(currentTime !== undefined ? { currentTime } : {}),
    ...(terminationTime !== undefined ? { terminationTime } : {}),
  };
}

export function decodeCreatePullPoint(body: XmlNode): PullPointSubscription | undefined {
  const answer = child(body, 'CreatePullPointSubscriptionResponse');
  const address = text(path(answer, 'SubscriptionReference', 'Address'));
  if (!answer || !/^https?:\/\//i.test(address)) return undefined;
  return { address, ...times(answer) };
}

export function decodeRenew(body: XmlNode): SubscriptionTimes | undefined {
  const answer = child(body, 'RenewResponse');
  return answer ? times(answer) : undefined;
}

/** One ONVIF notification, protocol details flattened. */
export interface Notification {
  /** `tns1:RuleEngine/CellMotionDetector/Motion` (prefix kept: it is part of what vendors send). */
  topic: string;
  /** Camera time, epoch ms, when it said. */
  utcTime?: number;
  /** `Initialized` (state at subscription time), `Changed`, `Deleted`, or '' for plain events. */
  operation: string;
  source: Record<string, string>;
  data: Record<string, string>;
}

export interface PullMessagesAnswer extends SubscriptionTimes {
  messages: Notification[];
}

export function decodePullMessages(body: XmlNode): PullMessagesAnswer | undefined {
  const answer = child(body, 'PullMessagesResponse');
  if (!answer) return undefined;
  return { ...times(answer), messages: children(answer, 'NotificationMessage').flatMap(decodeNotification) };
}

function items(node: XmlNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of children(node, 'SimpleItem')) {
    const name = attr(item, 'Name');
    if (name) out[name] = attr(item, 'Value');
  }
  return out;
}

function decodeNotification(node: XmlNode): Notification[] {
  const topicNode = node.Topic;
  const topic = text(topicNode).trim();
  const message = path(node, 'Message', 'Message') ?? child(node, 'Message');
  if (!topic || !isNode(message)) return [];
  const utcTime = parseDateTime(attr(message, 'UtcTime'));
  return [
    {
      topic,
      ...(utcTime !== undefined ? { utcTime } : {}),
      operation: attr(message, 'PropertyOperation'),
      source: items(child(message, 'Source')),
      data: items(child(message, 'Data')),
    },
  ];
}
