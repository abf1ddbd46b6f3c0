import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hashPassword } from './auth/password.ts';
import { formatProblems, parseConfig } from './config/load.ts';
import { configJsonSchema } from './config/schema.ts';
import { errorMessage, isGatewayError } from './errors.ts';

const USAGE = `cgw — community-gateway

Usage:
  cgw demo [--speed N] [--seed S]      gateway + embedded broker + embedded store + simulated community
  cgw start --config gateway.yaml      production run
  cgw simulate --config gateway.yaml   bring every device of a config to life against its broker
  cgw check --config gateway.yaml      validate the config; exit 1 listing every problem
  cgw schema                           the config's JSON Schema
  cgw hash-password [PASSWORD]         an scrypt hash for http.users or device passwords (reads stdin without argument)
  cgw discover [--target host:port]    ONVIF cameras answering WS-Discovery (--config: check credentials)

Environment: CGW_HTTP_PORT (8080), CGW_MQTT_PORT (1883), CGW_DATA_DIR (./data),
CGW_INFLUX_URL (e.g. http://127.0.0.1:8086/community), CGW_ADMIN_PASSWORD, CGW_LOG_LEVEL.
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  demo: async (args) => (await import('./commands/demo.ts')).demo(args),
  start: async (args) => (await import('./commands/start.ts')).start(args),
  simulate: async (args) => (await import('./commands/simulate.ts')).simulate(args),
  check,
  schema: async () => {
    process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
    return 0;
  },
  'hash-password': hashPasswordCommand,
  discover: async (args) => (await import('./commands/discover.ts')).discover(args),
};

/** Runs one command; returns the exit code. Never throws: errors are printed plainly. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`cgw: unknown command "${name}"\n\n${USAGE}`);
    return 1;
  }
  try {
    return await command(rest);
  } catch (err) {
    const code = isGatewayError(err) ? `${err.code}: ` : '';
    process.stderr.write(`cgw ${name}: ${code}${errorMessage(err)}\n`);
    return 1;
  }
}

/** `--config F` from a command's arguments (required). */
export function configPathOf(args: string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}) {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, ...extra },
    allowPositionals: false,
  });
  return values as { config?: string } & Record<string, string | boolean | undefined>;
}

async function check(args: string[]): Promise<number> {
  const { config: path } = configPathOf(args);
  if (!path) {
    process.stderr.write('cgw check: --config FILE is required\n');
    return 1;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    process.stderr.write(`cgw check: cannot read ${path}: ${errorMessage(err)}\n`);
    return 1;
  }
  const result = parseConfig(text);
  if (!result.ok) {
    process.stderr.write(
      `${path}: ${result.problems.length} problem(s)\n${formatProblems(result.problems, path)}\n`,
    );
    return 1;
  }
  const c = result.config;
  const kinds = new Map<string, number>();
  for (const d of c.devices) kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
  const summary = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ') || 'no devices';
  process.stdout.write(
    `${path}: OK — site ${c.site}, ${c.devices.length} devices (${summary}), ${c.rules.length} rules\n`,
  );
  return 0;
}

async function hashPasswordCommand(args: string[]): Promise<number> {
  const password = args[0] ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (!password) {
    process.stderr.write('cgw hash-password: give a password as argument or on stdin\n');
    return 1;
  }
  process.stdout.write((await hashPassword(password)) + '\n');
  return 0;
}
