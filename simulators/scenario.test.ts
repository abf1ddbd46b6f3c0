import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoConfig } from '../gateway/commands/demo-config.ts';
import { silentLogger } from '../gateway/log.ts';
import { createCameraFleet } from './camera-fleet.ts';
import { createSimulatedCommunity } from './community.ts';
import { createPumpFleet } from './pump-fleet.ts';
import { createScenarioPlayer, describeChange, type ScenarioTargets } from './scenario.ts';
import { loadScenarioFile, parseScenario, parseScenarioObject, type Scenario } from './scenario-schema.ts';

const log = silentLogger();

function scenario(raw: Record<string, unknown>): Scenario {
  const result = parseScenarioObject(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.scenario;
}

/** Fake simulators that record every call, in order. */
function fakeTargets() {
  const calls: string[] = [];
  const targets: ScenarioTargets = {
    community: {
      device: (id) =>
        id.startsWith('door-')
          ? {
              sim: { faultNames: ['forced', 'heldOpen', 'silent', 'garbage'] },
              setFault: (name, on) => calls.push(`${id} ${name} ${on}`),
            }
          : undefined,
    },
    pumps: {
      device: (id) =>
        id.startsWith('pump-') ? { setFault: (n, on) => calls.push(`${id} ${n} ${on}`) } : undefined,
    },
    cameras: {
      camera: (id) =>
        id.startsWith('cam-')
          ? {
              raise: (type, active) => calls.push(`${id} raise ${type} ${active}`),
              set: async (b) => void calls.push(`${id} set ${JSON.stringify(b)}`),
            }
          : undefined,
    },
  };
  return { calls, targets };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('scenario schema', () => {
  it('parses durations and defaults', () => {
    const result = parseScenario(`
timeline:
  - { at: 60s, device: door-b1-east, fault: forced, duration: 30s }
  - { at: 5m, device: pump-b1-1, fault: pressureLoss, duration: 90s }
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.scenario.loop).toBe(false);
    expect(result.scenario.jitter).toBe(0);
    expect(result.scenario.timeline[1]).toEqual({
      at: 300_000,
      device: 'pump-b1-1',
      fault: 'pressureLoss',
      duration: 90_000,
    });
  });

  it('names the path of every bad entry', () => {
    const result = parseScenario(`
loop: maybe
timeline:
  - { at: 60s, device: door-b1-east, fault: forced, duration: 30s }
  - { at: soon, device: door-b1-east, fault: forced, duration: 30s }
  - { at: 1s, device: "bad id", fault: forced, duration: 0s }
  - { at: 1s, device: d, fault: forced, duration: 1s, colour: red }
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path).sort();
    expect(paths).toEqual([
      'loop',
      'timeline.1.at',
      'timeline.2.device',
      'timeline.2.duration',
      'timeline.3',
    ]);
    expect(result.problems.find((p) => p.path === 'timeline.1.at')?.message).toMatch(
      /"soon" is not a duration/,
    );
  });

  it('refuses a period shorter than the timeline, and text that is not YAML', () => {
    const short = parseScenarioObject({
      period: '10s',
      timeline: [{ at: '5s', device: 'd', fault: 'f', duration: '10s' }],
    });
    expect(short.ok ? [] : short.problems.map((p) => p.path)).toEqual(['period']);
    expect(parseScenario('timeline: [').ok).toBe(false);
  });

  it('the shipped default scenario resolves against every demo simulator', () => {
    const file = fileURLToPath(new URL('./scenarios/default.yaml', import.meta.url));
    const s = loadScenarioFile(file);
    expect(s.loop).toBe(true);
    const config = demoConfig({ modbusPort: 5020 });
    const community = createSimulatedCommunity({ config, brokerUrl: 'mqtt://127.0.0.1:1', log });
    const pumps = createPumpFleet({ config, log });
    const cameras = createCameraFleet({ config, log, discoveryPort: null });
    // Nothing is started: resolving every entry is what is tested.
    expect(() =>
      createScenarioPlayer({ scenario: s, targets: { community, pumps, cameras }, log }),
    ).not.toThrow();
    const faults = new Set(s.timeline.map((e) => e.fault));
    for (const f of [
      'entrapment',
      'forced',
      'heldOpen',
      'pressureLoss',
      'overcurrentTrip',
      'tamper',
      'offline',
      'silent',
      'garbage',
    ])
      expect(faults.has(f), f).toBe(true);
    // Every fault has started well before ten minutes, jitter included.
    expect(Math.max(...s.timeline.map((e) => e.at)) + s.jitter).toBeLessThan(7 * 60_000);
  });
});

describe('scenario player', () => {
  it('names the entry of an unknown device or fault when it is made', () => {
    const { targets } = fakeTargets();
    const bad = (device: string, fault: string) =>
      scenario({
        timeline: [
          { at: '1s', device: 'door-a', fault: 'forced', duration: '1s' },
          { at: '1s', device, fault, duration: '1s' },
        ],
      });
    expect(() => createScenarioPlayer({ scenario: bad('door-x', 'melted'), targets, log })).toThrow(
      /timeline\.1\.fault: door-x has no fault "melted"/,
    );
    expect(() => createScenarioPlayer({ scenario: bad('pump-1', 'melted'), targets, log })).toThrow(
      /timeline\.1\.fault/,
    );
    expect(() => createScenarioPlayer({ scenario: bad('cam-1', 'melted'), targets, log })).toThrow(
      /timeline\.1\.fault/,
    );
    expect(() => createScenarioPlayer({ scenario: bad('boiler-1', 'forced'), targets, log })).toThrow(
      /timeline\.1\.device: no simulated device "boiler-1"/,
    );
  });

  it('switches each fault on and off at its time, scaled by speed, with the right simulator call', async () => {
    vi.useFakeTimers({ now: 0 });
    const { calls, targets } = fakeTargets();
    const lines: string[] = [];
    const player = createScenarioPlayer({
      scenario: scenario({
        timeline: [
          { at: '60s', device: 'door-1', fault: 'forced', duration: '30s' },
          { at: '10s', device: 'cam-1', fault: 'tamper', duration: '20s' },
          { at: '20s', device: 'cam-2', fault: 'offline', duration: '1m' },
          { at: '40s', device: 'pump-1', fault: 'overcurrentTrip', duration: '5s' },
        ],
      }),
      targets,
      speed: 10,
      log,
      onChange: (c) => lines.push(describeChange(c)),
    });
    player.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['cam-1 raise tamper true']);
    await vi.advanceTimersByTimeAsync(2000); // 3 s wall = 30 s model
    expect(calls).toEqual([
      'cam-1 raise tamper true',
      'cam-2 set {"offline":true}',
      'cam-1 raise tamper false',
    ]);
    await vi.advanceTimersByTimeAsync(7000); // 100 s model: everything over
    expect(calls.slice(3)).toEqual([
      'pump-1 overcurrentTrip true',
      'pump-1 overcurrentTrip false',
      'door-1 forced true',
      'cam-2 set {"offline":false}',
      'door-1 forced false',
    ]);
    expect(lines[0]).toBe('[scenario] +00:10 cam-1 tamper on');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(8); // not looping: nothing more
    await player.stop();
  });

  it('loops, and stop switches off what is on', async () => {
    vi.useFakeTimers({ now: 0 });
    const { calls, targets } = fakeTargets();
    const player = createScenarioPlayer({
      scenario: scenario({
        loop: true,
        period: '10s',
        timeline: [{ at: '2s', device: 'door-1', fault: 'silent', duration: '5s' }],
      }),
      targets,
      log,
    });
    player.start();
    await vi.advanceTimersByTimeAsync(33_000);
    expect(player.history.map((c) => `${c.at} ${c.on}`)).toEqual([
      '2000 true',
      '7000 false',
      '12000 true',
      '17000 false',
      '22000 true',
      '27000 false',
      '32000 true',
    ]);
    await player.stop();
    expect(calls.at(-1)).toBe('door-1 silent false');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls).toHaveLength(8);
  });

  it('same seed, same order; another seed, another', async () => {
    const raw = {
      loop: true,
      jitter: '30s',
      timeline: ['a', 'b', 'c', 'd', 'e'].map((d) => ({
        at: '1s',
        device: `door-${d}`,
        fault: 'forced',
        duration: '1s',
      })),
    };
    const run = async (seed: number): Promise<string[]> => {
      vi.useFakeTimers({ now: 0 });
      const { calls, targets } = fakeTargets();
      const player = createScenarioPlayer({ scenario: scenario({ ...raw, seed }), targets, log });
      player.start();
      await vi.advanceTimersByTimeAsync(200_000);
      await player.stop();
      vi.useRealTimers();
      return calls;
    };
    const first = await run(1);
    expect(first.length).toBeGreaterThan(20);
    expect(await run(1)).toEqual(first);
    expect(await run(2)).not.toEqual(first);
  });
});
