import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProbe, parseProbeMatches } from './discover.ts';
import { parseSoap } from './soap.ts';

/** A ProbeMatches as an Axis camera sends it (WS-Discovery 2005/04, several scopes, two XAddrs). */
const CAPTURED = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<SOAP-ENV:Header><wsa:MessageID>uuid:5f0c1d9e-1111-2222-3333-accc8e000001</wsa:MessageID>
<wsa:RelatesTo>urn:uuid:abc</wsa:RelatesTo></SOAP-ENV:Header>
<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>
<wsa:EndpointReference><wsa:Address>urn:uuid:a5c9e0f0-0000-1000-8000-accc8e000001</wsa:Address></wsa:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/M3045-V onvif://www.onvif.org/name/AXIS%20M3045-V
 onvif://www.onvif.org/location/Building_2_lobby onvif://www.onvif.org/Profile/Streaming</d:Scopes>
<d:XAddrs>http://192.168.0.90/onvif/device_service http://[fe80::1]/onvif/device_service</d:XAddrs>
<d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`;

describe('WS-Discovery messages', () => {
  it('builds a well-formed Probe for video transmitters', () => {
    const probe = buildProbe('urn:uuid:1234');
    expect(parseSoap(probe).kind).toBe('ok');
    expect(probe).toContain('<d:Types>dn:NetworkVideoTransmitter</d:Types>');
    expect(probe).toContain('<a:MessageID>urn:uuid:1234</a:MessageID>');
  });

  it('reads a captured ProbeMatches: address, model, name and location from the scopes', () => {
    expect(parseProbeMatches(CAPTURED, '192.168.0.90:3702')).toEqual([
      {
        urn: 'urn:uuid:a5c9e0f0-0000-1000-8000-accc8e000001',
        xaddrs: ['http://192.168.0.90/onvif/device_service', 'http://[fe80::1]/onvif/device_service'],
        scopes: expect.arrayContaining(['onvif://www.onvif.org/hardware/M3045-V']),
        types: ['dn:NetworkVideoTransmitter'],
        name: 'AXIS M3045-V',
        hardware: 'M3045-V',
        location: 'Building 2 lobby',
        from: '192.168.0.90:3702',
      },
    ]);
  });

  it('skips a match without an address, and never throws on junk', () => {
    expect(parseProbeMatches(CAPTURED.replace(/<d:XAddrs>.*<\/d:XAddrs>/, ''))).toEqual([]);
    expect(parseProbeMatches(CAPTURED.replace('name/AXIS%20M3045-V', 'name/%E0%A4%A'))[0]?.name).toBe(
      '%E0%A4%A',
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.nat(), (junk, at) => {
        const i = at % CAPTURED.length;
        expect(Array.isArray(parseProbeMatches(junk))).toBe(true);
        expect(Array.isArray(parseProbeMatches(CAPTURED.slice(0, i) + junk + CAPTURED.slice(i)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
