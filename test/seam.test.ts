import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the lint seam (STYLE.md)', () => {
  it.each([
    ['gateway/x.ts', "import 'aedes';"],
    ['gateway/x.ts', "import 'mqtt';"],
    ['rules/x.ts', "import 'modbus-serial';"],
    ['gateway/x.ts', "import 'better-sqlite3';"],
    ['dashboard/x.ts', "import 'influx';"],
    ['adapters/mqtt/x.ts', "import 'fastify';"],
    ['gateway/x.ts', "import '@fastify/cookie';"],
  ])('%s may not %s', async (file, code) => {
    expect(await restrictedImports(file, code)).toHaveLength(1);
  });

  it.each([
    ['adapters/mqtt/x.ts', "import 'aedes';"],
    ['gateway/store/x.ts', "import 'better-sqlite3';"],
    ['dashboard/x.ts', "import 'fastify';"],
    ['gateway/x.ts', "import '../adapters/mqtt/config.ts';"],
  ])('%s may %s', async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([]);
  });
});
