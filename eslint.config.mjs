import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.state/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'stream', 'net', 'http', 'https', 'worker_threads'], message: 'workflows must stay deterministic: no Node built-ins' },
          { group: ['@aws-sdk/*', 'pino', '../engine/*', '../activities/*', '../predict/*', '../predict/**', '../failover/*'], allowTypeImports: true, message: 'workflows import only @temporalio/workflow, messages, pure helpers and activity types' },
        ],
      }],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/predict/**/*.ts', 'src/failover/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@temporalio/*'], message: 'engine/predict/failover know nothing of Temporal' }] }],
    },
  },
);
