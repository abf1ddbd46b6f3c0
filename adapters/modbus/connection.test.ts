import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../gateway/errors.ts';
import { silentLogger } from '../../gateway/log.ts';
import type { ModbusClient } from './client.ts';
import { ModbusConnection, type ReadJob } from './connection.ts';

/** A scripted transport: `answer` decides what each read does. */
class FakeClient implements ModbusClient {
  open_ = false;
  closed = false;
  lost: ((reason: string) => void) | undefined;
  constructor(private readonly world: FakeWorld) {}
  async open(): Promise<void> {
    this.world.opens++;
    if (this.world.refuse) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    this.open_ = true;
  }
  read(unitId: number): Promise<number[]> {
    this.world.inFlight++;
    this.world.maxInFlight = Math.max(this.world.maxInFlight, this.world.inFlight);
    this.world.order.push(unitId);
    return this.world.answer(unitId, this).finally(() => this.world.inFlight--);
  }
  close(): void {
    this.closed = true;
    this.open_ = false;
  }
  get isOpen(): boolean {
    return this.open_;
  }
  onLost(listener: (reason: string) => void): void {
    this.lost = listener;
  }
  lose(reason: string): void {
    this.open_ = false;
    this.lost?.(reason);
  }
}

interface FakeWorld {
  refuse: boolean;
  opens: number;
  inFlight: number;
  maxInFlight: number;
  order: number[];
  clients: FakeClient[];
  answer(unitId: number, client: FakeClient): Promise<number[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: ModbusConnection[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

function setup(answer: FakeWorld['answer'] = () => sleep(5).then(() => [1])) {
  const world: FakeWorld = {
    refuse: false,
    opens: 0,
    inFlight: 0,
    maxInFlight: 0,
    order: [],
    clients: [],
    answer,
  };
  let now = 1_000_000;
  const clock = { now: () => now };
  const connection = new ModbusConnection({
    endpoint: { kind: 'tcp', host: '127.0.0.1', port: 5020 },
    log: silentLogger(),
    backoff: { minMs: 1000, maxMs: 8000 },
    connectTimeoutMs: 100,
    clock,
    random: () => 1,
    clientFactory: () => {
      const client = new FakeClient(world);
      world.clients.push(client);
      return client;
    },
  });
  open.push(connection);
  return { world, connection, advance: (ms: number) => (now += ms) };
}

const job = (unitId: number, extra: Partial<ReadJob> = {}): ReadJob => ({
  unitId,
  table: 'holding',
  address: 0,
  count: 1,
  timeoutMs: 50,
  lane: 'normal',
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isGatewayError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('ModbusConnection', () => {
  it('keeps one request in flight, serves probes only when no normal request waits', async () => {
    const { world, connection } = setup();
    const reads = [
      connection.read(job(1)),
      connection.read(job(9, { lane: 'probe' })),
      connection.read(job(2)),
      connection.read(job(3)),
    ];
    await Promise.all(reads);
    expect(world.maxInFlight).toBe(1);
    expect(world.order).toEqual([1, 2, 3, 9]);
    expect(world.opens).toBe(1);
  });

  it('lets a probe go first once it has waited 5 s on a busy line', async () => {
    const { world, connection, advance } = setup();
    const first = connection.read(job(1));
    const probe = connection.read(job(9, { lane: 'probe' }));
    const normal = [connection.read(job(2)), connection.read(job(3))];
    advance(5001);
    await Promise.all([first, probe, ...normal]);
    expect(world.order).toEqual([1, 9, 2, 3]);
  });

  it('times a request out with CGW_MODBUS_TIMEOUT and reopens after three silent ones', async () => {
    const { world, connection } = setup(() => new Promise(() => {}));
    expect(await failure(connection.read(job(1)))).toEqual({
      code: 'CGW_MODBUS_TIMEOUT',
      message: 'no answer within 50 ms',
    });
    await failure(connection.read(job(1)));
    expect(world.clients[0]!.closed).toBe(false);
    await failure(connection.read(job(1)));
    expect(world.clients[0]!.closed).toBe(true);
    await failure(connection.read(job(1)));
    expect(world.opens).toBe(2);
    expect(connection.stats.timeouts).toBe(4);
  });

  it('reports an exception reply with its code in words, and counts it as an answer', async () => {
    const { connection } = setup(() => Promise.reject(Object.assign(new Error('x'), { modbusCode: 2 })));
    expect(await failure(connection.read(job(1)))).toEqual({
      code: 'CGW_MODBUS_EXCEPTION',
      message: 'exception 2 (illegal data address)',
    });
    expect(connection.connected).toBe(true);
  });

  it('backs off after a refused connection: fails fast meanwhile, tries again when the wait is over', async () => {
    const { world, connection, advance } = setup();
    world.refuse = true;
    expect(await failure(connection.read(job(1)))).toEqual({
      code: 'CGW_MODBUS_DISCONNECTED',
      message: 'connection refused',
    });
    const fast = await failure(connection.read(job(1)));
    expect(fast.message).toBe('connection refused (next attempt in 1 s)');
    expect(world.opens).toBe(1);
    advance(1000);
    await failure(connection.read(job(1)));
    expect(world.opens).toBe(2);
    advance(1999); // the second wait is twice the first
    await failure(connection.read(job(1)));
    expect(world.opens).toBe(2);
    world.refuse = false;
    advance(1);
    expect(await connection.read(job(1))).toEqual([1]);
    expect(world.opens).toBe(3);
  });

  it('fails the request in flight at once when the connection drops, and reconnects on the next', async () => {
    const { world, connection } = setup((_unit, client) => {
      setTimeout(() => client.lose('connection reset'), 5);
      return new Promise(() => {});
    });
    const started = Date.now();
    expect(await failure(connection.read(job(1, { timeoutMs: 5000 })))).toEqual({
      code: 'CGW_MODBUS_DISCONNECTED',
      message: 'connection reset',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    world.answer = () => Promise.resolve([7]);
    expect(await connection.read(job(1))).toEqual([7]);
    expect(world.opens).toBe(2);
  });

  it('rejects what is queued on close, and everything after', async () => {
    const { connection } = setup(() => sleep(30).then(() => [1]));
    const first = connection.read(job(1));
    const queued = connection.read(job(2));
    await connection.close();
    expect((await failure(queued)).message).toBe('adapter stopped');
    expect((await failure(first)).message).toBe('adapter stopped');
    expect((await failure(connection.read(job(3)))).code).toBe('CGW_MODBUS_DISCONNECTED');
  });
});
