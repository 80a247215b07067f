// Lint: typescript-eslint's type-aware recommended rules, plus the arrows of ARCHITECTURE.md.
// Imports point one way: cli, server → connectors, processors → commcare → runtime/contract, schemas.
// connectors and processors never import each other; the engine never imports a component;
// commcare/ is CommCare's logic, pure: no client library, no I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const rooms = {
  cli: '**/cli/**',
  server: '**/server/**',
  connectors: '**/connectors/**',
  processors: '**/processors/**',
  commcare: '**/commcare/**',
  bench: '**/bench/**',
  engine: [
    '**/runtime/engine/**',
    '**/runtime/config/**',
    '**/runtime/registry/**',
    '**/runtime/telemetry/**',
  ],
};

/** Client libraries and I/O modules: what commcare/ must never reach for. */
const ioModules = [
  'pg',
  'pg-promise',
  'pg-copy-streams',
  'ioredis',
  'bullmq',
  'kafkajs',
  '@platformatic/kafka',
  '@kafkajs/*',
  'minio',
  'nano',
  '@opensearch-project/*',
  '@elastic/*',
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'node:worker_threads',
];

const forbid = (message, ...groups) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups.flat(), message }] }],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.stack/', 'schemas/generated/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['runtime/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid(
      'The runtime knows nothing above it: cli hands it the registry.',
      rooms.cli,
      rooms.server,
      rooms.connectors,
      rooms.processors,
      rooms.commcare,
      rooms.bench,
    ),
  },
  {
    files: ['runtime/contract/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid(
      'runtime/contract is what components import; it imports nothing of the engine.',
      rooms.cli,
      rooms.server,
      rooms.connectors,
      rooms.processors,
      rooms.commcare,
      rooms.bench,
      rooms.engine,
    ),
  },
  {
    files: ['commcare/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid(
      "commcare/ is CommCare's logic, pure: it imports only runtime/contract and schemas, no client and no I/O.",
      rooms.cli,
      rooms.server,
      rooms.connectors,
      rooms.processors,
      rooms.bench,
      rooms.engine,
      ioModules,
    ),
  },
  {
    files: ['processors/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid(
      'Processors are thin stages over commcare/: I/O belongs to connectors, reached through declared resources.',
      rooms.cli,
      rooms.server,
      rooms.connectors,
      rooms.bench,
      rooms.engine,
      ioModules,
    ),
  },
  {
    files: ['connectors/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid(
      'Connectors adapt outside systems to the contract: they never import processors, the server, the CLI or the engine.',
      rooms.cli,
      rooms.server,
      rooms.processors,
      rooms.bench,
      rooms.engine,
    ),
  },
  {
    files: ['server/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid('The server is mounted by the CLI; it never imports it.', rooms.cli, rooms.bench),
  },
  {
    files: ['schemas/**/*.ts'],
    ignores: ['**/*.test.ts', 'schemas/tools/**'],
    rules: forbid(
      'schemas/ is the bottom of the house: it imports nothing of ours above it.',
      rooms.cli,
      rooms.server,
      rooms.connectors,
      rooms.processors,
      rooms.commcare,
      rooms.bench,
      rooms.engine,
    ),
  },
  {
    // Named steps instead of giant closures: a function that needs more is several.
    files: [
      'runtime/**/*.ts',
      'commcare/**/*.ts',
      'processors/**/*.ts',
      'connectors/**/*.ts',
      'server/**/*.ts',
      'cli/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'max-lines-per-function': [
        'error',
        { max: 120, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
    },
  },
  {
    files: ['cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'deploy/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
