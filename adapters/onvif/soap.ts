import { createHash, randomBytes } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * SOAP 1.2 envelopes for ONVIF, and their parsing. Pure: no I/O, no clock of its own (the caller
 * passes the camera's time), and `parseSoap` never throws whatever bytes a camera sends.
 */

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsa: 'http://www.w3.org/2005/08/addressing',
  device: 'http://www.onvif.org/ver10/device/wsdl',
  media: 'http://www.onvif.org/ver10/media/wsdl',
  events: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  schema: 'http://www.onvif.org/ver10/schema',
} as const;

const PASSWORD_DIGEST =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64_BINARY =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** Larger answers are not SOAP from a camera; refuse them before parsing. */
export const MAX_SOAP_BYTES = 2 * 1024 * 1024;

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** WS-Security UsernameToken digest: Base64(SHA-1(nonce + created + password)). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

export interface Credentials {
  username: string;
  password: string;
}

export interface EnvelopeOptions {
  /** The body's content, e.g. `<GetDeviceInformation xmlns="…"/>`. */
  body: string;
  /** Omit for PRE_AUTH calls (GetSystemDateAndTime) and unauthenticated cameras. */
  credentials?: Credentials;
  /**
   * The camera's clock, epoch ms: our clock plus the offset learned from GetSystemDateAndTime.
   * A camera refuses a token whose `Created` is far from its own time.
   */
  cameraNowMs?: number;
  /** WS-Addressing `To` (a PullPoint subscription address) and `Action`. */
  to?: string;
  action?: string;
  /** For tests: a fixed nonce instead of 16 random bytes. */
  nonce?: Buffer;
}

/** The UsernameToken header element; `created` is an ISO-8601 UTC instant in camera time. */
export function securityHeader(credentials: Credentials, created: string, nonce: Buffer): string {
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}">` +
    `<wsse:UsernameToken><wsse:Username>${escapeXml(credentials.username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${passwordDigest(nonce, created, credentials.password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_BINARY}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

export function buildEnvelope(options: EnvelopeOptions): string {
  const headers: string[] = [];
  if (options.action) headers.push(`<wsa:Action>${escapeXml(options.action)}</wsa:Action>`);
  if (options.to) headers.push(`<wsa:To s:mustUnderstand="1">${escapeXml(options.to)}</wsa:To>`);
  if (options.credentials) {
    // Whole seconds, as cameras print them: some reject fractional `Created` values.
    const created = new Date(options.cameraNowMs ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    headers.push(securityHeader(options.credentials, created, options.nonce ?? randomBytes(16)));
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:wsa="${NS.wsa}" xmlns:tt="${NS.schema}">` +
    `<s:Header>${headers.join('')}</s:Header><s:Body>${options.body}</s:Body></s:Envelope>`
  );
}

/** A SOAP fault as a camera sent it. */
export interface SoapFault {
  /** `Sender`, `Receiver` (prefix removed). */
  code: string;
  /** The most specific subcode: `NotAuthorized`, `ResourceUnknownFault`, … (prefix removed). */
  subcode: string;
  reason: string;
}

export type XmlNode = Record<string, unknown>;

export type SoapResult =
  | { kind: 'ok'; body: XmlNode; header: XmlNode }
  | { kind: 'fault'; fault: SoapFault }
  | { kind: 'malformed'; detail: string };

/** Elements that may repeat and must stay arrays even when a camera sends one. */
const ALWAYS_ARRAYS = new Set([
  'NotificationMessage',
  'SimpleItem',
  'Profiles',
  'Service',
  'ProbeMatch',
  'Scopes',
]);

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => ALWAYS_ARRAYS.has(name),
});

/** XML text to a tree (namespace prefixes removed, attributes as `@name`); undefined when it is not XML. */
export function parseXml(xml: string): { tree: XmlNode } | { error: string } {
  if (xml.length > MAX_SOAP_BYTES) return { error: `answer too large (${xml.length} bytes)` };
  try {
    const valid = XMLValidator.validate(xml);
    if (valid !== true) return { error: `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})` };
    const tree: unknown = parser.parse(xml);
    if (!isNode(tree)) return { error: 'not an XML document' };
    return { tree };
  } catch (err) {
    return { error: `not well-formed XML: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Parses a camera's answer. Never throws: garbage is `malformed` with a short reason. */
export function parseSoap(xml: string): SoapResult {
  const parsed = parseXml(xml);
  if ('error' in parsed) return { kind: 'malformed', detail: parsed.error };
  const envelope = child(parsed.tree, 'Envelope');
  const body = child(envelope, 'Body');
  if (!envelope || !body) return { kind: 'malformed', detail: 'no SOAP Envelope/Body' };
  const fault = child(body, 'Fault');
  if (fault) return { kind: 'fault', fault: readFault(fault) };
  return { kind: 'ok', body, header: child(envelope, 'Header') ?? {} };
}

function readFault(fault: XmlNode): SoapFault {
  // SOAP 1.2 (Code/Value, Subcode/Value, Reason/Text) and 1.1 (faultcode, faultstring) both occur.
  const code = child(fault, 'Code');
  let subcode = '';
  for (let sub = child(code, 'Subcode'); sub; sub = child(sub, 'Subcode'))
    subcode = text(sub.Value) || subcode;
  const reason = child(fault, 'Reason');
  return {
    code: localName(text(code?.Value) || text(fault.faultcode)),
    subcode: localName(subcode),
    reason: (text(reason?.Text) || text(fault.faultstring) || '').slice(0, 300),
  };
}

/** True for the faults cameras send for a bad password, a stale timestamp or a missing token. */
export function isAuthFault(fault: SoapFault): boolean {
  return (
    /NotAuthorized|FailedAuthentication|InvalidSecurity|Unauthorized/i.test(fault.subcode) ||
    /not\s*authori[sz]ed|authentication/i.test(fault.reason)
  );
}

// ---- tree helpers: cameras differ in what repeats and what carries attributes ----

export function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first child element of that name (arrays give their first item). */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (!isNode(node)) return undefined;
  const value = node[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (isNode(first)) return first;
  // A leaf with only text (`<Uri>rtsp://…</Uri>`) is a string; wrap it so paths keep working.
  if (typeof first === 'string') return { '#text': first };
  return undefined;
}

/** Every child element of that name. */
export function children(node: unknown, name: string): XmlNode[] {
  if (!isNode(node)) return [];
  const value = node[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.flatMap((v) => (isNode(v) ? [v] : typeof v === 'string' ? [{ '#text': v }] : []));
}

/** The text of a leaf, whether the parser made it a string or `{#text, @attr}`. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return text(value[0]);
  if (isNode(value)) return text(value['#text']);
  return '';
}

export function attr(node: XmlNode | undefined, name: string): string {
  const value = node?.[`@${name}`];
  return typeof value === 'string' ? value : '';
}

/** `ter:NotAuthorized` → `NotAuthorized`. */
export function localName(qname: string): string {
  const i = qname.lastIndexOf(':');
  return (i >= 0 ? qname.slice(i + 1) : qname).trim();
}

/** A path of child names: `path(body, 'GetDeviceInformationResponse', 'Model')`. */
export function path(node: unknown, ...names: string[]): XmlNode | undefined {
  let at: XmlNode | undefined = isNode(node) ? node : undefined;
  for (const name of names) at = child(at, name);
  return at;
}
