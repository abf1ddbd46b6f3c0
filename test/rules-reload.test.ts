import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from './helpers/cli.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

let dir: string;
let gateway: CliProcess | undefined;
const clients: MqttClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await gateway?.stop('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

const configText = (rules: string) => `site: garden-court
mqtt:
  users: [{ username: duty-app, password: duty-secret, subscribe: ["cg/+/alerts/#"] }]
devices:
  - { id: door-1, kind: access, protocol: mqtt, password: door-secret }
rules:
${rules}
`;

describe('cgw start reloading its rules', () => {
  it('keeps the running rules when the new file is invalid, reports why, and takes a valid one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cgw-rules-reload-'));
    const path = join(dir, 'gateway.yaml');
    await writeFile(path, configText('  - template: door-forced'));
    const mqttPort = await freePort();
    gateway = new CliProcess(['start', '--config', path], {
      CGW_DATA_DIR: join(dir, 'data'),
      CGW_MQTT_PORT: String(mqttPort),
      CGW_HTTP_PORT: String(await freePort()),
      CGW_ADMIN_PASSWORD: 'admin-pw',
      CGW_INFLUX_URL: '',
      CGW_LOG_LEVEL: 'info',
    });
    await gateway.waitFor(/community-gateway is running/);

    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const alerts: string[] = [];
    const watcher = await mqtt.connectAsync(url, {
      username: 'duty-app',
      password: 'duty-secret',
      reconnectPeriod: 0,
    });
    watcher.on('message', (_t, p) => {
      const m = JSON.parse(p.toString()) as { rule: string; event: string };
      alerts.push(`${m.rule}:${m.event}`);
    });
    await watcher.subscribeAsync('cg/+/alerts/#', { qos: 1 });
    const door = await mqtt.connectAsync(url, {
      username: 'door-1',
      password: 'door-secret',
      reconnectPeriod: 0,
    });
    clients.push(watcher, door);
    const event = (type: string) =>
      door.publishAsync('cg/garden-court/access/door-1/event', JSON.stringify({ type }), { qos: 1 });

    // An invalid file, announced by SIGHUP: reported with path and line, the old rule goes on.
    await writeFile(
      path,
      configText('  - template: door-forced\n  - { id: bad, when: { event: x }, severity: urgent, team: t }'),
    );
    gateway.child.kill('SIGHUP');
    const [line] = await gateway.waitFor(/rules not reloaded \(SIGHUP\)[^\n]*/);
    expect(line).toMatch(/previous rules keep running/);
    expect(gateway.stdout).toMatch(/rules\.1\.severity \([^)]*line 8\)/);
    await event('door.forced');
    await waitFor(() => alerts.includes('door-forced:fired'), 'the old rule still firing');

    // A valid file, noticed by the file watch alone.
    await writeFile(path, configText('  - template: door-forced\n  - template: door-held-open'));
    await gateway.waitFor(/rules reloaded \(file changed\): 2 rules/);
    await event('door.held_open');
    await waitFor(() => alerts.includes('door-held-open:fired'), 'the new rule firing');
    expect(await gateway.stop('SIGTERM')).toBe(0);
  });
});
