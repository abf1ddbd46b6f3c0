// The child side of `startPumpProcess`: serves the pumps, says "ready" over IPC, switches faults
// when told, and on "stop" answers with its request count and exits. Options arrive as JSON in argv[2].
import { createPumpSimulator, type PumpFault } from './pump.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as {
  ports: number[];
  unitsPerPort: number;
  seed: number;
};
const sims = options.ports.map((port, i) =>
  createPumpSimulator({
    port,
    units: Array.from({ length: options.unitsPerPort }, (_, u) => ({ unitId: u + 1 })),
    seed: options.seed + i,
  }),
);
try {
  await Promise.all(sims.map((s) => s.start()));
  process.send?.({ ready: true });
} catch (err) {
  process.send?.({ failed: String(err) }, () => process.exit(1));
}
process.on(
  'message',
  (message: { stop?: boolean; fault?: { port: number; unitId: number; name: PumpFault; on: boolean } }) => {
    if (message.fault) {
      const { port, unitId, name, on } = message.fault;
      sims[options.ports.indexOf(port)]?.unit(unitId).setFault(name, on);
      process.send?.({ faultSet: true });
      return;
    }
    if (!message.stop) return;
    const requests = sims.reduce((sum, s) => sum + s.requests.total, 0);
    void Promise.all(sims.map((s) => s.stop())).then(() =>
      process.send?.({ requests }, () => process.exit(0)),
    );
  },
);
// The parent gone means nobody will ever say stop.
process.on('disconnect', () => process.exit(0));
