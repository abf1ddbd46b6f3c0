import { createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmsFirst } from '../../gateway/alarms-first.ts';

// What gateway/alarms-first.ts relies on: aedes writes a publish to its subscribers on a later
// turn of the event loop, two `setImmediate`s from the publish at most.
describe('AlarmsFirst with a real aedes broker', () => {
  let cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  it('the alert is written to the subscriber’s socket before the input queued behind it is handled', async () => {
    const broker = await Aedes.createBroker();
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      broker.handle(socket);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    });
    const port = (server.address() as { port: number }).port;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    cleanup.push(() => client.endAsync());
    await client.subscribeAsync('cg/test/alerts/#', { qos: 1 });

    const order: string[] = [];
    for (const socket of sockets) {
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      (socket as { write: (...args: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
        if (String(chunk).includes('cg/test/alerts/')) order.push('alert written');
        return write(chunk, ...rest);
      };
    }
    const lane = new AlarmsFirst(() => {});
    const received = new Promise((r) => client.once('message', r));
    // The gateway's publish, then telemetry read from other sockets in the same turn.
    const published = new Promise<void>((resolve, reject) =>
      broker.publish(
        {
          cmd: 'publish',
          topic: 'cg/test/alerts/p1',
          payload: Buffer.from('{}'),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    lane.published();
    for (const id of ['t1', 't2', 't3']) lane.run((x: string) => order.push(x), id);
    await published;
    await received;
    expect(order).toEqual(['alert written', 't1', 't2', 't3']);

    // Why the lane is needed: aedes writes on a later turn, after whatever else this one does.
    const writes = order.length;
    const second = new Promise((r) => client.once('message', r));
    broker.publish(
      {
        cmd: 'publish',
        topic: 'cg/test/alerts/p2',
        payload: Buffer.from('{}'),
        qos: 1,
        retain: false,
        dup: false,
      },
      () => {},
    );
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(order.length).toBe(writes);
    await second;
    expect(order.slice(writes)).toEqual(['alert written']);
  });
});
