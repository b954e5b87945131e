import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Dependency rules of docs/architecture.md, enforced per folder.
 * Each entry: the folder, and the src/ folders it must not import.
 */
const forbidden = {
  core: ['errors', 'util', 'config', 'input', 'plan', 'engine', 'providers', 'store', 'output', 'simulator', 'cli'],
  errors: ['core', 'util', 'config', 'input', 'plan', 'engine', 'providers', 'store', 'output', 'simulator', 'cli'],
  util: ['config', 'input', 'plan', 'engine', 'providers', 'store', 'output', 'simulator', 'cli'],
  config: ['input', 'plan', 'engine', 'providers', 'store', 'output', 'simulator', 'cli'],
  input: ['plan', 'engine', 'providers', 'store', 'output', 'simulator', 'cli'],
  output: ['engine', 'providers', 'store/sqlite', 'simulator', 'cli'],
  providers: ['store', 'engine', 'output', 'simulator', 'cli'],
  store: ['providers', 'engine', 'output', 'simulator', 'cli', 'config'],
  engine: ['providers/openai', 'store/sqlite', 'simulator', 'cli'],
  simulator: ['errors', 'util', 'config', 'input', 'plan', 'engine', 'providers', 'store', 'output', 'cli'],
  compose: ['cli', 'scheduler'],
  scheduler: ['cli'],
};

const folderRules = Object.entries(forbidden).map(([folder, banned]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: banned.map((target) => ({
          group: [`**/${target}/**`, `../${target}/*`, `../../${target}/*`],
          message: `src/${folder} must not import src/${target} (see docs/architecture.md, dependency rules).`,
        })),
      },
    ],
  },
}));

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
  ...folderRules,
);
