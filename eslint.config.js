import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { allowedImportsRule } from './lint/allowed-imports.js';

const foundation = ['core/**', 'errors/**', 'util/**'];
/** The contracts of store/: its top-level files; adapters live in subfolders, the factory is for composition roots. */
const storeContracts = ['store/*.ts', '!store/create-store.ts'];

/**
 * Dependency rules of docs/architecture.md, as an allowlist: what each top-level folder (or file) of src/ may import
 * from the rest of src/ (globs relative to src/; `!` takes paths back out). A folder not listed here may import
 * nothing outside itself, so a new folder or adapter fails lint until its edges are allowed on purpose. A change here
 * goes with one in docs/architecture.md (dependency rules).
 */
const allowedImports = {
  core: ['errors/**'],
  errors: ['core/**'],
  util: ['core/**', 'errors/**'],
  config: foundation,
  input: foundation,
  plan: [...foundation, 'input/**', 'config/config-schema.ts'],
  prep: [...foundation, 'config/**', 'input/**', 'output/atomic-write.ts'],
  output: [...foundation, ...storeContracts, 'input/**', 'plan/price-table.ts'],
  providers: [...foundation, 'config/config-schema.ts', 'config/proxy-settings.ts', 'input/**'],
  store: foundation,
  engine: [...foundation, 'input/**', 'plan/**', 'output/**', 'providers/provider.ts', ...storeContracts],
  // Answers are checked against a prompt's output spec: the foundation and the PromptSpec type only.
  validate: [...foundation, 'prep/prompt-spec.ts'],
  simulator: [],
  // A sink knows rows and its target, nothing of runs, stores or providers (an embedder is injected); it is built
  // from its validated config entry (the types of config/sinks-config-schema.ts); part files are written as every
  // other file is (output/atomic-write.ts).
  sinks: [...foundation, 'config/sinks-config-schema.ts', 'output/atomic-write.ts'],
  compose: ['**', '!cli/**', '!scheduler/**'],
  scheduler: ['**', '!cli/**'],
  // The CLI knows nothing about SQL or a concrete provider: it reaches them through compose/ and the factories.
  cli: ['**', '!store/sqlite/**', '!store/postgres/**', '!providers/*/**'],
  // The dashboard's server reads what `status` reads, through compose/ (docs/decisions/0038): no SQL, no provider.
  server: [...foundation, 'compose/dashboard/**', 'store/store.ts'],
  'index.ts': ['**', '!cli/**'],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'bench/.out/**', '.batchpilot/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: false },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
      },
    },
  },
  {
    // The dashboard's page runs in the browser (docs/decisions/0038).
    files: ['ui/**/*.js'],
    languageOptions: {
      globals: {
        location: 'readonly',
        history: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        URLSearchParams: 'readonly',
        FormData: 'readonly',
        addEventListener: 'readonly',
        confirm: 'readonly',
        getComputedStyle: 'readonly',
      },
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // A synchronous driver behind an async contract: see src/store/sqlite/sqlite-store.ts.
    files: ['src/store/sqlite/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // The PostgreSQL driver stays inside its adapter (docs/decisions/0030): everything else reaches it through the
    // Store contract and createPostgresStore.
    files: ['src/**/*.ts'],
    ignores: ['src/store/postgres/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'pg', message: 'pg is used in src/store/postgres/ only: go through the Store contract.' }] },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { batchpilot: { rules: { 'allowed-imports': allowedImportsRule } } },
    rules: {
      'batchpilot/allowed-imports': ['error', { srcRoot: join(import.meta.dirname, 'src'), allowed: allowedImports }],
    },
  },
  {
    // A job log's events come from one list (src/util/log-event.ts), so `batchpilot logs` speaks one vocabulary.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/simulator/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(trace|debug|info|warn|error|fatal)$/][arguments.length=2][arguments.1.type=/^(Literal|TemplateLiteral|Identifier)$/]',
          message: 'Log an event from LOG_EVENT (src/util/log-event.ts), with details in fields, not a string.',
        },
      ],
    },
  },
);
