import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manyDevicesConfig } from '../../test/fixtures/configs.ts';
import {
  bearer,
  loginToken,
  startDashboard,
  type DashboardFixture,
} from '../../test/fixtures/dashboard-app.ts';
import {
  deadLettersAnswerSchema,
  deviceDetailSchema,
  deviceSummarySchema,
  seriesAnswerSchema,
} from '../schemas.ts';

let fixture: DashboardFixture;
let auth: { authorization: string };

beforeEach(async () => {
  fixture = await startDashboard();
  auth = bearer(await loginToken(fixture.app));
});
afterEach(() => fixture.app.close());

const get = (url: string) => fixture.app.inject({ url, headers: auth });
const ids = (body: Array<{ id: string }>) => body.map((d) => d.id);

describe('GET /api/devices', () => {
  it('lists every device in config order, shaped as documented', async () => {
    const t = fixture.clock.now();
    fixture.deps.registry.applyReading({
      deviceId: 'pump-1',
      ts: t,
      values: { outlet_pressure_bar: 3.5, running: true },
      quality: { flow_m3h: 'missing' },
    });
    const res = await get('/api/devices');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(ids(body)).toEqual(['door-b1-east', 'lift-b1-a', 'pump-1', 'cam-b1-east']);
    for (const device of body)
      expect(deviceSummarySchema.strict().safeParse(device).success, device.id).toBe(true);
    expect(body[2]).toMatchObject({
      kind: 'pump',
      protocol: 'modbus',
      online: true,
      lastSeen: t,
      labels: { building: 'b2' },
      values: {
        outlet_pressure_bar: { value: 3.5, ts: t, quality: 'good' },
        running: { value: true, ts: t, quality: 'good' },
        flow_m3h: { value: null, ts: t, quality: 'missing' },
      },
    });
    expect(body[0]).toMatchObject({ name: 'Building 1 east gate', online: null, lastSeen: null, values: {} });
  });

  it('filters by kind, site, online and labels', async () => {
    fixture.deps.registry.applyReading({
      deviceId: 'lift-b1-a',
      ts: fixture.clock.now(),
      values: { floor: 3 },
    });
    fixture.deps.registry.applyStatus({
      deviceId: 'pump-1',
      ts: fixture.clock.now(),
      online: false,
      reason: 'timeout',
    });
    expect(ids((await get('/api/devices?kind=elevator')).json())).toEqual(['lift-b1-a']);
    expect(ids((await get('/api/devices?site=north-gate')).json())).toEqual(['cam-b1-east']);
    expect(ids((await get('/api/devices?online=true')).json())).toEqual(['lift-b1-a']);
    expect(ids((await get('/api/devices?online=false')).json())).toEqual(['pump-1']);
    expect(ids((await get('/api/devices?online=unknown')).json())).toEqual(['door-b1-east', 'cam-b1-east']);
    expect(ids((await get('/api/devices?label.building=b1')).json())).toEqual(['door-b1-east', 'lift-b1-a']);
    expect(ids((await get('/api/devices?label.building=b1&label.zone=east')).json())).toEqual([
      'door-b1-east',
    ]);
    expect(ids((await get('/api/devices?label.building=b9')).json())).toEqual([]);
  });

  it('answers 400 naming the parameter for a bad kind or an unknown filter', async () => {
    const kind = await get('/api/devices?kind=toaster');
    expect(kind.statusCode).toBe(400);
    expect(kind.json().error.message).toContain('query parameter "kind"');
    const unknown = await get('/api/devices?colour=red');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('query parameter "colour": unknown filter');
  });

  it('reflects new values, events and status changes on the next request', async () => {
    const { registry } = fixture.deps;
    await get('/api/devices'); // fills the cache
    registry.applyReading({ deviceId: 'lift-b1-a', ts: fixture.clock.now(), values: { floor: 2 } });
    let lift = (await get('/api/devices')).json()[1];
    expect(lift.values.floor.value).toBe(2);
    registry.applyReading({ deviceId: 'lift-b1-a', ts: fixture.clock.now(), values: { floor: 5 } });
    lift = (await get('/api/devices')).json()[1];
    expect(lift.values.floor.value).toBe(5);
    fixture.clock.advance(5000); // an event moves lastSeen without an update on the bus
    registry.applyEvent({ deviceId: 'lift-b1-a', ts: fixture.clock.now(), type: 'elevator.fault', data: {} });
    lift = (await get('/api/devices')).json()[1];
    expect(lift.lastSeen).toBe(fixture.clock.now());
    registry.applyStatus({
      deviceId: 'lift-b1-a',
      ts: fixture.clock.now(),
      online: false,
      reason: 'last will',
    });
    lift = (await get('/api/devices')).json()[1];
    expect([lift.online, lift.reason]).toEqual([false, 'last will']);
  });

  it('lists 10,000 devices', async () => {
    await fixture.app.close();
    fixture = await startDashboard({ config: manyDevicesConfig(10_000) });
    auth = bearer(await loginToken(fixture.app));
    for (let i = 0; i < 10_000; i += 3)
      fixture.deps.registry.applyReading({
        deviceId: `dev-${i}`,
        ts: fixture.clock.now(),
        values: { door_open: false },
      });
    const first = await get('/api/devices');
    const second = await get('/api/devices?label.building=b1');
    expect(first.json()).toHaveLength(10_000);
    expect(first.json()[9999].id).toBe('dev-9999');
    expect(second.json()).toHaveLength(2500);
  });
});

describe('GET /api/devices/:id', () => {
  it('answers the full state with linked devices and the last event', async () => {
    const t = fixture.clock.now();
    fixture.deps.registry.applyEvent({ deviceId: 'door-b1-east', ts: t, type: 'door.forced', data: {} });
    const res = await get('/api/devices/door-b1-east');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(deviceDetailSchema.strict().safeParse(body).success).toBe(true);
    expect(body).toMatchObject({
      id: 'door-b1-east',
      online: true,
      lastEvent: { type: 'door.forced', ts: t },
      links: [{ id: 'cam-b1-east', kind: 'camera', name: 'cam-b1-east', online: null }],
    });
  });

  it('answers 404 naming an unknown device', async () => {
    const res = await get('/api/devices/ghost-9');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'CGW_NOT_FOUND', message: 'no device "ghost-9"' } });
  });
});

describe('GET /api/devices/:id/series', () => {
  const HOUR = 3_600_000;
  beforeEach(() => {
    const now = fixture.clock.now();
    fixture.store.write(
      [-2 * HOUR, -30 * 60_000, -10 * 60_000, -60_000].map((ago, i) => ({
        measurement: 'pump',
        tags: { site: 'garden-court', device: 'pump-1' },
        fields: { outlet_pressure_bar: 3 + i },
        ts: now + ago,
      })),
    );
  });

  it('defaults to the last hour and 500 points, measurement = the device kind', async () => {
    const now = fixture.clock.now();
    const res = await get('/api/devices/pump-1/series?field=outlet_pressure_bar');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(seriesAnswerSchema.strict().safeParse(body).success).toBe(true);
    expect(body).toMatchObject({ device: 'pump-1', field: 'outlet_pressure_bar', from: now - HOUR, to: now });
    expect(body.points.map((p: { value: number }) => p.value)).toEqual([4, 5, 6]);
    expect(fixture.store.queries.at(-1)).toEqual({
      measurement: 'pump',
      device: 'pump-1',
      field: 'outlet_pressure_bar',
      from: now - HOUR,
      to: now,
      points: 500,
    });
  });

  it('takes from and to as epoch ms or ISO 8601, and points', async () => {
    const now = fixture.clock.now();
    const from = new Date(now - 3 * HOUR).toISOString();
    const res = await get(
      `/api/devices/pump-1/series?field=outlet_pressure_bar&from=${from}&to=${now - 20 * 60_000}&points=5000`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ from: now - 3 * HOUR, to: now - 20 * 60_000 });
    expect(res.json().points.map((p: { value: number }) => p.value)).toEqual([3, 4]);
    expect(fixture.store.queries.at(-1)?.points).toBe(5000);
    // "+02:00" unescaped in a query string arrives as " 02:00"
    const offset = await get(
      '/api/devices/pump-1/series?field=x&from=2024-05-01T13:00:00+02:00&to=2024-05-01T12:00:00Z',
    );
    expect(offset.json()).toMatchObject({ from: Date.UTC(2024, 4, 1, 11), to: Date.UTC(2024, 4, 1, 12) });
  });

  it.each([
    ['a missing field', '', 'query parameter "field": required'],
    ['a field with bad characters', 'field=a/b', 'query parameter "field"'],
    ['a bad from', 'field=x&from=yesterday', 'query parameter "from": "yesterday" is not a time'],
    ['a bad to', 'field=x&to=2024-13-45T99:00:00Z', 'query parameter "to"'],
    ['from after to', 'field=x&from=2000&to=1000', '"from" must be before "to"'],
    ['from equal to to', 'field=x&from=1000&to=1000', '"from" must be before "to"'],
    ['from in the future without to', `field=x&from=${Date.UTC(2030, 0, 1)}`, '"from" must be before "to"'],
    ['points 0', 'field=x&points=0', 'query parameter "points"'],
    ['points over 5000', 'field=x&points=5001', 'query parameter "points"'],
    ['points not a number', 'field=x&points=many', 'query parameter "points"'],
    ['an unknown parameter', 'field=x&form=1', 'query parameters: unknown "form"'],
  ])('answers 400 for %s', async (_case, query, message) => {
    const res = await get(`/api/devices/pump-1/series?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('CGW_INPUT_REJECTED');
    expect(res.json().error.message).toContain(message);
  });

  it('answers 404 for an unknown device', async () => {
    const res = await get('/api/devices/ghost/series?field=x');
    expect(res.statusCode).toBe(404);
    expect(fixture.store.queries).toHaveLength(0);
  });

  it('maps a store outage to 503 with its code', async () => {
    const { GatewayError } = await import('../../gateway/errors.ts');
    fixture.store.failQueriesWith = new GatewayError('CGW_STORE_UNAVAILABLE', 'influxdb unreachable');
    const res = await get('/api/devices/pump-1/series?field=outlet_pressure_bar');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { code: 'CGW_STORE_UNAVAILABLE', message: 'influxdb unreachable' } });
  });
});

describe('GET /api/dead-letters', () => {
  beforeEach(() => {
    const letters = [
      { reason: 'not_json', deviceId: 'door-b1-east' },
      { reason: 'invalid_payload', deviceId: 'lift-b1-a' },
      { reason: 'unknown_device', deviceId: 'ghost' },
      { reason: 'not_json', deviceId: 'lift-b1-a' },
      { reason: 'oversize', deviceId: 'door-b1-east' },
    ] as const;
    letters.forEach((l, i) =>
      fixture.deps.deadLetters.add({ ts: 1000 + i, source: 'mqtt', detail: `#${i}`, sample: '{', ...l }),
    );
  });

  it('answers the newest first with the total', async () => {
    const body = (await get('/api/dead-letters')).json();
    expect(deadLettersAnswerSchema.strict().safeParse(body).success).toBe(true);
    expect(body.total).toBe(5);
    expect(body.items.map((l: { detail: string }) => l.detail)).toEqual(['#4', '#3', '#2', '#1', '#0']);
  });

  it('filters by reason and device, and limits', async () => {
    const detail = (body: { items: Array<{ detail: string }> }) => body.items.map((l) => l.detail);
    expect(detail((await get('/api/dead-letters?reason=not_json')).json())).toEqual(['#3', '#0']);
    expect(detail((await get('/api/dead-letters?device=lift-b1-a')).json())).toEqual(['#3', '#1']);
    expect(detail((await get('/api/dead-letters?reason=not_json&device=lift-b1-a')).json())).toEqual(['#3']);
    const limited = (await get('/api/dead-letters?limit=2')).json();
    expect([limited.total, detail(limited)]).toEqual([5, ['#4', '#3']]);
  });

  it('answers 400 for an unknown reason or a bad limit', async () => {
    const reason = await get('/api/dead-letters?reason=bad_vibes');
    expect(reason.statusCode).toBe(400);
    expect(reason.json().error.message).toContain('query parameter "reason"');
    expect((await get('/api/dead-letters?limit=0')).statusCode).toBe(400);
  });
});
