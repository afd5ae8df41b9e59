import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.state/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // prettier wraps code at 160; what it cannot wrap (messages, test names, patterns) may run on
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    // a workflow is started by its contract (workflowRef), so a renamed workflow fails the build
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.object.property.name='workflow'][callee.property.name=/^(start|execute|signalWithStart)$/][arguments.0.type='Literal']",
          message: "start a workflow by workflowRef('name') from src/contracts/workflows, not by a string",
        },
        {
          selector: "CallExpression[callee.name=/^(startChild|executeChild|startChildOnce)$/][arguments.0.type='Literal']",
          message: "start a child workflow by workflowRef('name') from src/contracts/workflows, not by a string",
        },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'stream', 'net', 'http', 'https', 'worker_threads'],
              message: 'workflows must stay deterministic: no Node built-ins',
            },
            {
              group: ['@aws-sdk/*', 'pino', '../engine/*', '../activities/*', '../predict/*', '../predict/**', '../failover/*'],
              allowTypeImports: true,
              message: 'workflows import only @temporalio/workflow, messages, pure helpers and activity types',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/predict/**/*.ts', 'src/failover/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@temporalio/*'], message: 'engine/predict/failover know nothing of Temporal' },
            { group: ['**/workflows/*', '**/activities/*'], message: 'the domain sits below workflows and activities: shared types live in src/contracts' },
          ],
        },
      ],
    },
  },
  {
    // contracts sit below workflows, activities and the faces, and are imported by workflow code
    files: ['src/contracts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'stream', 'net', 'http', 'https', 'worker_threads'],
              message: 'contracts are imported by workflow code: no Node built-ins',
            },
            {
              group: ['**/workflows/*', '**/activities/*', '**/cli/*', '**/bridge/*', '**/worker/*', '**/stack/*'],
              message: 'contracts sit below workflows, activities and the faces',
            },
            {
              group: ['**/engine/*', '**/engine/**', '**/predict/*', '**/failover/*'],
              allowTypeImports: true,
              message: 'contracts take only types from the domain',
            },
          ],
        },
      ],
    },
  },
  {
    // activities and the faces (CLI, bridge, stack, demo) meet the workflows through src/contracts only
    files: ['src/activities/**/*.ts', 'src/cli/**/*.ts', 'src/bridge/**/*.ts', 'src/stack/**/*.ts', 'src/demo/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/*'],
              message: 'import workflow inputs, results and messages from src/contracts; start workflows by workflowRef',
            },
          ],
        },
      ],
    },
  },
);
