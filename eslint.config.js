// Lint: typescript-eslint's type-aware recommended rules, plus the import direction of
// ARCHITECTURE.md (cli → connectors, processors → runtime/contract; the engine imports neither).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
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
    rules: restrict(
      ['**/connectors/**', '**/processors/**', '**/cli/**'],
      'The runtime knows nothing of connectors, processors or the CLI: cli hands it the registry.',
    ),
  },
  {
    files: ['connectors/**/*.ts', 'processors/**/*.ts'],
    rules: restrict(
      ['**/cli/**', '**/runtime/engine/**', '**/runtime/config/**', '**/runtime/registry/**'],
      'Components import only runtime/contract from the runtime, and never the CLI.',
    ),
  },
  {
    files: ['processors/**/*.ts'],
    rules: restrict(
      ['**/connectors/**', '**/cli/**', '**/runtime/engine/**'],
      'Processors are pure: I/O belongs to connectors, reached through the context.',
    ),
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
