import { afterEach, describe, expect, it } from 'vitest';
import { EngineFixture } from '../test/fixtures/rules-engine.ts';
import { isGatewayError } from '../gateway/errors.ts';

const S = 1000;
let f: EngineFixture;
afterEach(() => f?.dispose());

describe('the rule engine: acknowledgement, escalation, snapshots, outbox', () => {
  it('escalates an alert nobody acknowledged, to the escalation team, once', async () => {
    f = await EngineFixture.create(`
rules:
  - template: lift-entrapment
    escalateAfter: 5m
    escalateTo: managers
notify:
  channels:
    - { id: lift-team, type: mqtt }
    - { id: managers, type: webhook, url: "http://127.0.0.1:9/never" }
  routes:
    - { team: elevator, channels: [lift-team] }
    - { team: managers, events: [escalated], channels: [lift-team] }
`);
    f.event('lift-1', 'elevator.entrapment');
    await f.advance(300 * S - 1);
    expect(f.events()).toEqual(['fired:lift-1']);
    await f.advance(1);
    expect(f.events()).toEqual(['fired:lift-1', 'escalated:lift-1']);
    await f.advance(600 * S);
    expect(f.events()).toHaveLength(2);
    expect(f.engine.list()[0]!.escalatedAt).toBe(f.clock.now() - 600 * S);
  });

  it('does not escalate an alert acknowledged in time', async () => {
    f = await EngineFixture.create(`rules:\n  - { template: door-forced, escalateAfter: 1m }\n`);
    f.event('door-1', 'door.forced');
    await f.advance(30 * S);
    const id = f.engine.list()[0]!.id;
    f.engine.acknowledge(id, 'duty', 'on my way');
    await f.advance(60 * S);
    expect(f.events()).toEqual(['fired:door-1', 'acknowledged:door-1']);
    expect(f.engine.history(id)).toMatchObject([
      { action: 'fired', by: null },
      { action: 'acknowledged', by: 'duty', note: 'on my way' },
    ]);
  });

  it('refuses a second acknowledgement and a resolution of a resolved alert with a conflict', async () => {
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
    f.event('door-1', 'door.forced');
    await f.advance(S);
    const id = f.engine.list()[0]!.id;
    f.engine.acknowledge(id, 'duty');
    expect(() => f.engine.acknowledge(id, 'other')).toThrow(/already acknowledged by duty/);
    f.engine.resolve(id, 'duty');
    let caught: unknown;
    try {
      f.engine.resolve(id, 'duty');
    } catch (err) {
      caught = err;
    }
    expect(isGatewayError(caught, 'CGW_RULE_ALERT_CONFLICT')).toBe(true);
  });

  it('acknowledges through the signed link once; a wrong or expired token is refused', async () => {
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
    f.event('door-1', 'door.forced');
    await f.advance(S);
    const url = new URL(String(f.published[0]!.message.ackUrl));
    const id = decodeURIComponent(url.pathname.split('/')[3]!);
    const token = url.searchParams.get('token')!;
    // A different first character of the signature: every bit of it counts (the last ones of a
    // base64 text may be padding, so changing those can leave the same bytes).
    const [claim, signature] = token.split('.') as [string, string];
    const forged = `${claim}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(() => f.engine.acknowledgeByLink(id, forged)).toThrow(/not valid/);
    expect(() => f.engine.acknowledgeByLink('other-id', token)).toThrow(/not valid/);
    expect(f.engine.acknowledgeByLink(id, token)).toMatchObject({
      state: 'acknowledged',
      ackedBy: 'link:mqtt',
    });
    expect(() => f.engine.acknowledgeByLink(id, token)).toThrow(/already acknowledged/);
    f.clock.advance(25 * 3600 * S);
    expect(() => f.engine.checkAckLink(id, token)).toThrow(/expired/);
  });

  it('attaches a snapshot from the linked camera, taken when the alert fires', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const asked: string[] = [];
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n`, {
      snapshots: {
        snapshot: async (id) => {
          asked.push(id);
          return jpeg;
        },
      },
    });
    f.event('door-1', 'door.forced');
    await f.advance(S);
    await new Promise((r) => setTimeout(r, 20));
    const alert = f.engine.list()[0]!;
    expect(asked).toEqual(['cam-1']);
    expect(alert.snapshots).toEqual(['cam-1']);
    expect(f.engine.snapshot(alert.id)).toEqual({ camera: 'cam-1', jpeg });
    expect(String(f.published[0]!.message.snapshotUrl)).toBe(
      `http://127.0.0.1:8080/api/alerts/${alert.id}/snapshot`,
    );
  });

  it('keeps notifications in the outbox until the channel takes them, across a restart, none twice', async () => {
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
    f.publishFails = true;
    f.event('door-1', 'door.forced');
    await f.advance(S);
    const id = f.engine.list()[0]!.id;
    f.engine.acknowledge(id, 'duty');
    await f.advance(10 * S);
    expect(f.engine.deliveries(id).map((d) => d.state)).toEqual(['pending', 'pending']);
    expect(f.engine.health().state).toBe('degraded');
    await f.restart();
    f.publishFails = false;
    await f.advance(20 * S);
    await f.advance(20 * S);
    expect(f.events()).toEqual(['fired:door-1', 'acknowledged:door-1']);
    expect(f.engine.deliveries(id).map((d) => d.state)).toEqual(['sent', 'sent']);
    await f.restart();
    await f.advance(60 * S);
    expect(f.events()).toHaveLength(2);
  });

  it('escalates a flapping alert that nobody acknowledged past its delay', async () => {
    f = await EngineFixture.create(`
rules:
  - { id: low, match: { devices: [pump-1] }, when: { field: tank_level_pct, below: 20 }, severity: major, team: t, escalateAfter: 1m }
`);
    for (let i = 0; i < 30; i++) {
      f.reading('pump-1', { tank_level_pct: i % 2 ? 25 : 15 });
      await f.advance(5 * S);
    }
    expect(f.engine.list()).toHaveLength(1);
    expect(f.events()).toEqual(['fired:pump-1', 'escalated:pump-1']);
  });
});
