import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { traceCommit, tracePublish, traceReceived } from '../gateway/trace.ts';
import { parseOrThrow } from './fixtures/configs.ts';
import { startTestGateway } from './helpers/gateway.ts';
import { waitFor } from './helpers/wait.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('trace channels (gateway/trace.ts)', () => {
  it('mark an alert’s way in order: received by the broker, committed, handed back to the broker', async () => {
    const gateway = await startTestGateway(
      parseOrThrow(`
site: garden-court
mqtt: { port: 0 }
devices:
  - { id: pump-1, kind: pump, protocol: mqtt, password: pump-1-secret }
rules:
  - { template: pump-low-pressure, params: { for: 0s } }
`),
    );
    stops.push(() => gateway.stop());
    const seen: string[] = [];
    const onReceived = (m: unknown) => seen.push(`received ${(m as { topic: string }).topic}`);
    const onCommit = (m: unknown) => {
      const { device, rule, phase } = m as { device: string; rule: string; phase: string };
      seen.push(`${phase} ${rule} ${device}`);
    };
    const onPublish = (m: unknown) => seen.push(`published ${(m as { topic: string }).topic}`);
    traceReceived.subscribe(onReceived);
    traceCommit.subscribe(onCommit);
    tracePublish.subscribe(onPublish);
    stops.push(() => {
      traceReceived.unsubscribe(onReceived);
      traceCommit.unsubscribe(onCommit);
      tracePublish.unsubscribe(onPublish);
    });

    const pump = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, {
      username: 'pump-1',
      password: 'pump-1-secret',
      reconnectPeriod: 0,
    });
    stops.push(() => pump.endAsync());
    const values = { running: true, outlet_pressure_bar: 0.8 };
    await pump.publishAsync('cg/garden-court/pump/pump-1/telemetry', JSON.stringify({ values }), { qos: 1 });
    await waitFor(() => seen.some((s) => s.startsWith('published')), 'the alert handed to the broker');
    expect(seen).toEqual([
      'received cg/garden-court/pump/pump-1/telemetry',
      'start pump-low-pressure pump-1',
      'end pump-low-pressure pump-1',
      'published cg/garden-court/alerts/pump-1',
    ]);
  });
});
