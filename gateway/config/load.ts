import { readFileSync } from 'node:fs';
import { isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { GatewayError } from '../errors.ts';
import { configSchema, crossCheck, type Config } from './schema.ts';

/** One thing wrong with a config file. */
export interface ConfigProblem {
  /** Dotted path (`devices.2.modbus.port`); empty for the file as a whole. */
  path: string;
  message: string;
  /** 1-based line in the file, where it could be found. */
  line?: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/**
 * `${NAME}` is not a valid plain scalar inside a YAML flow mapping (`{ password: ${X} }`, as in
 * the design's examples), so references become a token that is, before parsing, and are
 * resolved on the parsed scalars afterwards: an environment value is never read as YAML.
 */
const TOKEN_REF = /_CGWENV-([A-Za-z_][A-Za-z0-9_]*)-/g;
const WHOLE_TOKEN = /^_CGWENV-[A-Za-z_][A-Za-z0-9_]*-$/;

/**
 * Parses and validates config text. Reports every problem at once, each with its path and line;
 * never throws on bad input.
 */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const lineCounter = new LineCounter();
  const tokenised = text.replace(ENV_REF, (_m, name: string) => `_CGWENV-${name}-`);
  const doc = parseDocument(tokenised, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    problems.push({
      path: '',
      message: err.message.split('\n')[0]!,
      line: lineCounter.linePos(err.pos[0]).line,
    });
  }
  if (problems.length) return { ok: false, problems };

  substituteEnv(doc, env, lineCounter, problems);
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    // e.g. an alias to an anchor that does not exist
    return { ok: false, problems: [{ path: '', message: (err as Error).message }] };
  }
  const result = parseConfigObject(raw, (path, key) => lineOf(doc, path, lineCounter, key));
  if (!result.ok || problems.length)
    return { ok: false, problems: sortProblems([...problems, ...(result.ok ? [] : result.problems)]) };
  return result;
}

/**
 * Validates a config given as a plain object (the demo builds one in code). `lineOf` finds the
 * line of a path when the object came from a file.
 */
export function parseConfigObject(
  raw: unknown,
  lineOfPath: (path: readonly PropertyKey[], key?: string) => number | undefined = () => undefined,
): ConfigResult {
  const problems: ConfigProblem[] = [];
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => toProblem(issue, lineOfPath)));
  for (const { path, message } of crossCheck(raw))
    problems.push({ path: path.join('.'), message, line: lineOfPath(path) });
  if (problems.length || !parsed.success) return { ok: false, problems: sortProblems(problems) };
  const config = parsed.data;
  const devices = config.devices.map((d) => ({ ...d, site: d.site ?? config.site }));
  return { ok: true, config: deepFreeze({ ...config, devices }) as Config };
}

/** Reads and validates a config file; throws `CGW_CONFIG_INVALID` listing every problem. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GatewayError('CGW_CONFIG_NOT_FOUND', `cannot read config file ${path}`, { cause });
  }
  const result = parseConfig(text, env);
  if (!result.ok) {
    throw new GatewayError(
      'CGW_CONFIG_INVALID',
      `${path}: ${result.problems.length} problem(s)\n${formatProblems(result.problems)}`,
      {
        context: { problems: result.problems },
      },
    );
  }
  return result.config;
}

export function formatProblems(problems: ConfigProblem[], file?: string): string {
  return problems
    .map((p) => {
      const where = [file, p.line !== undefined ? `line ${p.line}` : undefined].filter(Boolean).join(':');
      return `  ${p.path || '(file)'}${where ? ` (${where})` : ''}: ${p.message}`;
    })
    .join('\n');
}

function substituteEnv(
  doc: Document,
  env: NodeJS.ProcessEnv,
  lines: LineCounter,
  problems: ConfigProblem[],
): void {
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'string' || !node.value.includes('_CGWENV-')) return;
      const whole = WHOLE_TOKEN.test(node.value);
      const missing: string[] = [];
      const replaced = node.value.replace(TOKEN_REF, (_m, name: string) => {
        const value = env[name];
        if (value === undefined) missing.push(name);
        return value ?? '';
      });
      if (missing.length) {
        problems.push({
          path: yamlPath(path, node),
          message: `environment variable ${missing.map((n) => '${' + n + '}').join(', ')} is not set`,
          line: node.range ? lines.linePos(node.range[0]).line : undefined,
        });
        return;
      }
      // A value that is only a reference takes the type it reads as: `port: ${PORT}` is a number.
      node.value = whole ? readScalar(replaced) : replaced;
    },
  });
}

function readScalar(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

function yamlPath(ancestors: readonly unknown[], node: Node): string {
  const parts: string[] = [];
  let child: unknown = node;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const parent = ancestors[i] as { items?: unknown[]; key?: unknown; value?: unknown };
    if (Array.isArray(parent.items)) {
      const index = parent.items.indexOf(child);
      if (index >= 0 && !('key' in (parent.items[index] as object))) parts.unshift(String(index));
    } else if (parent.value === child && isScalar(parent.key)) {
      parts.unshift(String(parent.key.value));
    }
    child = parent;
  }
  return parts.join('.');
}

function toProblem(
  issue: z.core.$ZodIssue,
  lineOfPath: (path: readonly PropertyKey[], key?: string) => number | undefined,
): ConfigProblem {
  const path = issue.path.map(String);
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  return {
    path: path.join('.'),
    message,
    line: lineOfPath(issue.path, issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined),
  };
}

function lineOf(
  doc: Document,
  path: readonly PropertyKey[],
  lines: LineCounter,
  key?: string,
): number | undefined {
  const keys = path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  for (let n = keys.length; n >= 0; n--) {
    const target = n === keys.length && key !== undefined ? [...keys, key] : keys.slice(0, n);
    const node = target.length ? (doc.getIn(target, true) as Node | undefined) : doc.contents;
    const range = node && 'range' in node ? node.range : undefined;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
