import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlarmEdges, classifyNotification } from './events.ts';
import {
  decodeCreatePullPoint,
  decodePullMessages,
  decodeSystemDateAndTime,
  parseDateTime,
  xsdDuration,
  type Notification,
} from './messages.ts';
import { parseSoap, type XmlNode } from './soap.ts';

function body(xml: string): XmlNode {
  const result = parseSoap(xml);
  if (result.kind !== 'ok') throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.body;
}

const env = (inner: string): string =>
  `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" ` +
  `xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" ` +
  `xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:wsa5="http://www.w3.org/2005/08/addressing" ` +
  `xmlns:tns1="http://www.onvif.org/ver10/topics"><s:Body>${inner}</s:Body></s:Envelope>`;

/** An Axis-style PullMessagesResponse: one motion change and one unrelated topic. */
const PULL = env(`<tev:PullMessagesResponse>
 <tev:CurrentTime>2024-05-01T12:00:05Z</tev:CurrentTime><tev:TerminationTime>2024-05-01T12:01:05Z</tev:TerminationTime>
 <wsnt:NotificationMessage>
  <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:VideoSource/MotionAlarm</wsnt:Topic>
  <wsnt:Message><tt:Message UtcTime="2024-05-01T12:00:04.120Z" PropertyOperation="Changed">
   <tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source>
   <tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data></tt:Message></wsnt:Message>
 </wsnt:NotificationMessage>
 <wsnt:NotificationMessage>
  <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:Device/Trigger/DigitalInput</wsnt:Topic>
  <wsnt:Message><tt:Message UtcTime="2024-05-01T12:00:04Z" PropertyOperation="Changed">
   <tt:Source><tt:SimpleItem Name="InputToken" Value="1"/></tt:Source>
   <tt:Data><tt:SimpleItem Name="LogicalState" Value="true"/></tt:Data></tt:Message></wsnt:Message>
 </wsnt:NotificationMessage>
</tev:PullMessagesResponse>`);

const note = (topic: string, data: Record<string, string>, operation = 'Changed'): Notification => ({
  topic,
  operation,
  source: { VideoSourceConfigurationToken: 'vsc1' },
  data,
});

describe('answer decoders', () => {
  it('reads the camera clock from GetSystemDateAndTime (UTCDateTime, whole seconds)', () => {
    const xml =
      env(`<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>
      <tt:UTCDateTime><tt:Time><tt:Hour>15</tt:Hour><tt:Minute>4</tt:Minute><tt:Second>5</tt:Second></tt:Time>
      <tt:Date><tt:Year>2024</tt:Year><tt:Month>5</tt:Month><tt:Day>1</tt:Day></tt:Date></tt:UTCDateTime>
      </tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`);
    expect(decodeSystemDateAndTime(body(xml))).toBe(Date.UTC(2024, 4, 1, 15, 4, 5));
  });

  it('refuses a clock answer with missing or impossible fields', () => {
    const noDate = env(
      `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>1</tt:Hour></tt:Time></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
    );
    expect(decodeSystemDateAndTime(body(noDate))).toBeUndefined();
    const month13 = env(
      `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>1</tt:Hour><tt:Minute>1</tt:Minute><tt:Second>1</tt:Second></tt:Time><tt:Date><tt:Year>2024</tt:Year><tt:Month>13</tt:Month><tt:Day>1</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
    );
    expect(decodeSystemDateAndTime(body(month13))).toBeUndefined();
  });

  it('reads a CreatePullPointSubscription answer', () => {
    const xml = env(`<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>
      <wsa5:Address>http://10.0.0.5/onvif/Events/PullSubManager_20240501T120000Z_0</wsa5:Address></tev:SubscriptionReference>
      <wsnt:CurrentTime>2024-05-01T12:00:00Z</wsnt:CurrentTime><wsnt:TerminationTime>2024-05-01T12:01:00Z</wsnt:TerminationTime>
      </tev:CreatePullPointSubscriptionResponse>`);
    expect(decodeCreatePullPoint(body(xml))).toEqual({
      address: 'http://10.0.0.5/onvif/Events/PullSubManager_20240501T120000Z_0',
      currentTime: Date.UTC(2024, 4, 1, 12, 0, 0),
      terminationTime: Date.UTC(2024, 4, 1, 12, 1, 0),
    });
    expect(decodeCreatePullPoint(body(env('<tev:CreatePullPointSubscriptionResponse/>')))).toBeUndefined();
  });

  it('reads every notification of a PullMessages answer', () => {
    const answer = decodePullMessages(body(PULL))!;
    expect(answer.terminationTime! - answer.currentTime!).toBe(60_000);
    expect(answer.messages).toEqual([
      {
        topic: 'tns1:VideoSource/MotionAlarm',
        utcTime: Date.parse('2024-05-01T12:00:04.120Z'),
        operation: 'Changed',
        source: { Source: 'VideoSource_1' },
        data: { State: 'true' },
      },
      {
        topic: 'tns1:Device/Trigger/DigitalInput',
        utcTime: Date.parse('2024-05-01T12:00:04Z'),
        operation: 'Changed',
        source: { InputToken: '1' },
        data: { LogicalState: 'true' },
      },
    ]);
  });

  it('writes durations in whole seconds and reads times with or without a zone', () => {
    expect(xsdDuration(10_000)).toBe('PT10S');
    expect(xsdDuration(400)).toBe('PT1S');
    expect(parseDateTime('2024-05-01T12:00:00')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseDateTime('2024-05-01T14:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseDateTime('yesterday')).toBeUndefined();
  });

  it('never throws on any parsed tree', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (tree) => {
        const node = { PullMessagesResponse: tree } as XmlNode;
        expect(() => decodePullMessages(node)).not.toThrow();
        expect(() =>
          decodeSystemDateAndTime({ GetSystemDateAndTimeResponse: tree } as XmlNode),
        ).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

describe('camera event mapping', () => {
  it('maps the topics vendors use to motion, tamper and video.loss', () => {
    const cases: Array<[string, Record<string, string>, string, boolean]> = [
      ['tns1:RuleEngine/CellMotionDetector/Motion', { IsMotion: 'true' }, 'motion', true],
      ['tns1:VideoSource/MotionAlarm', { State: 'false' }, 'motion', false],
      ['tns1:RuleEngine/TamperDetector/Tamper', { IsTamper: 'true' }, 'tamper', true],
      ['tns1:VideoSource/GlobalSceneChange/ImagingService', { State: 'true' }, 'tamper', true],
      ['tns1:VideoSource/SignalLoss', { State: 'true' }, 'video.loss', true],
      ['tns1:RuleEngine/MyRuleDetector/VideoLoss', { Vendor: '1' }, 'video.loss', true],
    ];
    for (const [topic, data, type, active] of cases)
      expect(classifyNotification(note(topic, data)), topic).toMatchObject({ type, active, source: 'vsc1' });
    expect(
      classifyNotification(note('tns1:Device/Trigger/DigitalInput', { LogicalState: 'true' })),
    ).toBeUndefined();
    expect(classifyNotification(note('tns1:VideoSource/MotionAlarm', { State: 'maybe' }))).toBeUndefined();
  });

  it('emits an event when an alarm becomes active, not when it repeats, ends or is only re-initialised', () => {
    const edges = new AlarmEdges();
    const now = Date.UTC(2024, 4, 1, 12);
    const offset = 3 * 3_600_000; // the camera is three hours ahead
    const toLocal = (t: number): number => t - offset;
    const at = (n: Notification, cameraMs = now + offset): Notification => ({ ...n, utcTime: cameraMs });
    const motion = (value: string, op = 'Changed') =>
      at(note('tns1:RuleEngine/CellMotionDetector/Motion', { IsMotion: value }, op));
    expect(edges.accept('cam', motion('false', 'Initialized'), now, toLocal)).toBeUndefined();
    const event = edges.accept('cam', motion('true'), now, toLocal);
    expect(event).toEqual({
      deviceId: 'cam',
      ts: now,
      type: 'motion',
      data: { active: true, topic: 'tns1:RuleEngine/CellMotionDetector/Motion', source: 'vsc1' },
    });
    expect(edges.accept('cam', motion('true'), now, toLocal)).toBeUndefined();
    // A new subscription re-sends the state as Initialized: still active, not a new event.
    expect(edges.accept('cam', motion('true', 'Initialized'), now, toLocal)).toBeUndefined();
    expect(edges.accept('cam', motion('false'), now, toLocal)).toBeUndefined();
    expect(edges.accept('cam', motion('true'), now, toLocal)?.type).toBe('motion');
  });

  it('keeps a plausible camera time stamp and replaces a wild one with ours', () => {
    const edges = new AlarmEdges();
    const now = Date.UTC(2024, 4, 1, 12);
    const tamper = (utcTime: number): Notification => ({
      ...note('tns1:RuleEngine/TamperDetector/Tamper', { IsTamper: 'true' }),
      utcTime,
    });
    expect(edges.accept('a', tamper(now - 2000), now, (t) => t)?.ts).toBe(now - 2000);
    // One AlarmEdges per camera: a second camera with an unset clock.
    expect(new AlarmEdges().accept('b', tamper(Date.UTC(2000, 0, 1)), now, (t) => t)?.ts).toBe(now);
  });
});
