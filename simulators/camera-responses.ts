import { escapeXml as x } from '../adapters/onvif/soap.ts';
import type { SimNotification } from './camera-events.ts';

/**
 * SOAP answers of a Profile S camera: Device, Media and Events services. Shapes follow the ONVIF
 * WSDLs closely enough for node-onvif (which reads `$` attributes) and the `onvif` package (which
 * lower-cases element names) alike.
 */

const NAMESPACES = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wstop: 'http://docs.oasis-open.org/wsn/t-1',
  tns1: 'http://www.onvif.org/ver10/topics',
  ter: 'http://www.onvif.org/ver10/error',
  wsrf: 'http://docs.oasis-open.org/wsrf/r-2',
} as const;

export function envelope(body: string, action?: string): string {
  const ns = Object.entries(NAMESPACES)
    .map(([p, uri]) => `xmlns:${p}="${uri}"`)
    .join(' ');
  const header = action ? `<s:Header><wsa:Action>${x(action)}</wsa:Action></s:Header>` : '<s:Header/>';
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${ns}>${header}<s:Body>${body}</s:Body></s:Envelope>`;
}

/** `s:Sender`/`s:Receiver` with an ONVIF subcode, as `ter:NotAuthorized`. */
export function fault(code: 'Sender' | 'Receiver', subcode: string, reason: string): string {
  return envelope(
    `<s:Fault><s:Code><s:Value>s:${code}</s:Value><s:Subcode><s:Value>${x(subcode)}</s:Value></s:Subcode></s:Code>` +
      `<s:Reason><s:Text xml:lang="en">${x(reason)}</s:Text></s:Reason></s:Fault>`,
  );
}

/** Camera time as xs:dateTime, whole seconds, `Z` (the onvif package insists on the `Z`). */
export const isoTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface CameraIdentity {
  name: string;
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
  location: string;
}

export interface Endpoints {
  /** `http://127.0.0.1:8000` */
  base: string;
  devicePath: string;
}

const service = (e: Endpoints, path: string): string => `${e.base}${path}`;
export const MEDIA_PATH = '/onvif/media_service';
export const EVENTS_PATH = '/onvif/events_service';
export const SNAPSHOT_PATH = '/onvif/snapshot';

export function systemDateAndTime(cameraMs: number): string {
  const d = new Date(cameraMs);
  return (
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>` +
    `<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>` +
    `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
  );
}

export function capabilities(e: Endpoints): string {
  return (
    `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
    `<tt:Device><tt:XAddr>${service(e, e.devicePath)}</tt:XAddr><tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve>` +
    `<tt:DiscoveryBye>true</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>` +
    `<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>` +
    `<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System></tt:Device>` +
    `<tt:Events><tt:XAddr>${service(e, EVENTS_PATH)}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
    `<tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>` +
    `<tt:Media><tt:XAddr>${service(e, MEDIA_PATH)}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
    `<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>` +
    `</tds:Capabilities></tds:GetCapabilitiesResponse>`
  );
}

export function services(e: Endpoints): string {
  const one = (ns: string, path: string, minor: number): string =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${service(e, path)}</tds:XAddr>` +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
  return (
    `<tds:GetServicesResponse>${one(NAMESPACES.tds, e.devicePath, 60)}${one(NAMESPACES.trt, MEDIA_PATH, 60)}` +
    `${one(NAMESPACES.tev, EVENTS_PATH, 60)}</tds:GetServicesResponse>`
  );
}

export function deviceServiceCapabilities(): string {
  return (
    `<tds:GetServiceCapabilitiesResponse><tds:Capabilities><tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false"/>` +
    `<tds:Security UsernameToken="true" HttpDigest="true"/><tds:System DiscoveryResolve="false" DiscoveryBye="true" RemoteDiscovery="false"/>` +
    `</tds:Capabilities></tds:GetServiceCapabilitiesResponse>`
  );
}

export function deviceInformation(id: CameraIdentity): string {
  return (
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${x(id.manufacturer)}</tds:Manufacturer><tds:Model>${x(id.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${x(id.firmware)}</tds:FirmwareVersion><tds:SerialNumber>${x(id.serial)}</tds:SerialNumber>` +
    `<tds:HardwareId>${x(id.hardwareId)}</tds:HardwareId></tds:GetDeviceInformationResponse>`
  );
}

/** ONVIF scope URIs; spaces become `_` as cameras write them. */
export function scopeUris(id: CameraIdentity): string[] {
  const seg = (s: string): string => encodeURIComponent(s.replace(/\s+/g, '_'));
  return [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/Profile/Streaming',
    `onvif://www.onvif.org/hardware/${seg(id.model)}`,
    `onvif://www.onvif.org/name/${seg(id.name)}`,
    `onvif://www.onvif.org/location/${seg(id.location)}`,
  ];
}

export function scopes(id: CameraIdentity): string {
  const items = scopeUris(id)
    .map(
      (uri) =>
        `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${x(uri)}</tt:ScopeItem></tds:Scopes>`,
    )
    .join('');
  return `<tds:GetScopesResponse>${items}</tds:GetScopesResponse>`;
}

export interface SimProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
}

export const PROFILES: readonly SimProfile[] = [
  { token: 'Profile_1', name: 'MainStream', width: 1920, height: 1080, fps: 25, bitrateKbps: 4096 },
  { token: 'Profile_2', name: 'SubStream', width: 640, height: 360, fps: 15, bitrateKbps: 512 },
];
export const VIDEO_SOURCE = 'VideoSource_1';
export const VIDEO_SOURCE_CONFIG = 'VideoSourceConfig_1';

function profile(p: SimProfile, element: string): string {
  return (
    `<${element} token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="${VIDEO_SOURCE_CONFIG}"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE}</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="VideoEncoder_${p.token}"><tt:Name>${p.name}Encoder</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>4</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${p.bitrateKbps}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>` +
    `<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>` +
    `<tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>` +
    `</${element}>`
  );
}

export const profiles = (): string =>
  `<trt:GetProfilesResponse>${PROFILES.map((p) => profile(p, 'trt:Profiles')).join('')}</trt:GetProfilesResponse>`;

export const oneProfile = (p: SimProfile): string =>
  `<trt:GetProfileResponse>${profile(p, 'trt:Profile')}</trt:GetProfileResponse>`;

export function videoSources(): string {
  return (
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE}"><tt:Framerate>25</tt:Framerate>` +
    `<tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`
  );
}

function mediaUri(element: string, uri: string): string {
  return (
    `<${element}><trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></${element}>`
  );
}

export const streamUri = (uri: string): string => mediaUri('trt:GetStreamUriResponse', uri);
export const snapshotUri = (uri: string): string => mediaUri('trt:GetSnapshotUriResponse', uri);

/** The topics this camera raises: motion, tamper and video loss. */
export const TOPICS = {
  motion: {
    topic: 'tns1:RuleEngine/CellMotionDetector/Motion',
    item: 'IsMotion',
    rule: 'MyMotionDetectorRule',
  },
  tamper: { topic: 'tns1:RuleEngine/TamperDetector/Tamper', item: 'IsTamper', rule: 'MyTamperDetectorRule' },
  'video.loss': { topic: 'tns1:VideoSource/SignalLoss', item: 'State', rule: '' },
} as const;

export function eventProperties(): string {
  const desc = (item: string): string =>
    `<tt:MessageDescription IsProperty="true"><tt:Source><tt:SimpleItemDescription Name="VideoSourceConfigurationToken" Type="tt:ReferenceToken"/></tt:Source>` +
    `<tt:Data><tt:SimpleItemDescription Name="${item}" Type="xs:boolean"/></tt:Data></tt:MessageDescription>`;
  return (
    `<tev:GetEventPropertiesResponse><tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>` +
    `<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet>` +
    `<tns1:RuleEngine><CellMotionDetector><Motion wstop:topic="true">${desc('IsMotion')}</Motion></CellMotionDetector>` +
    `<TamperDetector><Tamper wstop:topic="true">${desc('IsTamper')}</Tamper></TamperDetector></tns1:RuleEngine>` +
    `<tns1:VideoSource><SignalLoss wstop:topic="true">${desc('State')}</SignalLoss></tns1:VideoSource></wstop:TopicSet>` +
    `<wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>` +
    `<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete</wsnt:TopicExpressionDialect>` +
    `<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>` +
    `<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>` +
    `</tev:GetEventPropertiesResponse>`
  );
}

export function eventServiceCapabilities(): string {
  return `<tev:GetServiceCapabilitiesResponse><tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true" WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="10" MaxPullPoints="10"/></tev:GetServiceCapabilitiesResponse>`;
}

export function createPullPoint(address: string, current: number, termination: number): string {
  return (
    `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>${x(address)}</wsa:Address></tev:SubscriptionReference>` +
    `<wsnt:CurrentTime>${isoTime(current)}</wsnt:CurrentTime><wsnt:TerminationTime>${isoTime(termination)}</wsnt:TerminationTime>` +
    `</tev:CreatePullPointSubscriptionResponse>`
  );
}

function items(record: Record<string, string>): string {
  return Object.entries(record)
    .map(([name, value]) => `<tt:SimpleItem Name="${x(name)}" Value="${x(value)}"/>`)
    .join('');
}

export function notification(n: SimNotification, address: string): string {
  return (
    `<wsnt:NotificationMessage><wsnt:SubscriptionReference><wsa:Address>${x(address)}</wsa:Address></wsnt:SubscriptionReference>` +
    `<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${x(n.topic)}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${new Date(n.utcTime).toISOString()}" PropertyOperation="${n.operation}">` +
    `<tt:Source>${items(n.source)}</tt:Source><tt:Data>${items(n.data)}</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`
  );
}

export function pullMessages(current: number, termination: number, messages: string[]): string {
  return (
    `<tev:PullMessagesResponse><tev:CurrentTime>${isoTime(current)}</tev:CurrentTime>` +
    `<tev:TerminationTime>${isoTime(termination)}</tev:TerminationTime>${messages.join('')}</tev:PullMessagesResponse>`
  );
}

export function renew(current: number, termination: number): string {
  return `<wsnt:RenewResponse><wsnt:TerminationTime>${isoTime(termination)}</wsnt:TerminationTime><wsnt:CurrentTime>${isoTime(current)}</wsnt:CurrentTime></wsnt:RenewResponse>`;
}

export const unsubscribe = (): string => `<wsnt:UnsubscribeResponse/>`;
export const empty = (element: string): string => `<${element}/>`;
