// The seam (STYLE.md): protocol libraries only in adapters/, fastify only in dashboard/,
// influx and better-sqlite3 only in the storage module (gateway/store/).
import tseslint from 'typescript-eslint';

const PROTOCOL = ['mqtt', 'aedes', 'modbus-serial', 'node-onvif', 'onvif'];
const STORAGE = ['influx', 'better-sqlite3'];
const HTTP = ['fastify', '@fastify/*'];

// A bare package name or a subpath of it; never a relative path that merely contains the word.
const banned = (names, where) =>
  names.map((name) => ({
    regex: '^' + name.replace('/*', '/[^/]+') + '(/.*)?$',
    message: `${name} may only be imported in ${where}`,
  }));

const restrict = (...groups) => ['error', { patterns: groups.flat() }];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'coverage/**',
      'bench/results/**',
      'dashboard/public/**',
      'dist/**',
      '.tmp/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['gateway/**/*.ts', 'rules/**/*.ts'],
    ignores: ['gateway/store/**'],
    rules: {
      'no-restricted-imports': restrict(
        banned(PROTOCOL, 'adapters/'),
        banned(STORAGE, 'gateway/store/'),
        banned(HTTP, 'dashboard/'),
      ),
    },
  },
  {
    files: ['gateway/store/**/*.ts'],
    rules: { 'no-restricted-imports': restrict(banned(PROTOCOL, 'adapters/'), banned(HTTP, 'dashboard/')) },
  },
  {
    files: ['adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(banned(STORAGE, 'gateway/store/'), banned(HTTP, 'dashboard/')),
    },
  },
  {
    files: ['dashboard/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(banned(PROTOCOL, 'adapters/'), banned(STORAGE, 'gateway/store/')),
    },
  },
  {
    files: ['simulators/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(banned(STORAGE, 'gateway/store/'), banned(HTTP, 'dashboard/')),
    },
  },
);
